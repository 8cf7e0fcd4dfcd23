"""The ICT-FaceKit light face model: finding it, loading it, checking it.

The model is one npz (see ../shared/facemodel/README.md for its arrays). A face is
``neutral + identity_coeffs @ identity_deltas + expression_weights @ expression_deltas``.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import platformdirs

from poseau.errors import PoseauError

ENV_VAR = "POSEAU_FACE_MODEL"
FILENAME = "ict_facekit_light.npz"

# AU -> the expression shapes whose weight is intensity / 5 (the facemodel README's table).
AU_SHAPES: dict[str, tuple[str, ...]] = {
    "AU01": ("browInnerUp_L", "browInnerUp_R"),
    "AU04": ("browDown_L", "browDown_R"),
    "AU06": ("cheekSquint_L", "cheekSquint_R"),
    "AU10": ("mouthShrugUpper",),
    "AU12": ("mouthSmile_L", "mouthSmile_R"),
    "AU14": ("mouthDimple_L", "mouthDimple_R"),
    "AU17": ("mouthShrugLower",),
}
# Movements that are not among the seven AUs, rendered to make the task harder.
DISTRACTOR_SHAPES: dict[str, tuple[str, ...]] = {
    "blink": ("eyeBlink_L", "eyeBlink_R"),
    "jaw_open": ("jawOpen",),
    "outer_brow_raise": ("browOuterUp_L", "browOuterUp_R"),
}
ARRAYS = ("neutral", "identity_deltas", "expression_deltas", "expression_names",
          "triangles", "vertex_part", "part_names", "landmarks68")
PARTS = ("face", "head_neck", "mouth_socket", "eye_socket_left", "eye_socket_right",
         "gums_tongue", "teeth", "sclera_left", "iris_left", "sclera_right", "iris_right")


@dataclass(frozen=True, eq=False)
class FaceModel:
    neutral: np.ndarray            # (V, 3) float32, centimetres, +y up, +z out of the face
    identity_deltas: np.ndarray    # (I, V, 3) float32
    expression_deltas: np.ndarray  # (E, V, 3) float32
    expression_names: tuple[str, ...]
    triangles: np.ndarray          # (T, 3) int32
    vertex_part: np.ndarray        # (V,) uint8, index into part_names
    part_names: tuple[str, ...]
    landmarks68: np.ndarray        # (68,) int32 vertex ids
    path: Path | None = None

    @property
    def n_vertices(self) -> int:
        return self.neutral.shape[0]

    def shape_index(self, name: str) -> int:
        return self.expression_names.index(name)

    def part_mask(self, name: str) -> np.ndarray:
        return self.vertex_part == self.part_names.index(name)

    def skin_mask(self) -> np.ndarray:
        """(V,) True on the skin: the face and the head and neck (not eyes, mouth, teeth)."""
        return self.part_mask("face") | self.part_mask("head_neck")


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("poseau")) / "facemodel"


def locate_face_model(path: str | os.PathLike | None = None) -> Path:
    """The face model file: ``path``, else $POSEAU_FACE_MODEL, else the user cache."""
    if path is not None:
        source, candidate = "--face-model", Path(path)
    elif os.environ.get(ENV_VAR):
        source, candidate = ENV_VAR, Path(os.environ[ENV_VAR])
    else:
        source, candidate = "the cache", default_cache_dir() / FILENAME
    if not candidate.is_file():
        raise PoseauError(
            f"{candidate}: face model not found (from {source}); pass --face-model, set {ENV_VAR}, "
            "or run `poseau facemodel download`"
        )
    return candidate


def validate_arrays(arrays: dict[str, np.ndarray], where: str, n_vertices: int | None = None) -> None:
    """Raise PoseauError naming ``where`` unless the arrays form a usable face model."""
    missing = [k for k in ARRAYS if k not in arrays]
    if missing:
        raise PoseauError(f"{where}: not a face model, missing arrays {', '.join(missing)}")
    neutral = arrays["neutral"]
    if neutral.ndim != 2 or neutral.shape[1] != 3:
        raise PoseauError(f"{where}: 'neutral' has shape {neutral.shape}, expected (V, 3)")
    v = neutral.shape[0]
    if n_vertices is not None and v != n_vertices:
        raise PoseauError(f"{where}: 'neutral' has {v} vertices, expected {n_vertices}")
    for key in ("identity_deltas", "expression_deltas"):
        a = arrays[key]
        if a.ndim != 3 or a.shape[1:] != (v, 3):
            raise PoseauError(f"{where}: '{key}' has shape {a.shape}, expected (N, {v}, 3)")
    for key in ("neutral", "identity_deltas", "expression_deltas"):
        if not np.isfinite(arrays[key]).all():
            raise PoseauError(f"{where}: '{key}' holds {int((~np.isfinite(arrays[key])).sum())} values that are "
                              "not finite (NaN or infinity)")
    names = [str(n) for n in arrays["expression_names"]]
    if len(names) != arrays["expression_deltas"].shape[0]:
        raise PoseauError(f"{where}: {len(names)} expression names for "
                          f"{arrays['expression_deltas'].shape[0]} expression shapes")
    needed = {s for shapes in (*AU_SHAPES.values(), *DISTRACTOR_SHAPES.values()) for s in shapes}
    absent = sorted(needed - set(names))
    if absent:
        raise PoseauError(f"{where}: expression shapes missing: {', '.join(absent)}")
    tris = arrays["triangles"]
    if tris.ndim != 2 or tris.shape[1] != 3 or len(tris) == 0 or int(tris.max()) >= v:
        raise PoseauError(f"{where}: 'triangles' must be (T, 3) vertex ids below {v}")
    parts = [str(p) for p in arrays["part_names"]]
    if tuple(parts) != PARTS:
        raise PoseauError(f"{where}: part names {parts}, expected {list(PARTS)}")
    if arrays["vertex_part"].shape != (v,) or int(arrays["vertex_part"].max()) >= len(parts):
        raise PoseauError(f"{where}: 'vertex_part' must be ({v},) indices into part_names")
    lm = arrays["landmarks68"]
    if lm.shape != (68,) or int(lm.max()) >= v or int(lm.min()) < 0:
        raise PoseauError(f"{where}: 'landmarks68' must be 68 vertex ids below {v}")


def load_face_model(path: str | os.PathLike | None = None) -> FaceModel:
    """Load and check the face model found by :func:`locate_face_model`."""
    file = locate_face_model(path)
    if not zipfile.is_zipfile(file):
        raise PoseauError(f"{file}: not an npz archive (expected the face model's arrays)")
    try:
        with np.load(file, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise PoseauError(f"{file}: cannot be read as a face model npz ({exc})") from None
    validate_arrays(arrays, str(file))
    return FaceModel(
        neutral=arrays["neutral"].astype(np.float32),
        identity_deltas=arrays["identity_deltas"].astype(np.float32),
        expression_deltas=arrays["expression_deltas"].astype(np.float32),
        expression_names=tuple(str(n) for n in arrays["expression_names"]),
        triangles=arrays["triangles"].astype(np.int32),
        vertex_part=arrays["vertex_part"].astype(np.uint8),
        part_names=tuple(str(p) for p in arrays["part_names"]),
        landmarks68=arrays["landmarks68"].astype(np.int32),
        path=file,
    )
