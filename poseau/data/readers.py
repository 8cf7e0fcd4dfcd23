"""One entry point over the dataset readers: name -> frame index."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from poseau.constants import DATASETS
from poseau.data.bp4d import read_bp4d
from poseau.data.disfa import read_disfa
from poseau.data.fera2017 import read_fera2017
from poseau.data.index import Problems
from poseau.data.manifest import read_manifest

READERS = dict(zip(DATASETS, (read_fera2017, read_bp4d, read_disfa, read_manifest), strict=True))
# Datasets whose index holds every frame of each video, so the decoded count can be checked against it.
ALL_FRAMES_INDEXED = {"fera2017", "disfa"}


def read_dataset(name: str, root: str | Path, *, problems: Problems | None = None) -> pd.DataFrame:
    return READERS[name](root, problems or Problems())


def source_base(name: str, root: str | Path) -> Path:
    """The folder that the index's ``source`` paths are relative to."""
    root = Path(root)
    return root.parent if name == "manifest" and not root.is_dir() else root
