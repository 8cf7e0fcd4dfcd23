"""`poseau predict --inference central`: worker processes decode the inputs, find and cut their faces
(poseau.infer.cutter) and send them here, where the one network scores them: the arrangement for a GPU, whose
one copy of the model takes large batches (``--batch-size``) of the faces that all the CPU workers cut, rather
than each worker holding a model of its own. The default where ``--device`` is not the CPU.

The tables equal the other arrangement's to the last bit on the same device: the faces are scored in the same
batches (poseau.infer.predict.scored), and a long video's pieces are cut where the batches are.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from pathlib import Path

from poseau.errors import PoseauError
from poseau.infer import workers
from poseau.infer.cutter import Cut, FaceCutter
from poseau.infer.inputs import Input
from poseau.infer.predict import finished_table
from poseau.infer.sources import image_files
from poseau.threads import limit_threads

log = logging.getLogger(__name__)


def start_cutter(work: workers.Work, threads: int, framing, detector: str) -> None:
    """A worker's start: the face detector and the network's framing (the parent's model's), no network."""
    limit_threads(threads)
    from poseau.faces.detect import make_detector

    workers.WORKER.update(work=work, cutter=FaceCutter(framing, make_detector(detector), work.options))


def cut_one(item: Input) -> Cut | workers.Outcome:
    """One input's faces, cut in this worker; a bad input is a failed outcome."""
    work, cutter = workers.WORKER["work"], workers.WORKER["cutter"]
    unreadable: list[PoseauError] = []
    try:
        if item.kind == "video":
            entries = cutter.video(item.path)
        else:
            entries = cutter.images(image_files(Path(item.path)), work.fps, unreadable)
        return Cut.of(entries, cutter.framing.size, unreadable)
    except PoseauError as exc:
        return workers.Outcome.failed(item, str(exc))


def cut_piece(item: Input, start: int, stop: int, total: int) -> Cut:
    """One piece of a long video (FaceCutter.video_segment), cut in this worker."""
    cutter = workers.WORKER["cutter"]
    return Cut.of(cutter.video_segment(item.path, start, stop, total), cutter.framing.size)


class Central:
    """The one network (a Predictor of this process) and the pool of cutting workers that feeds it."""

    one, piece = staticmethod(cut_one), staticmethod(cut_piece)

    def __init__(self, work: workers.Work):
        from poseau.infer.predictor import Predictor

        self.predictor = Predictor(work.model, **asdict(work.options))
        self.work = work

    def pool(self, jobs: int, threads: int) -> workers.LocalPool:
        return workers.LocalPool(self.work, jobs, threads, initializer=start_cutter,
                                 initargs=(self.work, threads, self.predictor.framing, self.predictor.detector.name))

    def scored(self, cut: Cut):
        """A piece's unfiltered table."""
        return self.predictor.score(cut.entries())

    def finish(self, item: Input, cut: Cut | workers.Outcome, out: Path, signature: dict, started: float) \
            -> workers.Outcome:
        """A whole input's outputs from its cut faces (or the worker's failed outcome)."""
        if isinstance(cut, workers.Outcome):
            return cut
        for error in cut.unreadable:
            log.warning("%s; left out of %s", error, item.output(out).name)
        try:
            table = finished_table(self.scored(cut), str(item.path), self.work.options.median)
            return workers.write_outputs(item, out, self.work, signature, table, started)
        except PoseauError as exc:
            return workers.Outcome.failed(item, str(exc))
