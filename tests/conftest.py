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
    return synthesize(SMALL, out, face_model_file, workers=2, contact_sheet=True, progress=False)
