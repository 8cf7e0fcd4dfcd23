"""Download ICT-FaceKit for users with internet, build the face model npz, and cache it."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import urllib.request
import zipfile
from pathlib import Path

from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

from poseau.errors import PoseauError
from poseau.fileio import atomic_path
from poseau.synth.facemodel import FILENAME, default_cache_dir
from poseau.synth.obj_import import ICT_LIGHT, ModelLayout, build_face_model

log = logging.getLogger(__name__)
ICT_FACEKIT_URL = "https://github.com/ICT-VGL/ICT-FaceKit/archive/refs/heads/master.zip"


def fetch(url: str, dest: Path, sha256: str | None = None, progress: bool = True) -> Path:
    """Download ``url`` to ``dest`` (kept as a cache), checking ``sha256`` when given."""
    if dest.is_file() and (sha256 is None or _sha256(dest) == sha256):
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
            if sha256 is not None and _sha256(tmp) != sha256:
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


def download_face_model(url: str = ICT_FACEKIT_URL, cache_dir: str | os.PathLike | None = None,
                        sha256: str | None = None, layout: ModelLayout = ICT_LIGHT,
                        progress: bool = True) -> Path:
    """Fetch the ICT-FaceKit archive, build and check the npz, keep both in ``cache_dir``."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    archive = fetch(url, cache / "ict-facekit.zip", sha256, progress)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with zipfile.ZipFile(archive) as zf:
                wanted = [n for n in zf.namelist()
                          if ("/FaceXModel/" in f"/{n}" and n.endswith(".obj")) or n.rsplit("/", 1)[-1] == "LICENSE"]
                zf.extractall(tmp, members=wanted)
        except zipfile.BadZipFile:
            archive.unlink(missing_ok=True)
            raise PoseauError(f"{archive}: not a zip archive; removed it, run the download again") from None
        folders = sorted(Path(tmp).rglob("FaceXModel"))
        if not folders:
            raise PoseauError(f"{archive}: no FaceXModel folder inside")
        out = build_face_model(folders[0], cache / FILENAME, layout)
        licences = sorted(Path(tmp).rglob("LICENSE"))
        if licences:
            shutil.copyfile(licences[0], cache / "LICENSE-ICT-FaceKit")
    log.info("face model written to %s", out)
    return out
