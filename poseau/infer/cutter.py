"""The part of prediction before the network: an input's frames decoded, its faces found (and followed along a
video), cut and preprocessed as the model's training faces were (poseau.infer.predict.face_entries).

`poseau.Predictor` runs its network on these entries as they come; with `predict --inference central` worker
processes cut the faces and send them whole to the one process that holds the network (poseau.infer.central).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from poseau.data.preprocess import Preprocessing
from poseau.errors import PoseauError
from poseau.infer.predict import face_entries
from poseau.infer.sources import Frame, existing_file, image_frames, video_frames
from poseau.options import PredictOptions

Entries = Iterator[tuple[dict, np.ndarray | None]]


class FaceCutter:
    """``framing``: how a face becomes the network's input; ``detector``: a face detector; ``options``: the
    PredictOptions that say how faces are found (all_faces, detect_every)."""

    def __init__(self, framing: Preprocessing, detector, options: PredictOptions):
        self.framing, self.detector, self.options = framing, detector, options

    def video(self, path: str | os.PathLike, on_frame=None) -> Entries:
        return self.entries(video_frames(existing_file(path)), self.options.detect_every, on_frame)

    def video_segment(self, path: str | os.PathLike, start: int, stop: int, total: int) -> Entries:
        """The entries of a video's frames at 0-based positions ``start`` to ``stop`` - 1 of ``total``
        (see Predictor.video_segment). The frame at ``stop`` is decoded too, so that the face is followed up to
        it as in the whole video, and then left out."""
        if self.options.all_faces:
            raise PoseauError("video_segment: one face a frame only (all_faces follows ids across the video)")
        frames = video_frames(path, start, min(stop + 1, total))
        return (entry for entry in self.entries(frames, self.options.detect_every) if entry[0]["frame"] <= stop)

    def images(self, files: list[Path], fps: float, unreadable: list, on_frame=None) -> Entries:
        """The entries of image files as a sequence at ``fps``; the detector runs on every image. Of several
        files, those that cannot be read are left out and their errors appended to ``unreadable``; one such
        file alone is an error (poseau.infer.sources.image_frames)."""
        return self.entries(image_frames(files, fps, unreadable if len(files) > 1 else None), 1, on_frame)

    def entries(self, frames: Iterable[Frame], detect_every: int, on_frame=None) -> Entries:
        return face_entries(frames, self.detector, self.framing, all_faces=self.options.all_faces,
                            detect_every=detect_every, on_frame=on_frame)


@dataclass
class Cut:
    """An input's (or a piece's) entries held whole, to be sent to another process: the rows, and the faces of
    the rows with a face, in order."""

    rows: list[dict]
    faces: np.ndarray                      # (faces, S, S) uint8
    unreadable: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, entries: Iterable[tuple[dict, np.ndarray | None]], size: int, unreadable=()) -> Cut:
        rows, faces = [], []
        for row, face in entries:
            rows.append(row)
            if face is not None:
                faces.append(face)
        stacked = np.stack(faces) if faces else np.zeros((0, size, size), np.uint8)
        return cls(rows, stacked, [str(e) for e in unreadable])

    def entries(self) -> Entries:
        faces = iter(self.faces)
        for row in self.rows:
            yield dict(row), next(faces) if row["success"] == 1 else None
