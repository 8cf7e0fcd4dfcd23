"""Gradient saliency (the paper's Fig. 3): D = |d f(x) / d x|, the gradient of an AU's output with respect
to the input pixels, summed over the N frames of each view with the highest predictions for that AU, then
normalised: divided by its 99th percentile and clipped to [0, 1] (a few extreme pixels would otherwise leave
the rest of the map dark). Drawn over the mean of those N frames.

`poseau saliency` writes saliency.png (AUs as rows, views as columns) and saliency.npz (maps, mean faces,
AU names, views, the store rows used).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from poseau.constants import intensity_column, raw_column
from poseau.data.preprocess import Preprocessing
from poseau.data.store import FrameStore, open_store
from poseau.errors import PoseauError
from poseau.evaluate.evaluation import model_name
from poseau.evaluate.predictions import frames_for, partition_rows, predict_store
from poseau.fileio import atomic_path, out_folder
from poseau.models.checkpoint import load_model
from poseau.models.model import IntensityModel
from poseau.options import EVAL_PARTITION, SALIENCY_BATCH, SALIENCY_FRAMES, check_options
from poseau.plotting import pyplot, save_figure
from poseau.progress import progress_bar
from poseau.scales import pixels_to_unit

log = logging.getLogger(__name__)


@dataclass
class Saliency:
    aus: list[str]
    views: list[int]
    maps: np.ndarray    # (A, V, S, S) float32 in [0, 1]
    faces: np.ndarray   # (A, V, S, S) float32, the mean of the frames used, in [0, 1]
    rows: np.ndarray    # (A, V, N) store rows used, -1 where a view had fewer than N frames
    face_share: np.ndarray  # (A, V) share of the gradient's mass inside the face box; NaN where it is unknown

    def face_summary(self) -> str:
        if np.isnan(self.face_share).all():
            return "saliency: the face box is unknown (the model's frames are not face crops)"
        return (f"saliency mass inside the face box: mean {np.nanmean(self.face_share):.2f}, lowest "
                f"{np.nanmin(self.face_share):.2f} (AUs x views)")


def face_box_mask(preprocessing: Preprocessing) -> np.ndarray | None:
    """(S, S) True inside the detected face box of a face-crop model's input (its centre, 1 / crop_scale of
    the side); None for a whole-frame model, whose face box is not known."""
    if not preprocessing.face_crop:
        return None
    size = preprocessing.size
    low, high = (size - size / preprocessing.crop_scale) / 2, (size + size / preprocessing.crop_scale) / 2
    centres = np.arange(size) + 0.5
    inside = (centres >= low) & (centres <= high)
    return inside[:, None] & inside[None, :]


def input_gradient(model: IntensityModel, faces: np.ndarray, column: int) -> torch.Tensor:
    """|d output[:, column] / d pixels| for (B, S, S) uint8 faces: each frame's own gradient, (B, S, S)."""
    device = next(model.parameters(), torch.empty(0)).device
    x = torch.from_numpy(np.ascontiguousarray(faces)).to(device).float().unsqueeze(1).requires_grad_(True)
    (grad,) = torch.autograd.grad(model(x)["intensity"][:, column].sum(), x)
    return grad.abs()[:, 0]


def saliency_maps(model: IntensityModel, store: FrameStore, predictions: pd.DataFrame, rows: np.ndarray, *,
                  frames: int = SALIENCY_FRAMES, aus: list[str] | None = None, batch_size: int = SALIENCY_BATCH,
                  progress: bool = True) -> Saliency:
    """Maps for ``aus`` (default: all the model's) and every view in ``predictions`` (the table of
    ``rows``, as poseau.evaluate.predictions.predict_store writes it); the model runs on its device."""
    aus = list(aus or model.aus)
    missing = [au for au in aus if au not in model.aus]
    if missing:
        raise PoseauError(f"the model has no output for {', '.join(missing)} (it has {', '.join(model.aus)})")
    read = frames_for(store, model.preprocessing)
    views = sorted(int(v) for v in predictions["view"].unique())
    size = model.size
    maps = np.zeros((len(aus), len(views), size, size), np.float32)
    faces = np.zeros_like(maps)
    used = np.full((len(aus), len(views), frames), -1, np.int64)
    box = face_box_mask(model.preprocessing)
    share = np.full((len(aus), len(views)), np.nan)
    model.eval()
    with progress_bar(progress) as bar:
        task = bar.add_task("saliency", total=len(aus) * len(views))
        for a, au in enumerate(aus):
            column = list(model.aus).index(au)
            score = predictions.get(raw_column(au), predictions[intensity_column(au)]).to_numpy()
            for v, view in enumerate(views):
                mine = np.flatnonzero(predictions["view"].to_numpy() == view)
                top = rows[mine[np.argsort(-score[mine], kind="stable")[:frames]]]
                used[a, v, :len(top)] = top
                total = torch.zeros(size, size)
                for start in range(0, len(top), batch_size):
                    chunk = read(top[start:start + batch_size])
                    faces[a, v] += pixels_to_unit(chunk).sum(0)
                    total += input_gradient(model, chunk, column).sum(0).cpu()
                total = total.numpy()
                maps[a, v] = normalise(total)
                if box is not None and total.sum() > 0:
                    share[a, v] = float(total[box].sum() / total.sum())
                faces[a, v] /= max(1, len(top))
                bar.advance(task)
    return Saliency(aus, views, maps, faces, used, share)


def normalise(total: np.ndarray, percentile: float = 99.0) -> np.ndarray:
    scale = float(np.percentile(total, percentile))
    return np.clip(total / scale, 0.0, 1.0) if scale > 0 else np.zeros_like(total)


def overlay(face: np.ndarray, heat: np.ndarray, strength: float = 0.75) -> np.ndarray:
    """(S, S, 3) RGB: the grey face under the heat map (inferno), more opaque where the map is higher."""
    colours = pyplot().get_cmap("inferno")(heat)[..., :3]
    alpha = (strength * heat)[..., None]
    return (1 - alpha) * face[..., None] + alpha * colours


def plot_saliency(result: Saliency, path: str | os.PathLike, title: str) -> None:
    plt = pyplot()
    rows, cols = len(result.aus), len(result.views)
    fig, axes = plt.subplots(rows, cols, figsize=(1.25 * cols + 0.6, 1.25 * rows + 0.6), squeeze=False)
    for a, au in enumerate(result.aus):
        for v, view in enumerate(result.views):
            ax = axes[a, v]
            ax.imshow(overlay(result.faces[a, v], result.maps[a, v]), interpolation="bilinear")
            ax.set_xticks([])
            ax.set_yticks([])
            if a == 0:
                ax.set_title(f"view {view}", fontsize=8)
            if v == 0:
                ax.set_ylabel(au, fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path)


def saliency_title(name: str, frames: int, partition: str) -> str:
    return f"{name}: |d output / d pixels| over the {frames} frames with the highest predictions per AU and view " \
           f"({partition})"


def write_saliency(result: Saliency, out: str | os.PathLike, title: str) -> Path:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / "saliency.npz") as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, maps=result.maps, faces=result.faces, aus=np.array(result.aus),
                            views=np.array(result.views), rows=result.rows, face_share=result.face_share)
    plot_saliency(result, out / "saliency.png", title)
    return out / "saliency.png"


def draw_saliency(model: str | os.PathLike, store: FrameStore | str, out: str | os.PathLike, *,
            partition: str = EVAL_PARTITION, frames: int = SALIENCY_FRAMES, aus: list[str] | None = None,
            device: str = "cpu", batch_size: int = SALIENCY_BATCH, progress: bool = True) -> Path:
    """`poseau saliency`: predict ``partition``, then draw the maps of the top ``frames`` per AU and view."""
    check_options(frames=frames, batch_size=batch_size)
    out = out_folder(out)
    store = open_store(store)
    net = load_model(model, device=device)
    rows = partition_rows(store, partition)
    predictions = predict_store(net, store, rows, progress=progress)
    result = saliency_maps(net, store, predictions, rows, frames=frames, aus=aus, batch_size=batch_size,
                           progress=progress)
    path = write_saliency(result, out, saliency_title(model_name(model), frames, partition))
    log.info("saliency maps: %s", path)
    return path
