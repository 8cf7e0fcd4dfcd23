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
import logging
import os
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from poseau.constants import INFERENCE
from poseau.errors import PoseauError
from poseau.fileio import write_text_atomic
from poseau.infer.inputs import Input, in_shard
from poseau.infer.workers import (
    INDEX_COLUMNS,
    InProcess,
    Outcome,
    SharedPool,
    Work,
    done_record,
    predict_one,
    predict_piece,
    write_outputs,
)
from poseau.options import segment_step
from poseau.threads import cores

log = logging.getLogger(__name__)
TRIES = 2  # an input whose worker died is tried once more, in a new worker


@dataclass
class Summary:
    outcomes: list[Outcome] = field(default_factory=list)
    index: Path | None = None

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    def line(self) -> str:
        return (f"{len(self.outcomes)} inputs: {self.count('done')} done, {self.count('skipped')} already done, "
                f"{self.count('failed')} failed" + (f"; run table {self.index}" if self.index else ""))


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
            pool = engine or InProcess(work, predictor)
        elif _central(inference, work):
            from poseau.infer.central import Central

            central = Central(work)
            pool = central.pool(jobs, max(1, cores() // jobs))
        else:
            pool = SharedPool(work, jobs, max(1, cores() // jobs))
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
                        settle(Outcome.failed(task.item, str(exc)))
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
                        settle(write_outputs(item, out, work, signature, table, started[item.key]))
                    except PoseauError as exc:
                        settle(Outcome.failed(item, str(exc)))
            if died:
                died += list(flying.values())  # the pool is gone: everything in it was lost
                flying.clear()
                pool.restart()
                for task in died:
                    task.tries += 1
                    if task.tries < TRIES:
                        tasks.appendleft(task)
                    elif task.item.key not in outcomes:
                        settle(Outcome.failed(task.item, f"{task.item.path}: the worker process predicting it died "
                                                         f"(killed or out of memory), {TRIES} times"))
