"""Train as you predict, measured: where the face lies inside the crop that `poseau predict` cuts, on renders
against real faces.

Renders (the varied look, every view) and the real videos of ../shared/media that have OpenFace 2.x's
landmarks in ../shared/media/reference are cut the same way: YuNet's box, squared at the crop scale. For
each crop: the distance between the outer eye corners (landmarks 36 and 45) and the eyes' midpoint and
the mouth's centre (48-67), as fractions of the crop side. Medians and quartiles per source; the closer the
rows, the more a real face is framed like the faces the model learnt from.
Usage: python benchmarks/face_framing.py [--face-model NPZ] [--media ../shared/media] [--size 112]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from poseau.constants import DEFAULT_CROP_SCALE, VIEWS
from poseau.data.video import iter_frames
from poseau.evaluate.agreement import read_reference
from poseau.faces.boxes import square_box
from poseau.faces.detect import make_detector
from poseau.synth.appearance import sample_identity
from poseau.synth.camera import Camera
from poseau.synth.facemodel import load_face_model
from poseau.synth.render import FaceRenderer
from poseau.synth.variation import sample_scene


def framing(landmarks: np.ndarray, box, scale: float = DEFAULT_CROP_SCALE) -> tuple[float, float, float, float]:
    """(eye distance, eyes' x, eyes' y, mouth's y) as fractions of the crop around ``box``."""
    x, y, side, _ = square_box(box, scale)
    eyes = (landmarks[36] + landmarks[45]) / 2
    mouth = landmarks[48:68].mean(0)
    return (np.linalg.norm(landmarks[45] - landmarks[36]) / side, (eyes[0] - x) / side, (eyes[1] - y) / side,
            (mouth[1] - y) / side)


def renders(face_model: str | None, size: int, people: int, whole: bool = False) -> list[tuple]:
    """Crops of varied renders; ``whole``: the whole frame instead (what whole-frame models trained on)."""
    model, detector, rows = load_face_model(face_model), make_detector("yunet"), []
    for k in range(people):
        rng = np.random.default_rng([7, k])
        renderer = FaceRenderer(model, sample_identity(model, rng, 50, textured=True), Camera(size))
        scene = sample_scene(rng, size)
        verts = renderer.shape(rng.uniform(0, 3, 7).astype(np.float32))
        for view in VIEWS:
            image, landmarks = renderer.render_scene(verts, view, scene, rng)
            box = (0, 0, size, size) if whole else detector.detect(image)
            if box is not None:
                rows.append(framing(landmarks, box, 1.0 if whole else DEFAULT_CROP_SCALE))
    return rows


def real(media: Path) -> list[tuple]:
    detector, rows = make_detector("yunet"), []
    for reference in sorted((media / "reference").glob("*.csv")):
        video = next((v for v in (media / "videos").glob(reference.stem + ".*")), None)
        table = read_reference(reference).set_index("frame")
        for number, image in enumerate(iter_frames(video), start=1):
            box = detector.detect(image)
            if box is None or number not in table.index or not table.loc[number, "success"]:
                continue
            row = table.loc[number]
            landmarks = np.stack([[row[f"x_{i}"], row[f"y_{i}"]] for i in range(68)]).astype(float)
            rows.append(framing(landmarks, box))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--face-model")
    parser.add_argument("--media", default=str(Path(__file__).resolve().parents[2] / "shared" / "media"))
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("--people", type=int, default=30)
    args = parser.parse_args()
    print(f"face inside the predict crop ({DEFAULT_CROP_SCALE} x YuNet's box): median [quartiles], fractions of "
          "the crop side")
    print(f"{'source':22s} {'crops':>5s} {'eye distance':>20s} {'eyes x':>20s} {'eyes y':>20s} {'mouth y':>20s}")
    for name, rows in (("renders, whole frame", renders(args.face_model, args.size, args.people, whole=True)),
                       ("renders, predict crop", renders(args.face_model, args.size, args.people)),
                       ("real, predict crop", real(Path(args.media)))):
        values = np.array(rows)
        cells = [f"{np.median(v):.3f} [{np.percentile(v, 25):.3f}-{np.percentile(v, 75):.3f}]" for v in values.T]
        print(f"{name:22s} {len(values):5d} " + " ".join(f"{c:>20s}" for c in cells))


if __name__ == "__main__":
    main()
