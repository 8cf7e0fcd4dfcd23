"""The face where the cues live (SynthConfig.details, the varied look): brows with density, thickness, colour and
hair-like texture, lashes, lips and teeth as people have them, beards and fringes over the forehead (painted per
person on the mesh, so they move with the skin), and glasses, hands and microphones (drawn per sequence over
the finished image, where the face's landmarks fall in each frame). None of it touches the face's shape or the
labels: an occluded AU is still labelled, as a coder who saw the face would label it."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from matplotlib.path import Path as PolyPath

from poseau.synth.facemodel import FaceModel
from poseau.synth.surface import distance_to_polyline, smoothstep

LIP_HUES = np.array([(0.85, 0.55, 0.58), (0.72, 0.5, 0.47), (0.95, 0.78, 0.78), (0.58, 0.4, 0.4),
                     (0.78, 0.28, 0.32)])  # of the skin's colour: pink, brown, pale, dark, lipstick
LIP_ODDS = np.array([0.35, 0.25, 0.2, 0.12, 0.08])
BEARD, FRINGE, GLASSES, OCCLUDER = 0.12, 0.2, 0.15, 0.1  # shares of people (beard, fringe) and sequences


def brows(verts: np.ndarray, lm: np.ndarray, albedo: np.ndarray, hair: np.ndarray, skin: np.ndarray,
          rng: np.random.Generator) -> np.ndarray:
    """Brows whose thickness tapers from the inner end to the tail, of the person's density and colour, with a
    hair-like speckle; the landmarks trace their upper edge."""
    inner, tail = rng.uniform(0.4, 0.9), rng.uniform(0.15, 0.4)
    colour = np.clip(hair * rng.uniform(0.5, 1.3), 0, 1)
    strength = rng.uniform(0.4, 0.95)
    hairs = strength * (0.45 + 0.55 * rng.random(len(verts)) ** 0.5)
    for outer_to_inner in (lm[17:22], lm[26:21:-1]):
        ts = np.linspace(0, 1, 24)
        edge = np.stack([np.interp(ts, np.linspace(0, 1, 5), outer_to_inner[:, k]) for k in range(3)], 1)
        thick = tail + (inner - tail) * ts
        centre = edge - np.column_stack([np.zeros(24), thick / 2, np.zeros(24)])
        gap = np.min(np.linalg.norm(verts[:, None] - centre[None], axis=2) - thick[None] / 2, axis=1)
        w = hairs * (1 - smoothstep(gap / 0.12 + 0.5)) * skin
        albedo = albedo * (1 - w[:, None]) + colour[None] * w[:, None]
    return albedo


def lip_colour(skin: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return skin * LIP_HUES[rng.choice(len(LIP_HUES), p=LIP_ODDS)] * rng.uniform(0.85, 1.05)


def detail_albedo(model: FaceModel, verts: np.ndarray, albedo: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Lashes and lid margins, teeth and the mouth's inside, and for some people a beard and a fringe."""
    lm = verts[model.landmarks68]
    skin = model.skin_mask()
    out = albedo.copy()
    for upper, lower in ((lm[36:40], lm[[39, 40, 41, 36]]), (lm[42:46], lm[[45, 46, 47, 42]])):
        for line, dark in ((upper, rng.uniform(0.4, 0.9)), (lower, rng.uniform(0.1, 0.4))):
            w = dark * (1 - smoothstep(distance_to_polyline(verts, line) / 0.14))
            w[model.part_mask("sclera_left") | model.part_mask("sclera_right")] = 0
            out = out * (1 - w[:, None]) + 0.04 * w[:, None]
    out[model.part_mask("teeth")] *= rng.uniform(0.75, 1.05) * np.array([1.0, 0.98, rng.uniform(0.8, 0.97)])
    out[model.part_mask("mouth_socket")] *= rng.uniform(0.4, 1.0)
    top = skin & (verts[:, 1] > lm[17:27, 1].max() + 6)
    hair = np.median(albedo[top], 0) if top.any() else np.array([0.1, 0.08, 0.06])
    if rng.random() < BEARD:
        below_nose = lm[33, 1] - 0.3 - verts[:, 1]
        kind = rng.choice(["full", "moustache", "goatee"])
        if kind == "full":
            region = smoothstep(below_nose / 0.6) * (verts[:, 2] > lm[8, 2] - 5)
        elif kind == "moustache":
            region = smoothstep(below_nose / 0.3) * smoothstep((verts[:, 1] - lm[51, 1]) / 0.2) \
                * (np.abs(verts[:, 0] - lm[51, 0]) < abs(lm[54, 0] - lm[48, 0]) / 2 + 0.5)
        else:
            region = smoothstep((lm[57, 1] - 0.2 - verts[:, 1]) / 0.4) * (np.linalg.norm(
                verts[:, :2] - lm[8, :2], axis=1) < rng.uniform(2.0, 3.5))
        region = region * skin * ~PolyPath(lm[48:60, :2]).contains_points(verts[:, :2])
        w = rng.uniform(0.6, 0.95) * region * (0.5 + 0.5 * rng.random(len(verts)))
        out = out * (1 - w[:, None]) + np.clip(hair * rng.uniform(0.6, 1.1), 0, 1) * w[:, None]
    if rng.random() < FRINGE:  # hair down over the forehead, to a ragged, maybe slanted edge
        x = verts[:, 0] - lm[27, 0]
        edge = (lm[17:27, 1].max() + rng.uniform(0.3, 2.5) + rng.uniform(-0.25, 0.25) * x
                + 0.3 * np.sin(x * rng.uniform(2, 5) + rng.uniform(0, 6)) + 0.15 * rng.standard_normal(len(x)))
        w = smoothstep((verts[:, 1] - edge) / 0.3) * skin * (verts[:, 2] > lm[0, 2] - 2)
        out = out * (1 - w[:, None]) + hair * w[:, None]
    return np.clip(out, 0, 1).astype(np.float32)


@dataclass(frozen=True)
class Accessories:
    """One sequence's glasses and occluder (None: none), drawn where the landmarks fall in each frame."""

    glasses: dict | None
    occluder: dict | None


def sample_accessories(rng: np.random.Generator) -> Accessories:
    glasses = occluder = None
    if rng.random() < GLASSES:
        glasses = {"colour": rng.uniform(0.0, 0.6) * np.ones(3) + rng.uniform(-0.05, 0.05, 3),
                   "thickness": rng.uniform(0.012, 0.03), "width": rng.uniform(1.4, 1.9),
                   "height": rng.uniform(0.12, 0.18), "tint": rng.choice([0.0, rng.uniform(0.1, 0.5)])}
    if rng.random() < OCCLUDER:
        occluder = {"kind": str(rng.choice(["hand", "microphone"])), "side": float(rng.choice([-1.0, 1.0])),
                    "offset": rng.uniform(-0.3, 0.3, 2), "size": rng.uniform(0.3, 0.55),
                    "tone": rng.uniform(0.8, 1.1), "grey": rng.uniform(0.05, 0.3)}
    return Accessories(glasses, occluder)


def _glasses(image: np.ndarray, lm: np.ndarray, g: dict, scale: float) -> None:
    thickness = max(1, int(round(g["thickness"] * scale)))
    lenses = image.copy()
    rims = []
    for eye in (lm[36:42], lm[42:48]):
        axis = eye[3] - eye[0]
        half = max(np.linalg.norm(axis) / 2 * g["width"], 1.0)
        centre = eye.mean(0)
        angle = float(np.degrees(np.arctan2(axis[1], axis[0])))
        box = (tuple(int(v) for v in centre), (int(half), max(1, int(g["height"] * scale))), angle)
        cv2.ellipse(lenses, box[0], box[1], angle, 0, 360, (0, 0, 0), -1)
        rims.append((box, centre, axis / max(np.linalg.norm(axis), 1e-6) * half))
    image[:] = image * (1 - g["tint"]) + lenses * g["tint"]
    colour = tuple(float(c) for c in np.clip(g["colour"], 0, 1))
    for (centre, axes, angle), _, _ in rims:
        cv2.ellipse(image, centre, axes, angle, 0, 360, colour, thickness, cv2.LINE_AA)
    (_, right_c, right_a), (_, left_c, left_a) = rims
    cv2.line(image, tuple(int(v) for v in right_c + right_a), tuple(int(v) for v in left_c - left_a), colour,
             thickness, cv2.LINE_AA)  # the bridge, between the inner rims
    for (_, c, a), ear in ((rims[0], lm[0]), (rims[1], lm[16])):
        start = c - a if np.dot(ear - c, a) < 0 else c + a
        cv2.line(image, tuple(int(v) for v in start), tuple(int(v) for v in start + 0.7 * (ear - start)), colour,
                 thickness, cv2.LINE_AA)


def _occluder(image: np.ndarray, lm: np.ndarray, o: dict, scale: float) -> None:
    size = o["size"] * scale
    if o["kind"] == "hand":  # a palm over the jaw's side and fingers toward the mouth, in the face's own tone
        jaw = lm[4] if o["side"] < 0 else lm[12]
        palm = jaw + (o["offset"] + [0.0, 0.25]) * scale
        tone = np.clip(np.median(image[int(lm[29, 1]) - 1:int(lm[29, 1]) + 2,
                                       int(lm[29, 0]) - 1:int(lm[29, 0]) + 2].reshape(-1, 3), 0) * o["tone"], 0, 1)
        colour = tuple(float(c) for c in tone)
        cv2.ellipse(image, tuple(int(v) for v in palm), (int(size * 0.45), int(size * 0.6)), 0, 0, 360, colour, -1)
        toward = lm[57] - palm
        toward /= max(np.linalg.norm(toward), 1e-6)
        across = np.array([-toward[1], toward[0]])
        angle = float(np.degrees(np.arctan2(toward[1], toward[0])))
        for k in range(4):
            tip = palm + toward * size * 0.55 + across * size * (k - 1.5) * 0.2
            cv2.ellipse(image, tuple(int(v) for v in tip), (int(size * 0.35), max(1, int(size * 0.09))), angle,
                        0, 360, colour, -1)
            cv2.ellipse(image, tuple(int(v) for v in tip), (int(size * 0.35), max(1, int(size * 0.09))), angle,
                        0, 360, tuple(c * 0.75 for c in colour), 1, cv2.LINE_AA)
    else:  # a microphone's head below the lips, its handle down out of the frame
        head = lm[57] + (o["offset"] + [0.0, 0.45]) * scale
        grey = (o["grey"],) * 3
        cv2.line(image, tuple(int(v) for v in head), (int(head[0]), image.shape[0] + 5), grey,
                 max(1, int(size * 0.2)), cv2.LINE_AA)
        cv2.circle(image, tuple(int(v) for v in head), max(1, int(size * 0.3)), grey, -1, cv2.LINE_AA)


def draw_accessories(image: np.ndarray, landmarks: np.ndarray, accessories: Accessories | None) -> np.ndarray:
    """The sequence's glasses and occluder drawn over ``image`` (S, S, 3) float on 0-1 (a copy), at the 68
    ``landmarks`` (pixels) of this frame; the face's scale is its height from the nose's root to the chin."""
    if accessories is None or (accessories.glasses is None and accessories.occluder is None):
        return image
    image = np.ascontiguousarray(image, np.float32).copy()
    scale = float(np.linalg.norm(landmarks[8] - landmarks[27]))
    if accessories.glasses is not None:
        _glasses(image, landmarks, accessories.glasses, scale)
    if accessories.occluder is not None:
        _occluder(image, landmarks, accessories.occluder, scale)
    return image
