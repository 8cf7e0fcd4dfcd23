"""What each worker process of a `poseau predict` run (poseau.infer.batch) does with an input, and the pools of
such workers: a worker loads the model once (a Predictor), predicts the inputs it is given and writes each one's
outputs and record (the record last).
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import logging
import multiprocessing as mp
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass
from pathlib import Path

from poseau.constants import aus_in
from poseau.errors import PoseauError
from poseau.fileio import write_text_atomic
from poseau.infer.inputs import Input
from poseau.options import SEQUENCE_FPS, PredictOptions
from poseau.threads import limit_threads, thread_limits_kept

log = logging.getLogger(__name__)
INDEX_COLUMNS = ("input", "output", "frames", "faces", "seconds", "status", "error")


@dataclass(frozen=True)
class Work:
    """What every worker needs to predict an input as the others do."""

    model: str
    options: PredictOptions
    fps: float = SEQUENCE_FPS
    plot: bool = True
    overlay: bool = False

    def signature(self) -> dict:
        """What an output's record must say for the output to count as done by this run; the model file and the
        device checked here, before any worker starts (a worker that cannot start has no error to show)."""
        from poseau.models.locate import runtime_file

        if self.options.device != "cpu":
            from poseau.models.devices import torch_device

            torch_device(self.options.device)
        path = runtime_file(self.model, self.options.runtime, self.options.device)[0]
        if not path.is_file():
            raise PoseauError(f"{path}: no such poseau model file")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return {"model_sha256": digest, "options": asdict(self.options), "fps": self.fps}


@dataclass
class Outcome:
    key: str
    input: str
    output: str
    status: str
    frames: int = 0
    faces: int = 0
    seconds: float = 0.0
    error: str = ""

    def row(self) -> dict:
        return {c: getattr(self, c) for c in INDEX_COLUMNS}

    @classmethod
    def failed(cls, item: Input, error: str) -> Outcome:
        return cls(item.key, str(item.path), "", "failed", error=error)


def record_path(item: Input, out: Path) -> Path:
    return item.output(out, ".json")


def done_record(item: Input, out: Path, signature: dict, overlay: bool = False) -> dict | None:
    """Its record, where its table and record are there, the record says this run's model and options, and the
    overlay video is there where one is asked for."""
    try:
        record = json.loads(record_path(item, out).read_text())
    except (OSError, ValueError):
        return None
    wanted = [item.output(out)] + ([item.output(out, OVERLAY_SUFFIX)] if overlay and item.kind == "video" else [])
    return record if record.get("signature") == signature and all(p.is_file() for p in wanted) else None


OVERLAY_SUFFIX = "_overlay.mp4"
WORKER: dict = {}


def start_worker(work: Work, threads: int) -> None:
    limit_threads(threads)  # before the model and the detector load their libraries
    from poseau.infer.predictor import Predictor

    WORKER.update(work=work, predictor=Predictor(work.model, **asdict(work.options)))


def _predictor():
    return WORKER["predictor"]


def write_outputs(item: Input, out: Path, work: Work, signature: dict, table, started: float) -> Outcome:
    """Write the input's table, plot, overlay and record (the record last), and say what was done."""
    from poseau.infer.outputs import plot_intensities, write_csv

    csv = write_csv(table, item.output(out))
    if work.plot and item.kind != "image":
        plot_intensities(table, item.output(out, ".png"), f"{item.path.name}: AU intensity (0-5) per frame")
    if work.overlay and item.kind == "video":
        from poseau.infer.overlay import write_overlay

        write_overlay(item.path, table, item.output(out, OVERLAY_SUFFIX), aus_in(table.columns))
    frames, faces = int(table["frame"].nunique()), int(table.loc[table["success"] == 1, "frame"].nunique())
    seconds = time.perf_counter() - started
    write_text_atomic(record_path(item, out), json.dumps({"input": str(item.path), "key": item.key,
                                                          "signature": signature, "frames": frames, "faces": faces,
                                                          "seconds": round(seconds, 3)}, indent=1))
    return Outcome(item.key, str(item.path), str(csv.relative_to(out)), "done", frames, faces, round(seconds, 3))


def predict_one(item: Input, out: Path, signature: dict) -> Outcome:
    """Predict one input in this worker and write its outputs; a bad input is a failed outcome."""
    work, predictor = WORKER["work"], _predictor()
    started = time.perf_counter()
    try:
        if item.kind == "video":
            table = predictor.video(item.path)
        else:
            table = predictor.images(item.path, fps=work.fps)
        for error in table.attrs.get("unreadable", []):
            log.warning("%s; left out of %s", error, item.output(out).name)
        return write_outputs(item, out, work, signature, table, started)
    except PoseauError as exc:
        return Outcome.failed(item, str(exc))
    except Exception as exc:  # a fault of ours, not the input's: its trace logged, the run goes on
        log.exception("%s: unexpected error", item.path)
        return Outcome.failed(item, f"{item.path}: {type(exc).__name__}: {exc}")


def predict_piece(item: Input, start: int, stop: int, total: int):
    """The unfiltered rows of one piece of a long video (Predictor.video_segment), in this worker."""
    return _predictor().video_segment(item.path, start, stop, total)


class LocalPool:
    """A pool of ``jobs`` worker processes (spawned: torch and forked threads do not mix), ``threads`` each,
    each started by ``initializer(*initargs)`` (default: a Predictor of its own)."""

    def __init__(self, work: Work, jobs: int, threads: int, initializer=None, initargs=None):
        self.start = (initializer or start_worker, initargs or (work, threads))
        self.jobs = jobs
        self.pool = self._new()

    def _new(self) -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(self.jobs, mp_context=mp.get_context("spawn"), initializer=self.start[0],
                                      initargs=self.start[1])

    def submit(self, fn, *args) -> cf.Future:
        try:
            return self.pool.submit(fn, *args)
        except BrokenProcessPool:  # a worker died while the pool had nothing to do: a new pool takes the task
            self.restart()
            return self.pool.submit(fn, *args)

    def restart(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class SharedPool:
    """``jobs`` lanes: one in this process, a thread with a Predictor of its own (this process has loaded most of
    what a worker loads, and waits anyway), and a pool of ``jobs`` - 1 worker processes; the lane here takes a task
    whenever it is free. One spawned worker fewer: a 1008-frame video cut in two took about 7.3 CPU-s with two
    workers and 6.6 with one worker and this lane, 4.1 s wall instead of 4.5 (benchmarks/README.md)."""

    def __init__(self, work: Work, jobs: int, threads: int):
        self.pool = LocalPool(work, jobs - 1, threads)
        self.kept = thread_limits_kept()  # the lane limits this process's threads; put back on close
        self.kept.__enter__()
        self.here = cf.ThreadPoolExecutor(1, thread_name_prefix="poseau-lane", initializer=start_worker,
                                          initargs=(work, threads))
        self.busy: cf.Future | None = None

    def submit(self, fn, *args) -> cf.Future:
        if self.busy is None or self.busy.done():
            self.busy = self.here.submit(fn, *args)
            return self.busy
        return self.pool.submit(fn, *args)

    def restart(self) -> None:
        self.pool.restart()

    def close(self) -> None:
        self.here.shutdown(wait=True, cancel_futures=True)
        self.pool.close()
        self.kept.__exit__(None, None, None)


class InProcess:
    """The work done here, one input after another, by one Predictor (given, or made here once)."""

    def __init__(self, work: Work, predictor=None):
        if predictor is None:
            from poseau.infer.predictor import Predictor

            predictor = Predictor(work.model, **asdict(work.options))
        self.state = {"work": work, "predictor": predictor}

    def submit(self, fn, *args) -> cf.Future:
        WORKER.update(self.state)
        future: cf.Future = cf.Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def restart(self) -> None:
        pass

    def close(self) -> None:
        pass
