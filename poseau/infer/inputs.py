"""What `poseau predict` is given, as a list of inputs with stable names: files, folders (recursively with
``recursive``) and list files (one path a line, or a CSV with a ``path`` column).

Each input has a key: its path relative to the folder or list it was found through (a file given by itself:
its name), written with forward slashes. Its outputs mirror that key under the output folder (``a/clip.mp4``
-> ``OUT/a/clip.csv``), so same-named files in different folders never collide, and a shard of a run
(``shard``) is chosen by the key alone, so that every scheduler task takes the same share however the inputs
are listed.
"""

from __future__ import annotations

import csv
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from poseau.constants import IMAGE_SUFFIXES
from poseau.errors import PoseauError

VIDEO_SUFFIXES: tuple[str, ...] = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".wmv", ".m4v", ".mpg", ".mpeg", ".flv")


@dataclass(frozen=True)
class Input:
    path: Path   # the video, image or folder of images (an image sequence)
    key: str     # the relative name its outputs mirror, e.g. "a/clip.mp4"

    @property
    def kind(self) -> str:
        if self.path.is_dir():
            return "sequence"
        return "image" if self.path.suffix.lower() in IMAGE_SUFFIXES else "video"

    def output(self, out: str | os.PathLike, suffix: str = ".csv") -> Path:
        """Where its output with ``suffix`` goes under ``out``: the key's folders, its name with the suffix."""
        key = PurePosixPath(self.key)
        name = key.name if self.kind == "sequence" else key.stem
        return Path(out).joinpath(*key.parent.parts, name + suffix)


def _is_media(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES + IMAGE_SUFFIXES


def _folder(folder: Path, recursive: bool, key: str = "") -> list[Input]:
    """The videos and images in ``folder`` (and its subfolders, ``recursive``), keyed below ``key``, the folder's
    own key ("": the folder given); a folder of images only is one image sequence."""
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    files = [p for p in entries if p.is_file() and _is_media(p)]
    subfolders = [p for p in entries if p.is_dir()] if recursive else []
    if files and not subfolders and all(p.suffix.lower() in IMAGE_SUFFIXES for p in files):
        return [Input(folder, key or folder.name)]
    found = [Input(p, f"{key}/{p.name}" if key else p.name) for p in files]
    for sub in subfolders:
        found += _folder(sub, recursive, f"{key}/{sub.name}" if key else sub.name)
    return found


def _list_file(path: Path) -> list[Input]:
    """The inputs a list file names, relative paths read from the list's own folder."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        if not rows or "path" not in rows[0]:
            raise PoseauError(f"{path}: a CSV list needs a 'path' column")
        names = [r["path"].strip() for r in rows]
    else:
        names = [line.strip() for line in text.splitlines()]
    inputs = []
    for name in (n for n in names if n and not n.startswith("#")):
        given = Path(name)
        full = given if given.is_absolute() else path.parent / given
        key = PurePosixPath(*(p for p in PurePosixPath(given.as_posix()).parts if p not in ("/", "..", ".")))
        inputs.append(Input(full, str(key)))
    return inputs


def gather_inputs(paths: list[str | os.PathLike], *, recursive: bool = False,
                  lists: list[str | os.PathLike] = ()) -> list[Input]:
    """The inputs of ``paths`` (files; folders: the videos in them, or the folder as one image sequence) and of
    the list files ``lists``, in order; an error names two inputs whose outputs would be the same file. A path
    that is missing or not a video stays an input: predicting it fails with its reason, the others go on."""
    inputs: list[Input] = []
    for given in map(Path, paths):
        if given.is_dir():  # a folder with nothing to predict is an image sequence that fails for want of images
            inputs += _folder(given, recursive) or [Input(given, given.name)]
        else:
            inputs.append(Input(given, given.name))
    for listed in map(Path, lists):
        if not listed.is_file():
            raise PoseauError(f"{listed}: no such list file (--list)")
        inputs += _list_file(listed)
    seen: dict[str, Input] = {}
    for item in inputs:
        output = str(item.output("."))
        if output in seen:
            raise PoseauError(f"{seen[output].path} and {item.path} would both write {output}; give their folders "
                              "(outputs mirror the tree below a folder) or predict them into separate --out folders")
        seen[output] = item
    return inputs


def in_shard(key: str, shard: tuple[int, int]) -> bool:
    """Whether the input with ``key`` belongs to shard (K, N): by a hash of the key, not by its place in a list."""
    k, n = shard
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % n == k
