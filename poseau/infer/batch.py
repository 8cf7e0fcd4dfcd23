"""`poseau predict` on many inputs, on every core: worker processes that each load the model once, a run table
updated as each input finishes, and a run that resumes where a killed one stopped.

    OUT/<key's folders>/<name>.csv   the input's table (poseau.infer.predict), written whole or not at all
    OUT/<key's folders>/<name>.png   its intensities over time (videos and image sequences, ``plot``)
    OUT/<key's folders>/<name>_overlay.mp4  the video with what was measured drawn on it (videos, ``overlay``)
    OUT/<key's folders>/<name>.json  its record: what made it (the model file's SHA-256, the options), frames,
                                     faces, seconds; written last, so an output without one is not done
    OUT/index.csv                    one row per input: input, output, frames, faces, seconds, status (done,
                                     failed, skipped: done by an earlier run), error; a shard K of N writes
                                     index-K-of-N.csv, so that the tasks of a job array never write one file

An input counts as done when its record says the same model and options; anything else is predicted again.
Each worker gets its share of the cores in every thread pool (poseau.threads). With fewer inputs than
workers, a long video is cut into pieces predicted side by side (``Predictor.video_segment``), equal to the
one-process table frame for frame. A worker that dies (killed, out of memory) has its inputs tried once more
in a new worker, then reported failed; a bad input is a failed row with its reason while the rest go on.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import logging
import multiprocessing as mp
import os
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

from poseau.constants import AUS, INFERENCE, intensity_columns
from poseau.errors import PoseauError
from poseau.fileio import write_text_atomic
from poseau.infer.inputs import Input, in_shard
from poseau.options import SEQUENCE_FPS, PredictOptions, segment_step
from poseau.threads import cores, limit_threads, thread_limits_kept

log = logging.getLogger(__name__)
INDEX_COLUMNS = ("input", "output", "frames", "faces", "seconds", "status", "error")
TRIES = 2  # an input whose worker died is tried once more, in a new worker


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


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    index: Path | None = None

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def line(self) -> str:
        return (f"{len(self.outcomes)} inputs: {self.count('done')} done, {self.count('skipped')} already done, "
                f"{self.count('failed')} failed" + (f"; run table {self.index}" if self.index else ""))


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
_WORKER: dict = {}


def _start_worker(work: Work, threads: int) -> None:
    limit_threads(threads)  # before the model and the detector load their libraries
    from poseau.infer.predictor import Predictor

    _WORKER.update(work=work, predictor=Predictor(work.model, **asdict(work.options)))


def _predictor():
    return _WORKER["predictor"]


def _finish(item: Input, out: Path, work: Work, signature: dict, table, started: float) -> Outcome:
    """Write the input's table, plot, overlay and record (the record last), and say what was done."""
    from poseau.infer.outputs import plot_intensities, write_csv

    csv = write_csv(table, item.output(out))
    if work.plot and item.kind != "image":
        plot_intensities(table, item.output(out, ".png"), f"{item.path.name}: AU intensity (0-5) per frame")
    if work.overlay and item.kind == "video":
        from poseau.infer.overlay import write_overlay

        aus = [au for au, column in zip(AUS, intensity_columns(), strict=True) if column in table]
        write_overlay(item.path, table, item.output(out, OVERLAY_SUFFIX), aus)
    frames, faces = int(table["frame"].nunique()), int(table.loc[table["success"] == 1, "frame"].nunique())
    seconds = time.perf_counter() - started
    write_text_atomic(record_path(item, out), json.dumps({"input": str(item.path), "key": item.key,
                                                          "signature": signature, "frames": frames, "faces": faces,
                                                          "seconds": round(seconds, 3)}, indent=1))
    return Outcome(item.key, str(item.path), str(csv.relative_to(out)), "done", frames, faces, round(seconds, 3))


def predict_one(item: Input, out: Path, signature: dict) -> Outcome:
    """Predict one input in this worker and write its outputs; a bad input is a failed outcome."""
    work, predictor = _WORKER["work"], _predictor()
    started = time.perf_counter()
    try:
        if item.kind == "video":
            table = predictor.video(item.path)
        else:
            table = predictor.images(item.path, fps=work.fps)
        for error in table.attrs.get("unreadable", []):
            log.warning("%s; left out of %s", error, item.output(out).name)
        return _finish(item, out, work, signature, table, started)
    except PoseauError as exc:
        return Outcome(item.key, str(item.path), "", "failed", error=str(exc))
    except Exception as exc:  # a fault of ours, not the input's: its trace logged, the run goes on
        log.exception("%s: unexpected error", item.path)
        return Outcome(item.key, str(item.path), "", "failed", error=f"{item.path}: {type(exc).__name__}: {exc}")


def predict_piece(item: Input, start: int, stop: int, total: int):
    """The unfiltered rows of one piece of a long video (Predictor.video_segment), in this worker."""
    return _predictor().video_segment(item.path, start, stop, total)


def pieces_of(total: int, count: int, step: int) -> list[tuple[int, int]]:
    """``total`` frames cut into at most ``count`` pieces of about equal length, cut at multiples of ``step``."""
    cuts = sorted({0, total, *(min(total, round(total * k / count / step) * step) for k in range(1, count))})
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def join_pieces(pieces: list, median: int, source: str):
    """A long video's pieces put together in order and median-filtered: its one-process table."""
    import pandas as pd

    from poseau.infer.predict import finished_table

    return finished_table(pd.concat(pieces, ignore_index=True), source, median)


@dataclass
class Task:
    item: Input
    piece: tuple[int, int, int] | None = None  # (start, stop, total) of a long video's piece; None: all of it
    tries: int = 0


def _frames_in(item: Input) -> int:
    from poseau.data.images import images_in
    from poseau.data.video import count_frames

    try:
        return count_frames(item.path) if item.kind == "video" else len(images_in(item.path)) \
            if item.kind == "sequence" else 1
    except PoseauError:
        return 0  # the worker says what is wrong with it


class _Local:
    """A pool of ``jobs`` worker processes (spawned: torch and forked threads do not mix), ``threads`` each,
    each started by ``initializer(*initargs)`` (default: a Predictor of its own)."""

    def __init__(self, work: Work, jobs: int, threads: int, initializer=None, initargs=None):
        self.start = (initializer or _start_worker, initargs or (work, threads))
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


class _Shared:
    """``jobs`` lanes: one in this process, a thread with a Predictor of its own (this process has loaded most of
    what a worker loads, and waits anyway), and a pool of ``jobs`` - 1 worker processes; the lane here takes a task
    whenever it is free. One spawned worker fewer: a 1008-frame video cut in two took about 7.3 CPU-s with two
    workers and 6.6 with one worker and this lane, 4.1 s wall instead of 4.5 (benchmarks/README.md)."""

    def __init__(self, work: Work, jobs: int, threads: int):
        self.pool = _Local(work, jobs - 1, threads)
        self.kept = thread_limits_kept()  # the lane limits this process's threads; put back on close
        self.kept.__enter__()
        self.here = cf.ThreadPoolExecutor(1, thread_name_prefix="poseau-lane", initializer=_start_worker,
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


class _InProcess:
    """The work done here, one input after another, by one Predictor (given, or made here once)."""

    def __init__(self, work: Work, predictor=None):
        if predictor is None:
            from poseau.infer.predictor import Predictor

            predictor = Predictor(work.model, **asdict(work.options))
        self.state = {"work": work, "predictor": predictor}

    def submit(self, fn, *args) -> cf.Future:
        _WORKER.update(self.state)
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



def predict_batch(inputs: list[Input], out: str | os.PathLike, work: Work, *, jobs: int | None = None,
                  shard: tuple[int, int] | None = None, engine=None, predictor=None, inference: str = "auto",
                  progress: bool = True) -> Summary:
    """Predict ``inputs`` (poseau.infer.inputs) into ``out`` on ``jobs`` worker processes (default: every core;
    one input that cannot be cut, or ``jobs`` 1: here), only those of ``shard`` (K, N), only those not done by
    an earlier run with the same model and options. ``predictor``: a Predictor of yours, used here for all;
    ``engine``: another pool with ``submit``, ``restart`` and ``close`` (poseau.infer.ray_engine);
    ``inference`` (constants.INFERENCE): "workers", a network in each worker, or "central", the workers cut the
    faces and one network here scores them (poseau.infer.central); "auto": central where the device is not the
    CPU.
    Returns every input's outcome; the run table is rewritten as each finishes."""
    from poseau.fileio import out_folder
    from poseau.progress import progress_bar

    out = out_folder(out)
    chosen = [i for i in inputs if shard is None or in_shard(i.key, shard)]
    summary = Summary(index=out / ("index.csv" if shard is None else f"index-{shard[0]}-of-{shard[1]}.csv"))
    signature = work.signature() if predictor is None else {"model": f"in memory {os.getpid()} {time.time()}"}
    outcomes: dict[str, Outcome] = {}
    todo: list[Input] = []
    for item in chosen:
        if record := done_record(item, out, signature, work.overlay):
            outcomes[item.key] = Outcome(item.key, str(item.path), str(item.output(out).relative_to(out)), "skipped",
                                         record["frames"], record["faces"], record["seconds"])
        else:
            todo.append(item)
    totals = {item.key: _frames_in(item) for item in todo}
    jobs = 1 if predictor is not None else max(1, jobs or cores())
    if engine is None and len(todo) == 1 and not _worth_cutting(todo[0], totals, work):
        jobs = 1

    def write_index() -> None:
        import pandas as pd

        rows = [outcomes[i.key].row() for i in chosen if i.key in outcomes]
        with_header = pd.DataFrame(rows, columns=list(INDEX_COLUMNS))
        write_text_atomic(summary.index, with_header.to_csv(index=False))

    write_index()
    if todo:
        central = None
        if jobs == 1 or engine is not None:
            pool = engine or _InProcess(work, predictor)
        elif _central(inference, work):
            from poseau.infer.central import Central

            central = Central(work)
            pool = central.pool(jobs, max(1, cores() // jobs))
        else:
            pool = _Shared(work, jobs, max(1, cores() // jobs))
        try:
            _run(todo, out, work, signature, pool, jobs, totals, outcomes, write_index, progress_bar(progress),
                 central)
        finally:
            pool.close()
    summary.outcomes = [outcomes[i.key] for i in chosen]
    log.info("%s", summary.line())
    return summary


def _central(inference: str, work: Work) -> bool:
    if inference not in INFERENCE:
        raise PoseauError(f"inference: {inference!r} is not one of {', '.join(INFERENCE)}")
    return inference == "central" or (inference == "auto" and work.options.device != "cpu")


MIN_PIECE = 200  # frames: a shorter video is not cut (two workers' start costs more than they win)


def _worth_cutting(item: Input, totals: dict, work: Work) -> bool:
    return item.kind == "video" and not work.options.all_faces and totals[item.key] >= 2 * MIN_PIECE


def _run(todo, out, work, signature, pool, jobs, totals, outcomes, write_index, bar, central=None) -> None:
    from collections import Counter, deque

    tasks: deque[Task] = deque()
    cut = len(todo) < jobs and any(_worth_cutting(item, totals, work) for item in todo)
    step = segment_step(work.options.detect_every, work.options.batch_size)  # planned before any worker starts
    for item in todo:
        count = -(-jobs // len(todo)) if cut and _worth_cutting(item, totals, work) else 1
        if count > 1:
            tasks.extend(Task(item, (a, b, totals[item.key])) for a, b in pieces_of(totals[item.key], count, step))
        else:
            tasks.append(Task(item))
    pieces: dict[str, dict[int, object]] = {}
    wanted = Counter(t.item.key for t in tasks)
    started: dict[str, float] = {}
    with bar:
        inputs_bar = bar.add_task("inputs", total=len(todo))
        frames_bar = bar.add_task("frames", total=sum(totals.values()))
        flying: dict[cf.Future, Task] = {}

        def settle(outcome: Outcome) -> None:
            outcomes[outcome.key] = outcome
            write_index()
            bar.advance(inputs_bar)
            bar.advance(frames_bar, totals.get(outcome.key, 0))
            if outcome.status == "failed":
                log.info("failed: %s", outcome.error)

        while tasks or flying:
            while tasks and len(flying) < jobs:
                task = tasks.popleft()
                started.setdefault(task.item.key, time.perf_counter())
                if central is not None:
                    future = (pool.submit(central.piece, task.item, *task.piece) if task.piece
                              else pool.submit(central.one, task.item))
                else:
                    future = (pool.submit(predict_piece, task.item, *task.piece) if task.piece
                              else pool.submit(predict_one, task.item, out, signature))
                flying[future] = task
            done, _ = cf.wait(flying, return_when=cf.FIRST_COMPLETED)
            died = []
            for future in done:
                task = flying.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    died.append(task)
                    continue
                except Exception as exc:  # a piece that cannot be decoded: its input fails
                    if task.item.key not in outcomes:
                        settle(Outcome(task.item.key, str(task.item.path), "", "failed", error=str(exc)))
                    continue
                if task.item.key in outcomes:
                    continue
                if task.piece is None:
                    settle(result if central is None else
                           central.finish(task.item, result, out, signature, started[task.item.key]))
                    continue
                got = pieces.setdefault(task.item.key, {})
                got[task.piece[0]] = result if central is None else central.scored(result)
                if len(got) == wanted[task.item.key]:
                    item = task.item
                    try:
                        table = join_pieces([got[k] for k in sorted(got)], work.options.median, str(item.path))
                        settle(_finish(item, out, work, signature, table, started[item.key]))
                    except PoseauError as exc:
                        settle(Outcome(item.key, str(item.path), "", "failed", error=str(exc)))
            if died:
                died += list(flying.values())  # the pool is gone: everything in it was lost
                flying.clear()
                pool.restart()
                for task in died:
                    task.tries += 1
                    if task.tries < TRIES:
                        tasks.appendleft(task)
                    elif task.item.key not in outcomes:
                        settle(Outcome(task.item.key, str(task.item.path), "", "failed",
                                       error=f"{task.item.path}: the worker process predicting it died (killed or "
                                             f"out of memory), {TRIES} times"))
