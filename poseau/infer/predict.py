"""`poseau predict`: AU intensities per frame and face of images, image sequences and videos.

Each frame: detect faces (largest only, or all with face ids kept across frames by box overlap), make each
face's input with the model's own preprocessing (``Preprocessing.for_faces``: the crop its training faces
had; a whole-frame model gets a square of its crop_scale, DEFAULT_CROP_SCALE unless its store said
otherwise, around the face box), and run the network in batches. One row per face and frame, and one row
with success = 0 for a frame without a face. Columns (OpenFace's names where they mean the same):

    frame, face_id, timestamp, confidence, success, AU01_r ... AU17_r, pose_up, pose_level, pose_down,
    face_x, face_y, face_w, face_h   (and file, for images)

Video timestamps are the decoded frames' own (variable frame rate included), in seconds.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from poseau.config import DETECT_EVERY, SEQUENCE_FPS, check_options
from poseau.constants import POSE_COLUMNS
from poseau.data.smoothing import smooth_sequences
from poseau.data.video import count_frames
from poseau.errors import PoseauError
from poseau.faces.detect import Face, make_detector
from poseau.faces.track import FaceTracker, follow
from poseau.infer.runners import load_runner
from poseau.infer.sources import Frame, image_files, image_frames, video_frames
from poseau.models.shipped import DEFAULT_MODEL
from poseau.progress import progress_bar

log = logging.getLogger(__name__)
BOX_COLUMNS = ["face_x", "face_y", "face_w", "face_h"]


_END = object()


def detected(frames: Iterable[Frame], detector, ahead: int = 64,
             every: int = 1) -> Iterator[tuple[Frame, list[Face]]]:
    """(frame, faces) pairs, decoded and detected by a background thread up to ``ahead`` frames before the
    caller needs them: decoding and detection run in C, so they overlap with the network's work. ``every`` > 1:
    the largest face only, detected on every ``every``-th frame and followed between (poseau.faces.track.follow)."""
    pairs_of = ((f, detector.detect_all(f.image)) for f in frames) if every <= 1 else \
        follow(frames, detector.detect_all, every, image=lambda f: f.image)
    pairs: queue.Queue = queue.Queue(ahead)
    stop = threading.Event()

    def offer(item) -> bool:
        while not stop.is_set():
            try:
                pairs.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for pair in pairs_of:
                if not offer(pair):
                    return
        except BaseException as exc:  # handed to the caller, raised there
            offer(exc)
            return
        offer(_END)

    thread = threading.Thread(target=work, name="poseau-detect", daemon=True)
    thread.start()
    try:
        while (item := pairs.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def default_batch(size: int) -> int:
    """Faces per network call: large batches pay at small inputs, small ones at large (CPU cache; measured
    with EfficientNet-Lite0: 32 best at 64 px, 4-8 at 224 px)."""
    return 32 if size <= 112 else 8


def predict_frames(frames: Iterable[Frame], runner, detector, *, all_faces: bool = False,
                   crop_scale: float | None = None, batch_size: int | None = None, detect_every: int = 1,
                   on_frame=None) -> pd.DataFrame:
    """The per-frame table of ``frames`` (see the module's docstring); ``crop_scale`` overrides the model's;
    ``detect_every`` > 1 (one face only): the face is detected on every so many frames and followed between;
    ``on_frame()`` after each frame."""
    batch_size = batch_size or default_batch(runner.size)
    framing = runner.preprocessing.for_faces(crop_scale)
    tracker = FaceTracker()
    rows: list[dict] = []
    pending: list[tuple[int, np.ndarray]] = []
    aus = [f"{au}_r" for au in runner.aus]

    def flush() -> None:
        if not pending:
            return
        intensity, pose = runner(np.stack([face for _, face in pending]))
        for k, (row, _) in enumerate(pending):
            rows[row].update(zip(aus, intensity[k].tolist(), strict=True))
            if pose is not None:
                rows[row].update(zip(POSE_COLUMNS, pose[k].tolist(), strict=True))
        pending.clear()

    for frame, faces in detected(frames, detector, every=1 if all_faces else detect_every):
        faces = faces if all_faces else faces[:1]
        base = {"frame": frame.number, "timestamp": frame.timestamp, **({"file": frame.file} if frame.file else {})}
        if not faces:
            rows.append({**base, "face_id": 0, "confidence": 0.0, "success": 0})
        ids = tracker.assign(faces) if all_faces else [0] * len(faces)
        for face, fid in zip(faces, ids, strict=True):
            rows.append({**base, "face_id": fid, "confidence": face.confidence, "success": 1,
                         **dict(zip(BOX_COLUMNS, face.box, strict=True))})
            pending.append((len(rows) - 1, framing(frame.image, face.box)))
        if len(pending) >= batch_size:
            flush()
        if on_frame:
            on_frame()
    flush()
    columns = ["frame", "face_id", "timestamp", "confidence", "success", *aus]
    table = pd.DataFrame(rows)
    has_pose = any(c in table for c in POSE_COLUMNS)
    columns += (list(POSE_COLUMNS) if has_pose else []) + BOX_COLUMNS + (["file"] if "file" in table else [])
    table = table.reindex(columns=columns)
    table[["frame", "face_id", "success"]] = table[["frame", "face_id", "success"]].astype(int)
    return table


def smooth_faces(table: pd.DataFrame, width: int) -> pd.DataFrame:
    """Each face's AU intensities median-filtered along its successful frames, in frame order."""
    if width <= 1:
        return table
    out = table.copy()
    columns = [c for c in table if c.endswith("_r")]
    found = table[table["success"] == 1]
    out.loc[found.index, columns] = smooth_sequences(found, columns, width, keys=("face_id",))[columns]
    return out


def model_detector(runner, detector=None):
    """``detector`` (a name or a detector), or by default the one that found the model's training faces
    (where its frames were face crops), else "auto"."""
    if detector is None:
        detector = runner.preprocessing.face_detector or "auto"
    return make_detector(detector)


def _run(frames: Iterable[Frame], source: str, total: int | None, model, *, detector, all_faces, median,
         batch_size, device, runtime, crop_scale, progress, detect_every: int = 1) -> pd.DataFrame:
    check_options(median=median, crop_scale=crop_scale, batch_size=batch_size, detect_every=detect_every)
    runner = load_runner(model, runtime=runtime, device=device)
    detector = model_detector(runner, detector)
    with progress_bar(progress) as bar:
        task = bar.add_task(Path(source).name[:24], total=total)
        table = predict_frames(frames, runner, detector, all_faces=all_faces, crop_scale=crop_scale,
                               batch_size=batch_size, detect_every=detect_every, on_frame=lambda: bar.advance(task))
    if table.empty:
        raise PoseauError(f"{source}: no frames")
    if not table["success"].any():
        raise PoseauError(f"{source}: no face found in any of its {table['frame'].nunique()} frames")
    return smooth_faces(table, median)


def predict_video(path: str | os.PathLike, model=DEFAULT_MODEL, *, detector=None, all_faces: bool = False,
                  median: int = 1, batch_size: int | None = None, device: str = "cpu", runtime: str = "torch",
                  crop_scale: float | None = None, detect_every: int = DETECT_EVERY,
                  progress: bool = False) -> pd.DataFrame:
    """The per-frame AU table of a video (anything PyAV decodes). ``model``: a shipped model's name (default:
    poseau's own, poseau.models.shipped), a model file, run folder, .onnx file (runtime "onnx"), or a model or
    runner in memory; ``detector``: a name or detector (default: the model's, see ``model_detector``);
    ``median``: filter width (1: none); ``detect_every``: the face detector runs on every so many frames and the
    face is followed between (1: every frame; ``all_faces`` detects every frame)."""
    path = Path(path)
    if not path.is_file():
        raise PoseauError(f"{path}: no such file")
    total = count_frames(path)
    return _run(video_frames(path), str(path), total, model, detector=detector, all_faces=all_faces, median=median,
                batch_size=batch_size, device=device, runtime=runtime, crop_scale=crop_scale, progress=progress,
                detect_every=detect_every)


def predict_images(paths, model=DEFAULT_MODEL, *, detector=None, all_faces: bool = False, median: int = 1,
                   fps: float = SEQUENCE_FPS, batch_size: int | None = None, device: str = "cpu",
                   runtime: str = "torch", crop_scale: float | None = None, progress: bool = False) -> pd.DataFrame:
    """The AU table of images: a file, a list of files, or a folder (an image sequence, in name order, at
    ``fps`` for the timestamps; ``median`` filters along it). Of several files, those that cannot be read are
    left out and their errors listed in ``table.attrs["unreadable"]``."""
    check_options(fps=fps)
    paths = [Path(paths)] if isinstance(paths, str | os.PathLike) else [Path(p) for p in paths]
    files = [f for p in paths for f in image_files(p)]
    unreadable: list[PoseauError] = []
    table = _run(image_frames(files, fps, unreadable if len(files) > 1 else None), str(paths[0]), len(files), model,
                 detector=detector, all_faces=all_faces, median=median, batch_size=batch_size, device=device,
                 runtime=runtime, crop_scale=crop_scale, progress=progress)
    table.attrs["unreadable"] = [str(e) for e in unreadable]
    return table
