"""Wrinkles and bulges that the AUs make: a height field over the skin per AU, in centimetres along the
surface's normal at intensity 5, scaled by the AU's weight (intensity / 5) when a frame is shaped.

The fields are laid out on a person's neutral face from its 68 landmarks, so they move with the skin as the
expression moves it, and they displace the mesh itself: the shading then comes from the displaced surface's
normals, so light rakes across a furrow (one side lit, the other in shade) rather than darkening it. Per AU:

- AU01: horizontal forehead lines, strongest over the middle of the brows;
- AU04: vertical glabella furrows between the brows and a horizontal one over the nasion;
- AU06: crow's feet fanning from the outer eye corners, the infraorbital furrow and the lower-eyelid bulge;
- AU10: a deeper nasolabial fold and the infraorbital triangle bulging above it;
- AU12: the nasolabial fold (less deep) and the cheeks bulging over it;
- AU14: dimples beside the mouth corners;
- AU17: the chin boss bulging, dimpled (mentalis), under a deeper furrow below the lower lip.

How deep, how many lines and where they run vary by person; ``depth`` scales them all (age).
"""

from __future__ import annotations

import numpy as np

from poseau.constants import AUS
from poseau.synth.facemodel import FaceModel
from poseau.synth.raster import vertex_normals
from poseau.synth.surface import distance_to_polyline

FRONT = 0.2  # the fields lie where the neutral skin faces the camera at least this much (normal z)


def _line(d: np.ndarray, width: float) -> np.ndarray:
    """The profile across a line at distance ``d`` (cm) from it: 1 on it, Gaussian of SD ``width``."""
    return np.exp(-0.5 * (d / width) ** 2)


def _xy(points: np.ndarray) -> np.ndarray:
    """Points (K, 2) in the face's plane, as a polyline for distances measured in that plane."""
    return np.column_stack([points, np.zeros(len(points))])


def _side(x: float, mid: float) -> float:
    return 1.0 if x >= mid else -1.0


def _forehead_lines(flat, lm, rng):
    brow_top = lm[17:27, 1].max()
    half = (lm[26, 0] - lm[17, 0]) / 2
    mid = lm[27, 0]
    spacing = rng.uniform(0.8, 1.3)
    first = brow_top + rng.uniform(0.7, 1.2)
    bend = rng.uniform(-0.3, 0.4)  # lines arch up (or down) over the middle
    xs = np.linspace(mid - half, mid + half, 11)
    height = np.zeros(len(flat))
    for k in range(int(rng.integers(2, 5))):
        ys = first + k * spacing + bend * (1 - ((xs - mid) / half) ** 2) + rng.normal(0, 0.08, len(xs))
        height -= _line(distance_to_polyline(flat, _xy(np.column_stack([xs, ys]))), 0.22) * rng.uniform(0.6, 1)
    taper = np.clip(1 - np.abs(flat[:, 0] - mid) / half, 0, 1) ** 0.7  # the inner brows lift the middle
    return height * taper * 0.12


def _glabella(flat, lm, rng):
    mid, root = lm[27, 0], lm[27, 1]
    top = lm[19:25, 1].max() + rng.uniform(0.8, 1.6)
    gap = rng.uniform(0.3, 0.6)
    spread = rng.uniform(0.0, 0.3)
    height = np.zeros(len(flat))
    for s in (-1, 1):
        line = _xy(np.array([[mid + s * gap, root + 0.3], [mid + s * (gap + spread), top]]))
        height -= _line(distance_to_polyline(flat, line), 0.2)
    nasion = _xy(np.array([[mid - 0.9, root + 0.2], [mid + 0.9, root + 0.2]]))
    height -= rng.uniform(0.3, 0.8) * _line(distance_to_polyline(flat, nasion), 0.2)
    return height * 0.14


def _eye_corners(flat, lm, rng):
    mid = lm[27, 0]
    height = np.zeros(len(flat))
    for corner, lower in ((lm[36], lm[[36, 41, 40, 39]]), (lm[45], lm[[42, 47, 46, 45]])):
        out = _side(corner[0], mid)
        for angle in np.radians(np.linspace(-40, 30, int(rng.integers(3, 6))) + rng.normal(0, 5)):
            direction = np.array([out * np.cos(angle), np.sin(angle)])
            start, end = rng.uniform(0.3, 0.5), rng.uniform(1.2, 2.0)
            ray = _xy(np.array([corner[:2] + start * direction, corner[:2] + end * direction]))
            height -= 0.8 * _line(distance_to_polyline(flat, ray), 0.15)
        lid = lower[:, :2]
        furrow = _xy(lid - [0, rng.uniform(0.6, 0.9)])
        height -= _line(distance_to_polyline(flat, furrow), 0.2)
        height += 0.8 * _line(distance_to_polyline(flat, _xy(lid - [0, 0.3])), 0.18)  # the lower lid bulges
    return height * 0.1


def _nasolabial(flat, lm, rng, bulge_at):
    """The fold from the nose wing to beside the mouth corner, and the skin bulging over it (``bulge_at``:
    where along the fold, 0 at the nose, 1 at the mouth)."""
    mid = lm[27, 0]
    height = np.zeros(len(flat))
    for wing, corner in ((lm[31], lm[48]), (lm[35], lm[54])):
        out = _side(wing[0], mid)
        top = wing[:2] + [out * rng.uniform(0.4, 0.7), rng.uniform(0.1, 0.5)]
        bottom = corner[:2] + [out * rng.uniform(0.4, 0.8), -rng.uniform(0.2, 0.8)]
        middle = (top + bottom) / 2 + [out * rng.uniform(0.2, 0.5), 0]
        fold = _xy(np.array([top, middle, bottom]))
        height -= _line(distance_to_polyline(flat, fold), 0.22)
        centre = top + bulge_at * (bottom - top) + [out * rng.uniform(0.7, 1.1), 0.2]
        height += 0.7 * _line(np.linalg.norm(flat[:, :2] - centre, axis=1), 0.6)
    return height * 0.13


def _dimples(flat, lm, rng):
    mid = lm[27, 0]
    height = np.zeros(len(flat))
    for corner in (lm[48], lm[54]):
        out = _side(corner[0], mid)
        pit = corner[:2] + [out * rng.uniform(0.4, 0.8), rng.uniform(-0.3, 0.1)]
        height -= _line(np.linalg.norm(flat[:, :2] - pit, axis=1), rng.uniform(0.18, 0.3))
        crease = _xy(np.array([corner[:2] + [out * 0.3, 0.3], corner[:2] + [out * 0.4, -0.5]]))
        height -= 0.6 * _line(distance_to_polyline(flat, crease), 0.15)
    return height * 0.15


def _chin(flat, lm, rng):
    lip, chin = lm[57, :2], lm[8, :2]
    boss = lip + rng.uniform(0.5, 0.65) * (chin - lip)
    reach = np.linalg.norm(chin - lip) / 2
    height = 0.9 * _line(np.linalg.norm(flat[:, :2] - boss, axis=1), reach * 0.6)
    for _ in range(int(rng.integers(6, 14))):  # mentalis dimpling: pits over the boss
        pit = boss + rng.uniform(-1, 1, 2) * [reach * 1.2, reach * 0.6]
        height -= rng.uniform(0.3, 0.6) * _line(np.linalg.norm(flat[:, :2] - pit, axis=1), 0.15)
    width = abs(lm[54, 0] - lm[48, 0]) / 2
    sulcus = _xy(np.array([lip + [-width, 0], lip + [0, -0.35], lip + [width, 0]]) - [0, rng.uniform(0.3, 0.5)])
    height -= _line(distance_to_polyline(flat, sulcus), 0.2)
    return height * 0.12


FIELDS = {"AU01": _forehead_lines, "AU04": _glabella, "AU06": _eye_corners,
          "AU10": lambda f, lm, rng: _nasolabial(f, lm, rng, 0.3),
          "AU12": lambda f, lm, rng: 0.6 * _nasolabial(f, lm, rng, 0.7),
          "AU14": _dimples, "AU17": _chin}
assert tuple(FIELDS) == AUS


def sample_wrinkles(model: FaceModel, neutral: np.ndarray, rng: np.random.Generator, depth: float = 1.0) -> np.ndarray:
    """(7, V) float32: one person's height field per AU (cm at intensity 5; furrows negative), laid out on
    their ``neutral`` vertices; zero off the skin and where it turns away from the camera. ``depth`` scales
    all of them, and each person draws their own depth (0.4-1.6) and each AU's (0.7-1.3) on top."""
    front = model.skin_mask() & (vertex_normals(neutral, model.triangles)[:, 2] > FRONT)
    flat = neutral.copy()
    flat[:, 2] = 0.0  # distances in the face's plane
    lm = neutral[model.landmarks68]
    person = depth * rng.uniform(0.4, 1.6)
    fields = np.zeros((len(AUS), len(neutral)), np.float32)
    for k, make in enumerate(FIELDS.values()):
        fields[k, front] = person * rng.uniform(0.7, 1.3) * make(flat[front], lm, rng)
    return fields


def wrinkle(verts: np.ndarray, triangles: np.ndarray, fields: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``verts`` (V, 3) displaced along their normals by the fields (7, V) weighted per vertex (7, V) or per AU
    (7,): the AUs' weights, intensity / 5."""
    weights = np.asarray(weights, np.float32)
    height = (weights[:, None] * fields if weights.ndim == 1 else weights * fields).sum(0)
    if not height.any():
        return verts
    return (verts + vertex_normals(verts, triangles) * height[:, None]).astype(np.float32)
