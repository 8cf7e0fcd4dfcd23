"""The frame store: every indexed frame decoded once and preprocessed into one memory-mapped array.

    STORE/frames.npy   (N, S, S) uint8, row i = row i of the index (np.load(..., mmap_mode="r"))
    STORE/landmarks.npy  with PrepareConfig.landmarks: (N, 68, 2) float32, where the face model's landmarks
                       fall in each frame as fractions of its side (x, y from the top left; NaN where unknown)
    STORE/index.csv    the frame index (see poseau.data.index)
    STORE/store.json   what was prepared and how: config, preprocessing, shape, the files left out
    STORE/prepare.yaml the PrepareConfig

store.json is written last, so its presence means the store is finished. While preparing, STORE/.prepare
holds the plan (config and a hash of the index) and a log of the finished work units (one video, or up
to IMAGE_CHUNK images of a sequence); a killed prepare started again with the same config skips the
logged units and ends byte-identical to an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from poseau.config import PrepareConfig, from_dict, save_config, to_dict
from poseau.constants import AUS, LANDMARK_SHAPE
from poseau.data.fera2017 import landmarks_path
from poseau.data.index import KEY_COLUMNS, Problems, filter_index, labels_of, pose_groups, summary
from poseau.data.preprocess import FaceFramer, Preprocessing
from poseau.data.readers import ALL_FRAMES_INDEXED, read_dataset, source_base
from poseau.data.video import decode
from poseau.errors import PoseauError
from poseau.faces.boxes import within
from poseau.faces.detect import face_detector_name
from poseau.fileio import atomic_path, out_folder, write_text_atomic
from poseau.progress import progress_bar
from poseau.threads import single_threaded

log = logging.getLogger(__name__)

STORE_FORMAT = 1
LANDMARKS = "landmarks.npy"
IMAGE_CHUNK = 256
INDEX_DTYPES = {"partition": str, "subject": str, "task": str, "source": str}


Bad = tuple[list[int], str, str]  # a bad file of a work unit: the store rows it leaves out, the file, the reason


@dataclass(frozen=True)
class Unit:
    """One piece of work: a video (rows at decoded positions) or a chunk of image files of one sequence."""

    uid: int
    sources: tuple[str, ...]       # one video, or one image per row
    rows: tuple[int, ...]          # store rows, in order
    positions: tuple[int, ...]     # decoded positions in the video; -1 for images
    expected_frames: int | None    # the video's frame count per the labels, checked on decoding


class FrameStore:
    """A finished store, opened read-only; the frames are memory-mapped on first use."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        meta = self.path / "store.json"
        if not meta.is_file():
            raise PoseauError(f"{self.path}: not a finished frame store (no store.json); run `poseau prepare`")
        self.meta = json.loads(meta.read_text())
        if self.meta.get("format") != STORE_FORMAT:
            raise PoseauError(f"{meta}: store format {self.meta.get('format')}, this poseau reads {STORE_FORMAT}")
        self.index = pd.read_csv(self.path / "index.csv", dtype=INDEX_DTYPES, keep_default_na=False)
        self.size = int(self.meta["size"])

    def __len__(self) -> int:
        return len(self.index)

    @cached_property
    def frames(self) -> np.ndarray:
        frames = np.load(self.path / "frames.npy", mmap_mode="r")
        if frames.shape != (len(self.index), self.size, self.size):
            raise PoseauError(f"{self.path / 'frames.npy'}: shape {frames.shape} does not match the index")
        return frames

    @cached_property
    def landmarks(self) -> np.ndarray | None:
        """(N, 68, 2) landmarks on 0-1 of each frame, or None for a store prepared without them."""
        if not self.meta.get("landmarks"):
            return None
        return np.load(self.path / LANDMARKS, mmap_mode="r")

    @cached_property
    def preprocessing(self) -> Preprocessing:
        """How the frames were made: what a model trained on them is built with."""
        return Preprocessing.from_dict(self.meta["preprocessing"], str(self.path / "store.json"))

    @cached_property
    def labels(self) -> np.ndarray:
        return labels_of(self.index)

    @cached_property
    def views(self) -> np.ndarray:
        return self.index["view"].to_numpy(np.int64)

    @cached_property
    def pose_groups(self) -> np.ndarray:
        return pose_groups(self.views)

    def __getstate__(self):  # DataLoader workers re-open the memory map instead of pickling it
        state = self.__dict__.copy()
        state.pop("frames", None)
        state.pop("landmarks", None)
        return state


def open_store(store: FrameStore | str | os.PathLike) -> FrameStore:
    """``store`` itself when it is open already, else the finished store at that path."""
    return store if isinstance(store, FrameStore) else FrameStore(store)


def store_preprocessing(config: PrepareConfig) -> Preprocessing:
    """The preprocessing ``config`` asks for, with the face detector that will find the boxes."""
    return Preprocessing(size=config.size, face_crop=config.face_crop, crop_scale=config.crop_scale,
                         face_detector=face_detector_name() if config.face_crop else "")


def prepare(config: PrepareConfig, out: str | os.PathLike, *, workers: int | None = None,
            progress: bool = True) -> FrameStore:
    """Read the dataset, decode and preprocess every indexed frame into ``out``; resume a killed run."""
    out = out_folder(out)
    problems = Problems(skip_bad=config.skip_bad)
    full = read_dataset(config.dataset, config.root, problems=problems)
    index = filter_index(full, config.views, config.partitions, config.every)
    if index.empty:
        raise PoseauError(f"{config.root}: no frames left to prepare (check the views, partitions and --every)")
    plan = {"config": to_dict(config), "index_sha256": _index_hash(index)}
    if (out / "store.json").is_file():
        finished = json.loads((out / "store.json").read_text())
        if not _same_plan(finished, plan):
            raise PoseauError(f"{out}: already holds a store of another config or dataset; choose a new folder")
        log.info("%s is already prepared", out)
        return FrameStore(out)
    log.info("%s: %s", config.root, summary(index))
    units = plan_units(config, full, index)

    work = out / ".prepare"
    done = _start_or_resume(out, work, plan, shape=(len(index), config.size, config.size), landmarks=config.landmarks)
    todo = [u for u in units if u.uid not in done]
    if len(todo) < len(units):
        log.info("resuming: %d of %d work units already done", len(units) - len(todo), len(units))

    base = source_base(config.dataset, config.root)
    failed = {uid: bad for uid, bad in done.items() if bad}
    with open(work / "done.tsv", "a") as done_log, progress_bar(progress) as bar:
        task = bar.add_task("prepare", total=len(index), completed=sum(len(units[uid].rows) for uid in done))
        for uid, bad in _run_units(todo, out / "frames.npy", base, config, workers):
            for _, source, reason in bad:
                if not config.skip_bad:
                    raise PoseauError(f"{base / source}: {reason}")
                log.warning("skipped %s: %s", base / source, reason)
            if bad:
                failed[uid] = bad
            done_log.write(f"{uid}\t{json.dumps(bad)}\n")
            done_log.flush()
            bar.advance(task, len(units[uid].rows))
    skipped = problems.bad + [(source, reason) for uid in sorted(failed) for _, source, reason in failed[uid]]
    return _finish(out, config, plan, index, failed, skipped)


def plan_units(config: PrepareConfig, full: pd.DataFrame, index: pd.DataFrame) -> list[Unit]:
    """Work units in store order; a video's expected frame count comes from the unfiltered index."""
    counts = full.groupby("source").size() if config.dataset in ALL_FRAMES_INDEXED else None
    units: list[Unit] = []
    rows = np.arange(len(index))
    videos = index[index["position"] >= 0]
    for video, part in videos.groupby("source", sort=False):
        units.append(Unit(len(units), (video,), tuple(rows[part.index]), tuple(part["position"]),
                          int(counts[video]) if counts is not None else None))
    images = index[index["position"] < 0]
    for _, sequence in images.groupby(list(KEY_COLUMNS), sort=False):
        for start in range(0, len(sequence), IMAGE_CHUNK):
            chunk = sequence.iloc[start:start + IMAGE_CHUNK]
            units.append(Unit(len(units), tuple(chunk["source"]), tuple(rows[chunk.index]),
                              (-1,) * len(chunk), None))
    return units


def _same_plan(recorded: dict, plan: dict) -> bool:
    """Whether a recorded plan is ``plan``; options added since it was recorded count as their defaults. The
    dataset's folder may have moved (a run folder moved whole): its index, whose paths are relative to that
    folder, and every other option must be the same."""
    try:
        config = from_dict(PrepareConfig, recorded.get("config", {}))
    except (PoseauError, TypeError):
        return False
    return ({**to_dict(config), "root": None} == {**plan["config"], "root": None}
            and recorded.get("index_sha256") == plan["index_sha256"])


def _index_hash(index: pd.DataFrame) -> str:
    return hashlib.sha256(index.to_csv(index=False).encode()).hexdigest()


def _start_or_resume(out: Path, work: Path, plan: dict, shape: tuple[int, ...],
                     landmarks: bool) -> dict[int, list[Bad]]:
    """Finished units {uid: their bad files} of an interrupted run with the same plan, else a fresh start."""
    plan_file, log_file, frames = work / "plan.json", work / "done.tsv", out / "frames.npy"
    if plan_file.is_file():
        if not _same_plan(json.loads(plan_file.read_text()), plan):
            raise PoseauError(f"{out}: holds an unfinished prepare of another config or dataset; "
                              "choose a new folder or delete it")
        if frames.is_file() and log_file.is_file():
            done = {}
            for line in log_file.read_text().splitlines():
                uid, _, bad = line.partition("\t")
                if uid.isdigit() and bad:
                    done[int(uid)] = [tuple(b) for b in json.loads(bad)]
            return done
    elif out.is_dir() and any(out.iterdir()):
        raise PoseauError(f"{out}: folder exists and is not a frame store; choose a new or empty folder")
    work.mkdir(parents=True, exist_ok=True)
    write_text_atomic(plan_file, json.dumps(plan, indent=1))  # first, so that the folder is known as ours
    np.lib.format.open_memmap(frames, mode="w+", dtype=np.uint8, shape=shape).flush()
    if landmarks:
        marks = np.lib.format.open_memmap(out / LANDMARKS, mode="w+", dtype=np.float32,
                                          shape=(shape[0], *LANDMARK_SHAPE))
        marks[:] = np.nan
    log_file.write_text("")
    return {}


_worker: dict = {}


def _init_worker(frames_path: Path, base: Path, config: PrepareConfig) -> None:
    cv2.setNumThreads(1)
    marks = frames_path.with_name(LANDMARKS)
    _worker.update(frames=np.load(frames_path, mmap_mode="r+"), base=base, config=config,
                   landmarks=np.load(marks, mmap_mode="r+") if config.landmarks else None)


def _init_pool_worker(frames_path: Path, base: Path, config: PrepareConfig) -> None:
    # one thread per worker process in every native pool: YuNet's OpenMP threads, competing across workers,
    # made face detection 25x slower (121 ms a frame against 4.6, measured at 112 px on 2 cores)
    single_threaded()
    _init_worker(frames_path, base, config)


def rows_of(unit: Unit) -> list[int]:
    return [int(r) for r in unit.rows]


def _do_unit(unit: Unit) -> tuple[int, list[Bad]]:
    """Fill the unit's rows; (uid, its bad files): each (store rows left out, file, reason). A bad video
    leaves out all its rows; a bad image its own row only."""
    frames, base, config = _worker["frames"], _worker["base"], _worker["config"]
    pre = FaceFramer(store_preprocessing(config))
    bad: list[Bad] = []
    source = unit.sources[0]
    try:
        if unit.positions[0] < 0:
            for row, source in zip(unit.rows, unit.sources, strict=True):
                image = cv2.imread(str(base / source), cv2.IMREAD_GRAYSCALE)
                if image is None:
                    bad.append(([int(row)], source, "cannot be read as an image (empty, damaged or not an image)"))
                    continue
                frames[row] = pre(image)
        else:
            wanted = dict(zip(unit.positions, unit.rows, strict=True))
            marks = _video_landmarks(base / source) if config.landmarks else None
            n = 0
            for n, frame in enumerate(decode(base / source), start=1):
                if (row := wanted.get(n - 1)) is not None:
                    frames[row] = pre(frame.to_ndarray(format="rgb24"))
                    if marks is not None and n <= len(marks):
                        _worker["landmarks"][row] = within(marks[n - 1], pre.region)
            if unit.expected_frames is not None and n != unit.expected_frames:
                bad.append((rows_of(unit), source, f"{n} frames decoded but the labels have {unit.expected_frames} "
                                                     "rows"))
            elif n < max(unit.positions) + 1:
                bad.append((rows_of(unit), source, f"{n} frames decoded, fewer than the labelled frame "
                                                     f"{max(unit.positions) + 1}"))
    except PoseauError as exc:
        return unit.uid, [(rows_of(unit), source, str(exc).removeprefix(f"{base / source}: "))]
    frames.flush()
    if _worker["landmarks"] is not None:
        _worker["landmarks"].flush()
    return unit.uid, bad


def _video_landmarks(video: Path) -> np.ndarray:
    """The (frames, 68, 2) landmarks in pixels that `poseau synth` wrote beside ``video``."""
    path = landmarks_path(video)
    try:
        marks = np.load(path)
    except (OSError, ValueError) as exc:
        raise PoseauError(f"{video}: no readable landmark file {path.name} (prepare --landmarks takes renders of "
                          f"`poseau synth`): {exc}") from None
    if marks.ndim != 3 or marks.shape[1:] != LANDMARK_SHAPE:
        raise PoseauError(f"{video}: {path.name} holds {marks.shape}, not (frames, 68, 2)")
    return marks


def _run_units(units: list[Unit], frames_path: Path, base: Path, config: PrepareConfig, workers: int | None):
    workers = max(1, min(workers or os.cpu_count() or 1, len(units)))
    if workers == 1:
        _init_worker(frames_path, base, config)
        try:
            yield from map(_do_unit, units)
        finally:
            _worker.clear()
        return
    # spawned, not forked: a fork of a process whose OpenCV or OpenMP pools had run (pretrain's training, with
    # --degrade's OpenCV calls) hung in the child's first cv2.setNumThreads
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, _init_pool_worker, (frames_path, base, config)) as pool:
        yield from pool.imap_unordered(_do_unit, units)


def _finish(out: Path, config: PrepareConfig, plan: dict, index: pd.DataFrame, failed: dict[int, list[Bad]],
            skipped: list[tuple[str, str]]) -> FrameStore:
    if failed:  # leave the bad files' rows out: copy the rest into a new array
        drop = np.zeros(len(index), bool)
        for bad in failed.values():
            for rows, _, _ in bad:
                drop[rows] = True
        keep = np.flatnonzero(~drop)
        old = np.load(out / "frames.npy", mmap_mode="r")
        with atomic_path(out / "frames.npy") as tmp:
            new = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(keep), *old.shape[1:]))
            for start in range(0, len(keep), 4096):
                new[start:start + 4096] = old[keep[start:start + 4096]]
            new.flush()
            del new, old
        if config.landmarks:
            marks = np.load(out / LANDMARKS)[keep]
            with atomic_path(out / LANDMARKS) as tmp, open(tmp, "wb") as file:
                np.save(file, marks)
        index = index.iloc[keep].reset_index(drop=True)
    if index.empty:
        raise PoseauError(f"{config.root}: every file was bad; nothing was prepared")
    with atomic_path(out / "index.csv") as tmp:
        index.to_csv(tmp, index=False)
    save_config(config, out / "prepare.yaml")
    meta = {
        "format": STORE_FORMAT, **plan, "size": config.size, "frames": len(index),
        "shape": [len(index), config.size, config.size], "dtype": "uint8", "aus": list(AUS),
        "root": str(Path(config.root).resolve()), "landmarks": config.landmarks,
        "preprocessing": store_preprocessing(config).to_dict(),
        "summary": summary(index),
        "skipped": [{"file": f, "reason": r} for f, r in skipped],
    }
    write_text_atomic(out / "store.json", json.dumps(meta, indent=1))
    shutil.rmtree(out / ".prepare")
    log.info("store %s: %s; %d files skipped", out, meta["summary"], len(skipped))
    return FrameStore(out)
