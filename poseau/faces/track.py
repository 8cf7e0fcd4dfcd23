"""Face ids kept across the frames of a video or image sequence."""

from __future__ import annotations

from poseau.faces.boxes import iou
from poseau.faces.detect import Face


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
