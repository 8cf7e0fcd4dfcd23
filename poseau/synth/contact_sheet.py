"""A contact sheet: every view (rows) by every AU at a high intensity (columns), plus neutral."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from poseau.constants import AUS, VIEW_ANGLES, VIEWS
from poseau.plotting import pyplot, save_figure
from poseau.synth.appearance import Lighting, sample_identity
from poseau.synth.camera import Camera
from poseau.synth.details import sample_accessories
from poseau.synth.facemodel import FaceModel
from poseau.synth.render import FaceRenderer
from poseau.synth.variation import sample_scene
from poseau.synth.wrinkles import sample_wrinkles

SHEET_LIGHT = Lighting(direction=np.array([0.3, 0.4, 0.87], np.float32), ambient=0.35,
                       diffuse=0.7, specular=0.05, background=np.full(3, 0.1, np.float32))


def contact_sheet_images(model: FaceModel, size: int = 224, seed: int = 0, intensity: float = 4.0,
                         views: tuple[int, ...] = VIEWS, look: str = "studio", wrinkles: float = 0.0,
                         details: bool = False) -> np.ndarray:
    """(len(views), 8, size, size, 3) uint8: neutral, then each AU alone at ``intensity``. The studio look
    shows one person under one light; the varied look another person and scene in each row; with the
    ``wrinkles`` and (the varied look) ``details`` of SynthConfig."""
    settings = [np.zeros(len(AUS), np.float32)] + [np.eye(len(AUS), dtype=np.float32)[k] * intensity
                                                   for k in range(len(AUS))]
    if look == "studio":
        identity = sample_identity(model, np.random.default_rng([seed, 99]))
        fields = sample_wrinkles(model, identity.vertices, np.random.default_rng([seed, 99, 3]),
                                 wrinkles) if wrinkles else None
        renderer = FaceRenderer(model, identity, Camera(size), wrinkles=fields)
        shapes = [renderer.shape(s) for s in settings]
        return np.stack([np.stack([renderer.render(v, view, SHEET_LIGHT)[0] for v in shapes]) for view in views])
    rows = []
    for r, view in enumerate(views):
        rng = np.random.default_rng([seed, 99, r])
        identity = sample_identity(model, rng, textured=True,
                                   detail=np.random.default_rng([seed, 99, r, 4]) if details else None)
        fields = sample_wrinkles(model, identity.vertices, np.random.default_rng([seed, 99, r, 3]),
                                 wrinkles) if wrinkles else None
        renderer = FaceRenderer(model, identity, Camera(size), wrinkles=fields)
        scene = sample_scene(rng, size)
        accessories = sample_accessories(np.random.default_rng([seed, 99, r, 5])) if details else None
        shapes = [renderer.shape(s) for s in settings]
        rows.append(np.stack([renderer.render_scene(v, view, scene, np.random.default_rng([seed, r]),
                                                    albedo=renderer.creased_albedo(v),
                                                    accessories=accessories)[0] for v in shapes]))
    return np.stack(rows)


def draw_contact_sheet(model: FaceModel, path: str | Path, size: int = 224, seed: int = 0,
                       intensity: float = 4.0, views: tuple[int, ...] = VIEWS, look: str = "studio",
                       wrinkles: float = 0.0, details: bool = False) -> Path:
    images = contact_sheet_images(model, size, seed, intensity, views, look, wrinkles, details)
    rows, cols = images.shape[:2]
    fig, axes = pyplot().subplots(rows, cols, figsize=(cols * 1.3, rows * 1.3 + 0.4), squeeze=False)
    titles = ["neutral"] + [f"{au} = {intensity:g}" for au in AUS]
    for r, view in enumerate(views):
        for c in range(cols):
            ax = axes[r, c]
            ax.imshow(images[r, c])
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(titles[c], fontsize=8)
            if c == 0:
                pitch, yaw = VIEW_ANGLES[view]
                ax.set_ylabel(f"view {view}\np{pitch:+.0f} y{yaw:+.0f}", fontsize=7)
    fig.suptitle(f"poseau synth ({look} look): views (rows) x AUs (columns)", fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)
    return Path(path)
