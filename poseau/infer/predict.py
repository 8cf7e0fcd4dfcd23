"""From frames to the per-frame table of `poseau predict` (poseau.infer.predictor.Predictor runs it).

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

import queue
import threading
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from poseau.constants import POSE_COLUMNS, intensity_columns
from poseau.data.preprocess import Preprocessing
from poseau.data.smoothing import smooth_sequences
from poseau.errors import PoseauError
from poseau.faces.detect import Face, make_detector
from poseau.faces.track import FaceTracker, follow
from poseau.infer.sources import Frame
from poseau.threads import one_detector_thread

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
        one_detector_thread()  # OpenMP's thread count is this thread's own: set here, where detection runs
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
    with EfficientNet-Lite0: 32 best at 64 px, 4-8 at 224 px). Each divides options.DEFAULT_BATCHES."""
    return 32 if size <= 112 else 8


def face_entries(frames: Iterable[Frame], detector, framing: Preprocessing, *, all_faces: bool = False,
                 detect_every: int = 1, on_frame=None) -> Iterator[tuple[dict, np.ndarray | None]]:
    """(row, face) for each face of ``frames``, the face cut by ``framing``, and (row, None) for a frame without
    one; ``detect_every`` > 1 (one face only): the face is detected on every so many frames and followed between;
    ``on_frame()`` after each frame. The rows have the table's keys and face box, not yet its intensities."""
    tracker = FaceTracker()
    for frame, faces in detected(frames, detector, every=1 if all_faces else detect_every):
        faces = faces if all_faces else faces[:1]
        base = {"frame": frame.number, "timestamp": frame.timestamp, **({"file": frame.file} if frame.file else {})}
        if not faces:
            yield {**base, "face_id": 0, "confidence": 0.0, "success": 0}, None
        ids = tracker.assign(faces) if all_faces else [0] * len(faces)
        for face, fid in zip(faces, ids, strict=True):
            yield ({**base, "face_id": fid, "confidence": face.confidence, "success": 1,
                    **dict(zip(BOX_COLUMNS, face.box, strict=True))}, framing(frame.image, face.box))
        if on_frame:
            on_frame()


def score_entries(entries: Iterable[tuple[dict, np.ndarray | None]], runner, batch_size: int | None = None,
                  all_faces: bool = False) -> pd.DataFrame:
    """The table of ``face_entries``' entries, their faces scored by ``runner``."""
    return prediction_table(scored(entries, runner, batch_size, by_frame=not all_faces), runner.aus)


def scored(entries: Iterable[tuple[dict, np.ndarray | None]], runner, batch_size: int | None = None,
           by_frame: bool = False) -> list[dict]:
    """The rows of (row, face or None) ``entries``, those with a face given the network's intensities and pose
    probabilities, ``batch_size`` faces a call (default: ``default_batch``). ``by_frame`` (one face a frame):
    a call takes the faces of frames (number - 1) // batch_size alike, so that the same frames are scored
    together however the video is cut into segments (poseau.infer.batch), to the last bit."""
    batch_size = batch_size or default_batch(runner.size)
    columns = intensity_columns(runner.aus)
    rows: list[dict] = []
    pending: list[tuple[dict, np.ndarray]] = []

    def flush() -> None:
        if not pending:
            return
        intensity, pose = runner(np.stack([face for _, face in pending]))
        for k, (row, _) in enumerate(pending):
            row.update(zip(columns, intensity[k].tolist(), strict=True))
            if pose is not None:
                row.update(zip(POSE_COLUMNS, pose[k].tolist(), strict=True))
        pending.clear()

    window = None
    for row, face in entries:
        rows.append(row)
        if face is None:
            continue
        if by_frame and pending and (row["frame"] - 1) // batch_size != window:
            flush()
        window = (row["frame"] - 1) // batch_size
        pending.append((row, face))
        if len(pending) >= batch_size:
            flush()
    flush()
    return rows


def prediction_table(rows: list[dict], aus) -> pd.DataFrame:
    """The rows in the table's column order: keys, intensities, pose probabilities (where the model has them),
    the face box and the file (for images)."""
    table = pd.DataFrame(rows)
    columns = ["frame", "face_id", "timestamp", "confidence", "success", *intensity_columns(aus)]
    has_pose = any(c in table for c in POSE_COLUMNS)
    columns += (list(POSE_COLUMNS) if has_pose else []) + BOX_COLUMNS + (["file"] if "file" in table else [])
    table = table.reindex(columns=columns)
    table[["frame", "face_id", "success"]] = table[["frame", "face_id", "success"]].astype(int)
    return table


def finished_table(table: pd.DataFrame, source: str, median: int) -> pd.DataFrame:
    """A whole input's rows, checked (frames, and a face in one of them) and median-filtered per face."""
    if table.empty:
        raise PoseauError(f"{source}: no frames")
    if not table["success"].any():
        raise PoseauError(f"{source}: no face found in any of its {table['frame'].nunique()} frames")
    return smooth_faces(table, median)


def smooth_faces(table: pd.DataFrame, width: int) -> pd.DataFrame:
    """Each face's AU intensities median-filtered along its successful frames, in frame order."""
    if width <= 1:
        return table
    out = table.copy()
    columns = [c for c in intensity_columns() if c in table]
    found = table[table["success"] == 1]
    out.loc[found.index, columns] = smooth_sequences(found, columns, width, keys=("face_id",))[columns]
    return out


def model_detector(runner, detector=None):
    """``detector`` (a name or a detector), or by default the one that found the model's training faces
    (where its frames were face crops), else "auto"."""
    if detector is None:
        detector = runner.preprocessing.face_detector or "auto"
    return make_detector(detector)
