"""Downloads for users with internet: a file fetched once into a cache, checked against its sha256."""

from __future__ import annotations

import hashlib
import logging
import urllib.request
from pathlib import Path

from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

from poseau.errors import PoseauError
from poseau.fileio import atomic_path

log = logging.getLogger(__name__)


def fetch(url: str, dest: Path, *, sha256: str | None = None, progress: bool = True) -> Path:
    """Download ``url`` to ``dest`` (kept as a cache), checking ``sha256`` when given: the whole hex digest,
    or a prefix of at least 8 digits (torchvision names its weight files after one)."""
    if sha256 is not None and len(sha256) < 8:
        raise PoseauError(f"sha256 {sha256!r}: give at least 8 hex digits")
    if dest.is_file() and (sha256 is None or _sha256(dest).startswith(sha256.lower())):
        log.info("using cached %s", dest)
        return dest
    try:
        with urllib.request.urlopen(url, timeout=60) as response, atomic_path(dest) as tmp:
            total = int(response.headers.get("Content-Length") or 0) or None
            with open(tmp, "wb") as f, Progress(*Progress.get_default_columns(), DownloadColumn(),
                                                TransferSpeedColumn(), disable=not progress) as bar:
                task = bar.add_task(f"downloading {dest.name}", total=total)
                while chunk := response.read(1 << 20):
                    f.write(chunk)
                    bar.advance(task, len(chunk))
            if sha256 is not None and not _sha256(tmp).startswith(sha256.lower()):
                raise PoseauError(f"{url}: checksum mismatch (expected sha256 {sha256})")
    except OSError as exc:
        raise PoseauError(f"{url}: download failed ({exc})") from None
    return dest


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
