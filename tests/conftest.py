import os
from pathlib import Path

import pytest

from poseau.config import SynthConfig

SHARED = Path(__file__).resolve().parents[2] / "shared"


def face_model_path() -> Path | None:
    candidates = [os.environ.get("POSEAU_FACE_MODEL"), SHARED / "facemodel" / "ict_facekit_light.npz"]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


@pytest.fixture(scope="session")
def face_model_file() -> Path:
    path = face_model_path()
    if path is None:
        pytest.skip("the ICT-FaceKit face model npz is not here (../shared/facemodel or $POSEAU_FACE_MODEL)")
    return path


@pytest.fixture(scope="session")
def face_model(face_model_file):
    from poseau.synth.facemodel import load_face_model

    return load_face_model(face_model_file)


SMALL = SynthConfig(train_subjects=2, valid_subjects=1, tasks=1, frames=12, size=96, missing_rate=0.2)


@pytest.fixture(scope="session")
def small_dataset(face_model_file, tmp_path_factory) -> Path:
    from poseau.synth.generate import synthesize

    out = tmp_path_factory.mktemp("synth") / "a"
    return synthesize(SMALL, out, face_model=face_model_file, workers=2, contact_sheet=True, progress=False)


def assert_drawn(path: Path, min_size: tuple[int, int] = (200, 150), min_colours: int = 8) -> None:
    """``path`` is a PNG of at least ``min_size`` (width, height) pixels with something drawn on it: not one
    flat colour, and at least ``min_colours`` distinct colours."""
    import matplotlib.image
    import numpy as np

    image = matplotlib.image.imread(path)
    height, width = image.shape[:2]
    assert width >= min_size[0] and height >= min_size[1], f"{path}: {width}x{height}, expected >= {min_size}"
    pixels = (image[..., :3] * 255).round().astype(np.uint8).reshape(-1, 3)
    colours = len(np.unique(pixels, axis=0))
    assert colours >= min_colours, f"{path}: {colours} colours, looks blank"
