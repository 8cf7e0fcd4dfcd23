"""Writing files so that a finished result is never half-written: temporary file, then rename."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from poseau.errors import PoseauError


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.name}.part")
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def out_folder(path: str | os.PathLike) -> Path:
    """``path`` as an output folder, checked before any work (it is made when the first result is written):
    not a file, not below a file, and in a folder that can be written; a PoseauError naming it otherwise."""
    path = Path(path)
    existing = next(p for p in (path, *path.parents) if p.exists() or p == Path(p.anchor or "."))
    if existing.exists() and not existing.is_dir():
        raise PoseauError(f"{existing}: is a file, not a folder; choose another output folder")
    if existing.exists() and not os.access(existing, os.W_OK | os.X_OK):
        raise PoseauError(f"{existing}: the folder cannot be written; choose another output folder")
    return path


def out_file(path: str | os.PathLike) -> Path:
    """``path`` as an output file, checked before any work as ``out_folder`` checks its folder: not a folder
    itself; a PoseauError otherwise."""
    path = Path(path)
    if path.is_dir():
        raise PoseauError(f"{path}: is a folder, not a file; give the file to write")
    out_folder(path.parent)
    return path
