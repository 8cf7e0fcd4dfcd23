"""Faces across the frames of a video or image sequence: ids kept by overlap, and one face followed between
detections."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import numpy as np

from poseau.faces.boxes import iou
from poseau.faces.detect import Face

T = TypeVar("T")


class FaceTracker:
    """Each face takes the id of the best-overlapping box last seen (IoU >= ``min_iou``), greedily, largest
    overlaps first; the others get new ids."""

    def __init__(self, min_iou: float = 0.3):
        self.min_iou, self.last, self.next_id = min_iou, {}, 0

    def assign(self, faces: list[Face]) -> list[int]:
        pairs = sorted(((iou(f.box, box), i, fid) for i, f in enumerate(faces) for fid, box in self.last.items()),
                       reverse=True)
        ids: dict[int, int] = {}
        for overlap, i, fid in pairs:
            if overlap >= self.min_iou and i not in ids and fid not in ids.values():
                ids[i] = fid
        for i in range(len(faces)):
            if i not in ids:
                ids[i], self.next_id = self.next_id, self.next_id + 1
        self.next_id = max(self.next_id, max(ids.values(), default=-1) + 1)
        self.last.update({ids[i]: f.box for i, f in enumerate(faces)})
        return [ids[i] for i in range(len(faces))]


def _between(a: Face, b: Face, t: float) -> Face:
    box = tuple(int(round(p + (q - p) * t)) for p, q in zip(a.box, b.box, strict=True))
    return Face(box, min(a.confidence, b.confidence))


def follow(items: Iterable[T], detect_all: Callable[[np.ndarray], list[Face]], every: int,
           image: Callable[[T], np.ndarray] = lambda item: item,
           min_iou: float = 0.3) -> Iterator[tuple[T, list[Face]]]:
    """(item, [its largest face] or []) in order, following one face through a video as trackers do: the
    detector runs on every ``every``-th item (the keyframes); an item between two keyframes whose largest faces
    overlap (IoU >= ``min_iou``) gets the box interpolated linearly between theirs, with the lower confidence;
    any other item (a face lost or jumping, the items after the last keyframe) is searched by the detector."""
    every = max(1, every)
    key: tuple[T, list[Face]] | None = None
    waiting: list[T] = []

    def detected(item: T) -> tuple[T, list[Face]]:
        return item, detect_all(image(item))[:1]

    for i, item in enumerate(items):
        if i % every:
            waiting.append(item)
            continue
        current = detected(item)
        faces = (key[1], current[1]) if key else ([], [])
        if all(faces) and iou(faces[0][0].box, faces[1][0].box) >= min_iou:
            for j, between in enumerate(waiting, start=1):
                yield between, [_between(faces[0][0], faces[1][0], j / (len(waiting) + 1))]
        else:
            yield from (detected(between) for between in waiting)
        waiting = []
        yield current
        key = current
    yield from (detected(between) for between in waiting)
