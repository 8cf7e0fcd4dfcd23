"""Folders of images: what counts as one (poseau.constants.IMAGE_SUFFIXES), in name order."""

from __future__ import annotations

from pathlib import Path

from poseau.constants import IMAGE_SUFFIXES
from poseau.errors import PoseauError


def images_in(folder: Path) -> list[Path]:
    """The image files of ``folder`` in name order, or one clear error when it holds none."""
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise PoseauError(f"{folder}: no images in the folder ({', '.join(IMAGE_SUFFIXES)})")
    return files
