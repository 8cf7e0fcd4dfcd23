"""How much a synthetic sequence varies from the studio set-up, so that renders look like camera frames.

A look is a preset of variations, all drawn from the sequence's own random generator (seeded, the same
whatever the number of workers):

    studio   one white key light, a flat dark background, the FERA views with a small head jitter, clean
             frames (the original renderer, kept bit for bit)
    varied   1-3 coloured lights and a coloured ambient; a background that is never flat (gradients,
             smooth noise, blurred clutter, or the user's own images); a head pose off the FERA view by
             up to +-8 degrees of pitch, +-12 of yaw and +-10 of roll per sequence; face scale and
             placement; skin texture and regional tones; expression creases; per sequence a camera with
             defocus blur, sensor noise, gamma, down- and up-scaling and an H.264 quality; and AUs that
             move alone in SOLO_EVENTS of the expression events, beside the prototypes' co-occurrences, and
             with a left/right asymmetry of up to 35% per AU and sequence

Everything here acts on the scene (lights, background, pose) or on the finished image (the camera); the
face's shape and the labels are never touched, so the AU truth stays exact.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from poseau.data.images import images_in
from poseau.errors import PoseauError
from poseau.scales import pixels_to_unit
from poseau.synth.appearance import light_direction

SOLO_EVENTS = 0.4  # varied look: share of expression events in which one AU moves alone


@dataclass(frozen=True, eq=False)
class Scene:
    """One sequence's lights, background, pose offset and camera."""

    lights: np.ndarray        # (L, 3) unit directions toward the lights, camera space
    colours: np.ndarray       # (L, 3) RGB strength of each light
    ambient: np.ndarray       # (3,) RGB ambient light
    specular: float
    background: np.ndarray    # (S, S, 3) float32 RGB on 0-1
    pose: np.ndarray          # (6,) pitch, yaw, roll (degrees), x, y, z (cm) added to every frame's pose
    blur: float               # Gaussian defocus, sigma in pixels (0: none)
    noise: float              # sensor noise std on 0-1 (0: none)
    gamma: float              # applied as image ** (1 / gamma)
    rescale: float            # shrunk by this factor and enlarged back (1: none)
    crf: int                  # H.264 quality of the sequence's videos


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """(size, size, 3) smooth noise on 0-1: a cells x cells random grid enlarged bicubically."""
    grid = rng.random((cells, cells, 3)).astype(np.float32)
    return np.clip(cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC), 0, 1)


def procedural_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A background that is never flat: a gradient between two colours, smooth noise at two scales and a
    few blurred shapes (clutter), at a random overall brightness."""
    a, b = rng.random(3), rng.random(3)
    t = np.linspace(0, 1, size, dtype=np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(angle) * t[None, :] + np.sin(angle) * t[:, None]
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    image = a * (1 - ramp[..., None]) + b * ramp[..., None]
    for cells, weight in ((int(rng.integers(3, 6)), rng.uniform(0.1, 0.4)),
                          (int(rng.integers(8, 24)), rng.uniform(0, 0.2))):
        image = image * (1 - weight) + _smooth_noise(rng, size, cells) * weight
    image = np.ascontiguousarray(image, np.float32)
    for _ in range(int(rng.integers(0, 6))):
        colour = tuple(float(c) for c in rng.random(3))
        x, y = (int(v) for v in rng.integers(0, size, 2))
        w, h = (int(v) for v in rng.integers(size // 12, size // 2, 2))
        if rng.random() < 0.5:
            cv2.rectangle(image, (x - w // 2, y - h // 2), (x + w // 2, y + h // 2), colour, -1)
        else:
            cv2.ellipse(image, (x, y), (w // 2, h // 2), float(rng.uniform(0, 180)), 0, 360, colour, -1)
    image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.5, 3.0) * size / 224)
    grey = image.mean(2, keepdims=True)
    image = grey + rng.uniform(0.1, 0.6) * (image - grey)  # indoor scenes are far from saturated
    return np.clip(image * rng.uniform(0.3, 1.0), 0, 1).astype(np.float32)


def image_background(files: list[Path], rng: np.random.Generator, size: int) -> np.ndarray:
    """A random square crop of one of the user's images, resized to (size, size), RGB on 0-1."""
    path = files[int(rng.integers(len(files)))]
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise PoseauError(f"{path}: cannot be read as a background image")
    h, w = image.shape[:2]
    side = int(min(h, w) * rng.uniform(0.5, 1.0))
    y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
    crop = cv2.resize(image[y:y + side, x:x + side], (size, size), interpolation=cv2.INTER_AREA)
    return pixels_to_unit(cv2.cvtColor(crop, cv2.COLOR_BGR2RGB))


def background_files(folder: str | os.PathLike | None) -> list[Path]:
    """The images in ``folder`` (none when it is None), or a clear error."""
    if not folder:
        return []
    folder = Path(folder)
    if not folder.is_dir():
        raise PoseauError(f"{folder}: no such folder of background images")
    return images_in(folder)


def sample_scene(rng: np.random.Generator, size: int, backgrounds: list[Path] | None = None) -> Scene:
    """The varied look of one sequence."""
    n = int(rng.integers(1, 4))
    lights = np.stack([light_direction(rng.uniform(-80, 80), rng.uniform(-30, 60)) for _ in range(n)])
    warmth = rng.uniform(-0.15, 0.15, (n, 1)) * np.array([1.0, 0.0, -1.0])
    strength = rng.uniform(0.3, 0.9, (n, 1)) * np.array([1.0] + [0.6] * (n - 1))[:, None]
    colours = np.clip((1 + warmth + rng.normal(0, 0.04, (n, 3))) * strength, 0, 2).astype(np.float32)
    ambient = (rng.uniform(0.15, 0.45) * (1 + rng.normal(0, 0.05, 3))).astype(np.float32)
    background = (image_background(backgrounds, rng, size) if backgrounds and rng.random() < 0.7
                  else procedural_background(rng, size))
    pose = np.array([rng.uniform(-8, 8), rng.uniform(-12, 12), rng.uniform(-10, 10),
                     rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5), rng.uniform(-8, 10)], np.float32)
    return Scene(lights=lights, colours=colours, ambient=ambient, specular=float(rng.uniform(0, 0.2)),
                 background=background, pose=pose,
                 blur=float(rng.choice([0.0, rng.uniform(0.3, 1.0)]) * size / 224),
                 noise=float(rng.choice([0.0, rng.uniform(0.005, 0.02)])), gamma=float(rng.uniform(0.8, 1.25)),
                 rescale=float(rng.choice([1.0, 1.0, rng.uniform(1.2, 2.0)])), crf=int(rng.integers(18, 28)))


def shade(normals: np.ndarray, albedo: np.ndarray, scene: Scene) -> np.ndarray:
    """Lit colours (V, 3): albedo x (ambient + the lights' Lambert terms) + a white Blinn-Phong highlight of
    the first light, for rotated ``normals`` (V, 3) in camera space."""
    lambert = np.maximum(normals @ scene.lights.T, 0)                       # (V, L)
    light = scene.ambient + lambert @ scene.colours                           # (V, 3)
    half = scene.lights[0] + np.array([0, 0, 1], np.float32)
    half /= np.linalg.norm(half)
    spec = scene.specular * np.maximum(normals @ half, 0) ** 24
    return (albedo * light + spec[:, None]).astype(np.float32)


def camera_effects(image: np.ndarray, scene: Scene, rng: np.random.Generator) -> np.ndarray:
    """The sequence's camera on a rendered (S, S, 3) float image on 0-1: defocus, down- and up-scaling,
    gamma, then sensor noise (drawn from ``rng``, new each frame)."""
    size = image.shape[0]
    if scene.blur > 0:
        image = cv2.GaussianBlur(image, (0, 0), scene.blur)
    if scene.rescale > 1:
        small = max(8, int(round(size / scene.rescale)))
        image = cv2.resize(cv2.resize(image, (small, small), interpolation=cv2.INTER_AREA), (size, size),
                           interpolation=cv2.INTER_LINEAR)
    image = np.clip(image, 0, 1) ** np.float32(1 / scene.gamma)
    if scene.noise > 0:
        image = image + np.float32(scene.noise) * rng.standard_normal(image.shape, dtype=np.float32)
    return image
