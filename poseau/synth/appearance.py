"""What a synthetic person looks like: identity shape, skin, brows, lips, eyes, hair, light.

Colours are per vertex (the mesh has no texture), painted from the 68 landmarks of the
neutral mesh so that they move with the expression: brows along landmarks 17-26, lips
inside the outer lip contour 48-59.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.path import Path as PolyPath

from poseau.synth.details import brows, detail_albedo, lip_colour
from poseau.synth.facemodel import FaceModel
from poseau.synth.raster import blend
from poseau.synth.surface import distance_to_polyline, near, smoothstep


@dataclass(frozen=True, eq=False)
class Identity:
    coeffs: np.ndarray   # (I,) identity mode coefficients, N(0, 1)
    vertices: np.ndarray  # (V, 3) float32 neutral shape of this person
    albedo: np.ndarray    # (V, 3) float32 RGB reflectance in [0, 1]


@dataclass(frozen=True)
class Lighting:
    direction: np.ndarray  # (3,) unit vector toward the light, camera space
    ambient: float
    diffuse: float
    specular: float
    background: np.ndarray  # (3,) RGB in [0, 1]


def paint_albedo(model: FaceModel, verts: np.ndarray, rng: np.random.Generator,
                 detail: np.random.Generator | None = None) -> np.ndarray:
    """Per-vertex colours of one person; with ``detail`` (a generator of its own) brows and lips as people have
    them (poseau.synth.details), the draws from ``rng`` staying the same."""
    n = model.n_vertices
    lightness = rng.uniform(0.35, 0.95)
    skin = lightness * np.array([1.0, rng.uniform(0.72, 0.82), rng.uniform(0.58, 0.7)])
    # low-frequency blotches so that the skin is not a flat colour
    freqs = rng.normal(0, 0.35, (4, 3))
    phases = rng.uniform(0, 2 * np.pi, 4)
    blotch = 1.0 + 0.04 * np.sin(verts @ freqs.T + phases).sum(1)
    albedo = np.clip(skin[None, :] * blotch[:, None], 0, 1)

    face = model.skin_mask()
    lm = verts[model.landmarks68]
    hair = np.array([0.08, 0.06, 0.05]) + rng.uniform(0, 0.35) * np.array([1.0, 0.8, 0.5])

    # brows: a band below the landmark line (the landmarks trace the brows' upper edge)
    brow_strength = rng.uniform(0.55, 0.9)
    if detail is not None:
        albedo = brows(verts, lm, albedo, hair, face, detail)
    for idx in () if detail is not None else (range(17, 22), range(22, 27)):
        line = lm[list(idx)] - np.array([0.0, 0.35, 0.0])
        d = distance_to_polyline(verts, line)
        w = brow_strength * (1 - smoothstep((d - 0.3) / 0.35)) * face
        albedo = albedo * (1 - w[:, None]) + hair[None, :] * w[:, None]

    # lips: inside the outer lip contour, on the front of the face
    lip_color = skin * np.array([0.82, 0.5, 0.52]) * rng.uniform(0.8, 1.0)
    if detail is not None:
        lip_color = lip_colour(skin, detail)
    contour = PolyPath(lm[48:60, :2])
    front = verts[:, 2] > lm[48:60, 2].min() - 1.0
    inside = contour.contains_points(verts[:, :2]) & front & face
    d_edge = distance_to_polyline(verts, np.vstack([lm[48:60], lm[48:49]]))
    w = inside * smoothstep(d_edge / 0.15)
    albedo = albedo * (1 - w[:, None]) + lip_color[None, :] * w[:, None]

    # hair cap above a hairline some centimetres over the brows
    hairline = lm[17:27, 1].max() + rng.uniform(3.0, 5.0)
    w = smoothstep((verts[:, 1] - hairline) / 1.0) * face
    albedo = albedo * (1 - w[:, None]) + hair[None, :] * w[:, None]

    iris = rng.choice([np.array([0.25, 0.15, 0.08]), np.array([0.25, 0.35, 0.5]), np.array([0.3, 0.3, 0.18])])
    fixed = {"mouth_socket": (0.25, 0.08, 0.08), "gums_tongue": (0.6, 0.28, 0.28), "teeth": (0.86, 0.84, 0.76),
             "sclera_left": (0.86, 0.84, 0.82), "sclera_right": (0.86, 0.84, 0.82),
             "eye_socket_left": (0.45, 0.25, 0.25), "eye_socket_right": (0.45, 0.25, 0.25)}
    for part, color in fixed.items():
        albedo[model.part_mask(part)] = color
    for side in ("left", "right"):
        # the eyeball's front cap is the iris, its centre the pupil; the eyes look straight ahead
        mask = model.part_mask(f"sclera_{side}") | model.part_mask(f"iris_{side}")
        ball = verts[mask] - verts[mask].mean(0)
        cos = ball[:, 2] / np.maximum(np.linalg.norm(ball, axis=1), 1e-6)
        in_iris = smoothstep((cos - 0.88) / 0.02)[:, None]
        in_pupil = smoothstep((cos - 0.97) / 0.01)[:, None]
        color = iris * (1 - in_pupil) + 0.03 * in_pupil
        albedo[mask] = albedo[mask] * (1 - in_iris) + color * in_iris
    assert albedo.shape == (n, 3)
    return albedo.astype(np.float32)


def texture_skin(model: FaceModel, verts: np.ndarray, albedo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Skin that is not a flat colour: multi-scale noise over the surface, freckles, redness on the cheeks and
    nose, darker eyelids, and now and then stubble over the lower face."""
    skin = model.skin_mask()
    lm = verts[model.landmarks68]
    factor = np.ones(len(verts), np.float32)
    for scale, amplitude in ((0.3, 0.08), (1.2, 0.05), (4.0, 0.035)):  # cycles per cm (x 2 pi), contrast
        freqs = rng.normal(0, scale, (6, 3))
        factor += amplitude * rng.uniform(0.3, 1.5) * np.sin(verts @ freqs.T + rng.uniform(0, 2 * np.pi, 6)).mean(1)
    freckles = rng.random(len(verts)) < rng.uniform(0, 0.04)
    factor[freckles] *= rng.uniform(0.8, 0.95)
    out = albedo * np.where(skin, factor, 1)[:, None]
    red = rng.uniform(0, 0.25) * (near(verts, (lm[2] + lm[31]) / 2, 2.5) + near(verts, (lm[14] + lm[35]) / 2, 2.5)
                                  + 0.6 * near(verts, lm[30], 1.2)) * skin
    out = out * (1 - red[:, None] * np.array([0.0, 0.35, 0.3]))
    lids = rng.uniform(0, 0.25) * (near(verts, lm[37:39].mean(0) + [0, 0.3, 0], 0.9)
                                   + near(verts, lm[43:45].mean(0) + [0, 0.3, 0], 0.9)) * skin
    out = out * (1 - lids[:, None] * np.array([0.3, 0.4, 0.35]))
    if rng.random() < 0.3:  # stubble: darker, greyer, speckled, below the nose and over the jaw
        below = smoothstep((lm[33, 1] - 0.5 - verts[:, 1]) / 1.0) * (verts[:, 2] > lm[8, 2] - 6) * skin
        below *= ~PolyPath(lm[48:60, :2]).contains_points(verts[:, :2])  # not on the lips
        speckle = 0.6 + 0.4 * rng.random(len(verts))
        w = rng.uniform(0.2, 0.6) * below * speckle
        out = out * (1 - w[:, None]) + np.array([0.12, 0.1, 0.09]) * w[:, None]
    return np.clip(out, 0, 1).astype(np.float32)


def random_albedo(verts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Domain randomisation of appearance (Tobin et al. 2017): per-vertex colours with no skin, brows or lips in
    them, a random base colour under sinusoidal patterns of random frequency (0.2-3 cycles per cm), direction
    and contrast, so that only the face's shape and its shading are worth learning."""
    albedo = np.tile(rng.uniform(0.15, 0.9, 3), (len(verts), 1))
    for _ in range(int(rng.integers(2, 6))):
        direction = rng.normal(size=3)
        frequency = 2 * np.pi * rng.uniform(0.2, 3.0) / np.linalg.norm(direction)
        wave = np.sin(verts @ (direction * frequency) + rng.uniform(0, 2 * np.pi))
        albedo = albedo + rng.uniform(0.05, 0.3) * wave[:, None] * rng.uniform(-1, 1, 3)
    return np.clip(albedo, 0.02, 1).astype(np.float32)


def sample_identity(model: FaceModel, rng: np.random.Generator, n_modes: int | None = None,
                    textured: bool = False, detail: np.random.Generator | None = None) -> Identity:
    """A new person: identity coefficients drawn N(0, 1) over the first ``n_modes`` modes; ``textured``
    adds skin texture and regional tones (drawn after everything else, so the rest stays the same);
    ``detail``, a generator of its own, the face's details (poseau.synth.details) with the rest the same."""
    k = model.identity_deltas.shape[0] if n_modes is None else min(n_modes, model.identity_deltas.shape[0])
    coeffs = rng.standard_normal(k).astype(np.float32)
    verts = blend(model.neutral, coeffs, model.identity_deltas[:k])
    albedo = paint_albedo(model, verts, rng, detail)
    if textured:
        albedo = texture_skin(model, verts, albedo, rng)
    if detail is not None:
        albedo = detail_albedo(model, verts, albedo, detail)
    return Identity(coeffs=coeffs, vertices=verts, albedo=albedo)


def vertex_areas(verts: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """(V,) the summed area of the triangles around each vertex."""
    a, b, c = (verts[triangles[:, k]] for k in range(3))
    area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1)
    return np.bincount(triangles.ravel(), np.repeat(area, 3), minlength=len(verts)).astype(np.float32)


def crease_shading(albedo: np.ndarray, neutral_areas: np.ndarray, verts: np.ndarray, triangles: np.ndarray,
                   skin: np.ndarray, strength: float = 1.5) -> np.ndarray:
    """Albedo darkened where the expression compresses the skin (a wrinkle map driven by the shape, as games
    drive theirs from blendshape weights): furrows between the brows, crow's feet, the nasolabial fold,
    dimples, the chin boss. Nothing changes on a neutral face."""
    ratio = vertex_areas(verts, triangles) / np.maximum(neutral_areas, 1e-9)
    dark = np.clip(strength * (1 - ratio), 0, 0.35) * skin
    return (albedo * (1 - dark[:, None])).astype(np.float32)


def light_direction(azimuth: float, elevation: float) -> np.ndarray:
    """(3,) unit vector toward a light at ``azimuth`` (degrees, + to the image right) and ``elevation`` (+ up)."""
    a, e = np.radians([azimuth, elevation])
    return np.array([np.sin(a) * np.cos(e), np.sin(e), np.cos(a) * np.cos(e)], np.float32)


def sample_lighting(rng: np.random.Generator) -> Lighting:
    """A key light from the front hemisphere, within about 60 degrees of the camera axis."""
    direction = light_direction(rng.uniform(-60, 60), rng.uniform(-20, 50))
    ambient = rng.uniform(0.25, 0.45)
    return Lighting(direction=direction, ambient=ambient, diffuse=rng.uniform(0.65, 0.95) * (1.1 - ambient),
                    specular=rng.uniform(0.0, 0.12), background=np.full(3, rng.uniform(0.0, 0.25), np.float32))
