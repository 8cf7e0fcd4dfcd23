"""Build the face model npz from an ICT-FaceKit checkout's OBJ files (``FaceXModel/*.obj``).

Keeps the "light" parts (face, head and neck, mouth, eye sockets, gums, teeth, eyeballs),
splits quads into triangles, stores the first identity modes and every expression shape as
differences from the neutral mesh in float16, as ../shared/facemodel/README.md describes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from poseau.errors import PoseauError
from poseau.fileio import atomic_path
from poseau.synth.facemodel import PARTS, validate_arrays

NEUTRAL = "generic_neutral_mesh.obj"
IDENTITY = re.compile(r"identity(\d{3})\.obj$")

# Vertex ranges (inclusive) of the kept parts, from the ICT-FaceKit README's topology tables.
ICT_PARTS: tuple[tuple[int, int], ...] = (
    (0, 9408), (9409, 11247), (11248, 13293), (13294, 13677), (13678, 14061), (14062, 17038),
    (17039, 21450), (21451, 22220), (22221, 23020), (23021, 23790), (23791, 24590),
)
# Multi-PIE 68-point landmarks as vertex ids (0-indexed), from the ICT-FaceKit README.
ICT_LANDMARKS68: tuple[int, ...] = (
    1225, 1888, 1052, 367, 1719, 1722, 2199, 1447, 966, 3661, 4390, 3927, 3924, 2608, 3272, 4088, 3443,
    268, 493, 1914, 2044, 1401, 3615, 4240, 4114, 2734, 2509, 978, 4527, 4942, 4857, 1140, 2075, 1147,
    4269, 3360, 1507, 1542, 1537, 1528, 1518, 1511, 3742, 3751, 3756, 3721, 3725, 3732, 5708, 5695, 2081,
    0, 4275, 6200, 6213, 6346, 6461, 5518, 5957, 5841, 5702, 5711, 5533, 6216, 6207, 6470, 5517, 5966,
)


@dataclass(frozen=True)
class ModelLayout:
    """Which vertices to keep and what they are: the ICT light model by default."""

    part_ranges: tuple[tuple[int, int], ...] = ICT_PARTS
    landmarks68: tuple[int, ...] = ICT_LANDMARKS68
    n_identity: int = 50

    @property
    def n_vertices(self) -> int:
        return self.part_ranges[-1][1] + 1


ICT_LIGHT = ModelLayout()


def read_obj(path: Path, with_faces: bool = False) -> tuple[np.ndarray, list[list[int]]]:
    """Vertices (N, 3) float64 and, if asked, polygons as 0-based vertex ids."""
    verts, faces = [], []
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("v "):
                    verts.append(line.split()[1:4])
                elif with_faces and line.startswith("f "):
                    faces.append([int(tok.split("/")[0]) - 1 for tok in line.split()[1:]])
    except (OSError, UnicodeDecodeError) as exc:
        raise PoseauError(f"{path}: cannot be read as OBJ ({exc})") from None
    try:
        array = np.asarray(verts, dtype=np.float64).reshape(-1, 3)
    except ValueError:
        raise PoseauError(f"{path}: malformed vertex line") from None
    return array, faces


def triangulate(faces: list[list[int]], n_keep: int) -> np.ndarray:
    """Polygons whose vertices are all kept, fanned into triangles: (T, 3)."""
    tris = [(poly[0], poly[i], poly[i + 1]) for poly in faces if max(poly) < n_keep for i in range(1, len(poly) - 1)]
    return np.asarray(tris, dtype=np.int64).reshape(-1, 3)


def build_arrays(src: str | os.PathLike, layout: ModelLayout = ICT_LIGHT) -> dict[str, np.ndarray]:
    """The face model's arrays from ``src`` (an ICT-FaceKit checkout or its FaceXModel folder)."""
    src = Path(src)
    folder = src / "FaceXModel" if (src / "FaceXModel").is_dir() else src
    if not (folder / NEUTRAL).is_file():
        raise PoseauError(f"{folder / NEUTRAL}: not found; expected an ICT-FaceKit checkout")
    n = layout.n_vertices
    neutral_full, faces = read_obj(folder / NEUTRAL, with_faces=True)
    if len(neutral_full) < n:
        raise PoseauError(f"{folder / NEUTRAL}: {len(neutral_full)} vertices, the layout needs {n}")
    neutral = neutral_full[:n]

    def delta(path: Path) -> np.ndarray:
        verts, _ = read_obj(path)
        if len(verts) != len(neutral_full):
            raise PoseauError(f"{path}: {len(verts)} vertices, the neutral mesh has {len(neutral_full)}")
        return (verts[:n] - neutral).astype(np.float16)

    identities = sorted((int(m.group(1)), p) for p in folder.glob("identity*.obj") if (m := IDENTITY.match(p.name)))
    if len(identities) < layout.n_identity:
        raise PoseauError(f"{folder}: {len(identities)} identity OBJ files, expected {layout.n_identity}")
    expressions = sorted(p for p in folder.glob("*.obj") if p.name != NEUTRAL and not IDENTITY.match(p.name))
    part = np.zeros(n, np.uint8)
    for k, (lo, hi) in enumerate(layout.part_ranges):
        part[lo:hi + 1] = k
    return {
        "neutral": neutral.astype(np.float32),
        "identity_deltas": np.stack([delta(p) for _, p in identities[:layout.n_identity]]),
        "expression_deltas": np.stack([delta(p) for p in expressions]),
        "expression_names": np.array([p.stem for p in expressions]),
        "triangles": triangulate(faces, n).astype(np.uint16 if n <= 65535 else np.uint32),
        "vertex_part": part,
        "part_names": np.array(PARTS),
        "landmarks68": np.asarray(layout.landmarks68, np.int32),
    }


def build_face_model(src: str | os.PathLike, out: str | os.PathLike, layout: ModelLayout = ICT_LIGHT) -> Path:
    """Convert an ICT-FaceKit checkout to the npz at ``out``, checked before it is written."""
    arrays = build_arrays(src, layout)
    validate_arrays(arrays, str(src), n_vertices=layout.n_vertices)
    out = Path(out)
    with atomic_path(out) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)
    return out
