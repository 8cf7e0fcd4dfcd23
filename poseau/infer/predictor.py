"""`poseau.Predictor`: a model and a face detector loaded once, then AU intensities of any number of videos,
image sequences, a capture loop's frames or face crops; `predict_video` and `predict_images` for one call.

    predictor = poseau.Predictor()               # the shipped model; or Predictor("runs/inv", median=3)
    for path in videos:
        table = predictor.video(path)            # one row per frame and face (poseau.infer.predict)

Every method returns the table `poseau predict` writes (columns in poseau.infer.predict's docstring).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from poseau.data.video import count_frames
from poseau.errors import PoseauError
from poseau.infer.cutter import FaceCutter
from poseau.infer.predict import (
    finished_table,
    model_detector,
    prediction_table,
    score_entries,
    scored,
    smooth_faces,
)
from poseau.infer.runners import load_runner
from poseau.infer.sources import Frame, existing_file, image_files
from poseau.models.shipped import DEFAULT_MODEL
from poseau.options import DETECT_EVERY, SEQUENCE_FPS, PredictOptions, check_options, segment_step
from poseau.progress import progress_bar


class Predictor:
    """``model``: a shipped model's name (default: poseau's own, poseau.models.shipped), a model file, a run
    folder, an .onnx file, or a model or runner in memory. The options are PredictOptions': ``runtime`` auto
    (onnxruntime on the model's ONNX file where it has one, as the shipped models do, without importing torch),
    torch or onnx; ``device``; ``detector`` a name or a detector (default: the one that framed
    the model's training faces); ``all_faces`` (default: the largest face); ``median`` filter width along
    each face's frames (1: none); ``crop_scale`` (default: the model's); ``detect_every``: on a video the
    detector runs on every so many frames and the face is followed between; ``batch_size`` faces per network
    call. ``progress``: a progress bar per input."""

    def __init__(self, model=DEFAULT_MODEL, *, runtime: str = "auto", device: str = "cpu", detector=None,
                 all_faces: bool = False, median: int = 1, crop_scale: float | None = None,
                 detect_every: int = DETECT_EVERY, batch_size: int | None = None, progress: bool = False):
        self.options = PredictOptions(runtime=runtime, device=device, detector=detector, all_faces=all_faces,
                                      median=median, crop_scale=crop_scale, detect_every=detect_every,
                                      batch_size=batch_size)
        self.runner = load_runner(model, runtime=runtime, device=device)
        self.cutter = FaceCutter(self.runner.preprocessing.for_faces(crop_scale), model_detector(self.runner, detector),
                                 self.options)
        self.progress = progress

    @property
    def framing(self):
        """How a face becomes the network's input (poseau.data.preprocess.Preprocessing)."""
        return self.cutter.framing

    @property
    def detector(self):
        return self.cutter.detector

    @property
    def aus(self) -> tuple[str, ...]:
        return self.runner.aus

    def video(self, path: str | os.PathLike) -> pd.DataFrame:
        """The table of a video (anything PyAV decodes; timestamps are its frames' own)."""
        path = existing_file(path)
        return self._table(partial(self.cutter.video, path), str(path), count_frames(path))

    def video_segment(self, path: str | os.PathLike, start: int, stop: int, total: int) -> pd.DataFrame:
        """The rows of a video's frames at 0-based positions ``start`` to ``stop`` - 1 of ``total``, before the
        median filter: a piece of ``video(path)`` that equals its rows to the last bit (the filter run on the
        pieces put together, poseau.infer.batch.join_pieces) where ``start`` and ``stop`` are multiples of
        ``segment_step`` (one face a frame)."""
        return self.score(self.cutter.video_segment(path, start, stop, total))

    def score(self, entries) -> pd.DataFrame:
        """The table of FaceCutter entries (or a Cut's), unfiltered: the network run on their faces."""
        return score_entries(entries, self.runner, self.options.batch_size, self.options.all_faces)

    @property
    def segment_step(self) -> int:
        """Where a video may be cut into pieces that equal the whole (poseau.infer.predict.segment_step)."""
        return segment_step(self.options.detect_every, self.options.batch_size)

    def images(self, paths, *, fps: float = SEQUENCE_FPS) -> pd.DataFrame:
        """The table of images: a file, a list of files, or a folder (an image sequence in name order, at ``fps``
        for the timestamps; the median filter runs along it). Of several files, those that cannot be read are
        left out and their errors listed in ``table.attrs["unreadable"]``. The detector runs on every image."""
        check_options(fps=fps)
        paths = [Path(paths)] if isinstance(paths, str | os.PathLike) else [Path(p) for p in paths]
        files = [f for p in paths for f in image_files(p)]
        unreadable: list[PoseauError] = []
        table = self._table(partial(self.cutter.images, files, fps, unreadable), str(paths[0]), len(files))
        table.attrs["unreadable"] = [str(e) for e in unreadable]
        return table

    def frames(self, frames: Iterable[np.ndarray], *, fps: float = SEQUENCE_FPS, name: str = "frames") -> pd.DataFrame:
        """The table of frames from your own capture loop or webcam: (H, W, 3) RGB or (H, W) grey uint8 arrays,
        in order, at ``fps`` (for the timestamps); followed as a video is."""
        check_options(fps=fps)
        total = len(frames) if hasattr(frames, "__len__") else None
        return self._table(partial(self.cutter.entries, _numbered(frames, fps, name), self.options.detect_every),
                           name, total)

    def overlay(self, frames: Iterable[np.ndarray], table: pd.DataFrame, *, fps: float = SEQUENCE_FPS) -> \
            Iterator[np.ndarray]:
        """Each of ``frames`` (as given to ``frames``) with its rows of ``table`` drawn on it: the face box, the AU
        intensities as bars on 0-5, the pose group, the time (poseau.infer.overlay; `predict --overlay` writes
        the same for a video)."""
        from poseau.infer.overlay import overlay_frames

        return overlay_frames(_numbered(frames, fps, "frames"), table, self.aus)

    def faces(self, crops) -> pd.DataFrame:
        """The table of face crops you cut yourself, framed as the model's own crops are (a square of
        ``crop_scale`` x the face box around it): a (B, H, W) or (B, H, W, 3) uint8 array or a list of (H, W)
        or (H, W, 3) arrays. One row per crop (frame 1, 2, ...), the crop's whole extent as its box."""
        whole = dataclasses.replace(self.framing, face_crop=False)

        def entries() -> Iterator[tuple[dict, np.ndarray]]:
            for i, crop in enumerate(crops):
                crop = _image(crop, f"face {i + 1}")
                height, width = crop.shape[:2]
                yield ({"frame": i + 1, "face_id": 0, "timestamp": np.nan, "confidence": np.nan, "success": 1,
                        "face_x": 0, "face_y": 0, "face_w": width, "face_h": height}, whole(crop))

        rows = scored(entries(), self.runner, self.options.batch_size)
        if not rows:
            raise PoseauError("faces: no face crops given")
        return smooth_faces(prediction_table(rows, self.aus), self.options.median)

    def _table(self, entries, source: str, total: int | None) -> pd.DataFrame:
        """``entries(on_frame)``: the input's FaceCutter entries; ``total``: its frames (for the progress bar)."""
        with progress_bar(self.progress) as bar:
            task = bar.add_task(Path(source).name[:24], total=total)
            table = self.score(entries(lambda: bar.advance(task)))
        return finished_table(table, source, self.options.median)


def _image(image, what: str) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 3)):
        raise PoseauError(f"{what}: expected an (H, W, 3) RGB or (H, W) grey uint8 image, got {image.dtype} "
                          f"of shape {image.shape}")
    return image


def _numbered(frames: Iterable[np.ndarray], fps: float, name: str) -> Iterator[Frame]:
    for i, image in enumerate(frames):
        image = _image(image, f"{name}: frame {i + 1}")
        yield Frame(i + 1, i / fps, np.repeat(image[..., None], 3, 2) if image.ndim == 2 else image)


def predict_video(path: str | os.PathLike, model=DEFAULT_MODEL, **options) -> pd.DataFrame:
    """The table of one video: ``Predictor(model, **options).video(path)``; for several, make one Predictor."""
    return Predictor(model, **options).video(path)


def predict_images(paths, model=DEFAULT_MODEL, *, fps: float = SEQUENCE_FPS, **options) -> pd.DataFrame:
    """The table of images: ``Predictor(model, **options).images(paths, fps=fps)``."""
    return Predictor(model, **options).images(paths, fps=fps)
