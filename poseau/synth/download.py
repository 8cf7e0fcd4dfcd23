"""Download ICT-FaceKit for users with internet, build the face model npz, and cache it."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

from poseau.download import fetch
from poseau.errors import PoseauError
from poseau.synth.facemodel import FILENAME, default_cache_dir
from poseau.synth.obj_import import ICT_LIGHT, ModelLayout, build_face_model

log = logging.getLogger(__name__)
ICT_FACEKIT_URL = "https://github.com/ICT-VGL/ICT-FaceKit/archive/refs/heads/master.zip"


def download_face_model(url: str = ICT_FACEKIT_URL, *, cache_dir: str | os.PathLike | None = None,
                        sha256: str | None = None, layout: ModelLayout = ICT_LIGHT,
                        progress: bool = True) -> Path:
    """Fetch the ICT-FaceKit archive, build and check the npz, keep both in ``cache_dir``."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    archive = fetch(url, cache / "ict-facekit.zip", sha256=sha256, progress=progress)
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
