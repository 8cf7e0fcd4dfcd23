"""Names and numbers that the whole package shares, each defined once."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("poseau")  # pyproject.toml's, the one place the version is written
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

# FERA 2017 intensity sub-challenge AUs, in the order used everywhere.
AUS: tuple[str, ...] = ("AU01", "AU04", "AU06", "AU10", "AU12", "AU14", "AU17")
# AUs in the header of FERA 2017 occurrence files (occurrence sub-challenge).
OCCURRENCE_AUS: tuple[int, ...] = (1, 4, 6, 7, 10, 12, 14, 15, 17, 23)

INTENSITY_MAX = 5
MISSING = 9  # label code for "not coded"; excluded from training and scoring

# Views 1..9 of FERA 2017: (pitch, yaw) in degrees. Positive pitch = head up;
# negative yaw = nose toward the image's left edge. Best public reading of the
# challenge's set-up, not an official table: this is the only place it lives.
VIEW_ANGLES: dict[int, tuple[float, float]] = {
    1: (20.0, -40.0), 2: (20.0, -20.0), 3: (20.0, 0.0),
    4: (0.0, -40.0), 5: (0.0, -20.0), 6: (0.0, 0.0),
    7: (-20.0, -40.0), 8: (-20.0, -20.0), 9: (-20.0, 0.0),
}
VIEWS: tuple[int, ...] = tuple(VIEW_ANGLES)

# The paper's pose groups: pitch up, level, down.
POSE_GROUPS: tuple[str, ...] = ("up", "level", "down")
VIEW_POSE_GROUP: dict[int, int] = {v: (v - 1) // 3 for v in VIEWS}

# The 68 facial landmarks in the iBUG 300-W order (the face model's landmarks68): each one's mirror image across
# the face's midline (jaw, brows, nose, eyes, mouth), what a left-right flip of a frame swaps.
MIRROR68: tuple[int, ...] = (*range(16, -1, -1), *range(26, 16, -1), 27, 28, 29, 30, 35, 34, 33, 32, 31,
                             45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40, *range(54, 47, -1),
                             *range(59, 54, -1), *range(64, 59, -1), 67, 66, 65)
LANDMARK_SHAPE: tuple[int, int] = (len(MIRROR68), 2)  # a frame's landmarks: 68 of them, x and y

# Columns of predictions tables and CSVs: an AU's intensity as OpenFace names it (AU12_r), and beside the
# intensities the pose group probabilities.
POSE_COLUMNS: tuple[str, ...] = tuple(f"pose_{g}" for g in POSE_GROUPS)


def intensity_column(au: str) -> str:
    return f"{au}_r"


def raw_column(au: str) -> str:
    """An AU's predicted intensity before the median filter, beside the filtered one (evaluate)."""
    return f"{au}_raw"


def aus_in(columns) -> list[str]:
    """The AUs, in AUS order, whose intensity column is among ``columns`` (a table's)."""
    return [au for au in AUS if intensity_column(au) in columns]


def intensity_columns(aus=AUS) -> list[str]:
    """The intensity columns of ``aus`` (default: all seven, in their order)."""
    return [intensity_column(au) for au in aus]

# Families of names, each listed once; the registries that build them are keyed by these.
DATASETS: tuple[str, ...] = ("fera2017", "bp4d", "disfa", "manifest")
MODEL_KINDS: tuple[str, ...] = ("pose-invariant", "pose-dependent")
BACKBONE_NAMES: tuple[str, ...] = ("vgg16", "efficientnet_lite0")
OPTIMIZERS: tuple[str, ...] = ("sgd", "adam")
SCHEDULES: tuple[str, ...] = ("constant", "cosine")  # learning rate over a stage's epochs
# how a mixed model takes each AU from its candidates (poseau.evaluate.selection): the paper's choice of the one
# with the higher validation ICC, or the mean of every candidate that outputs it
MIX_RULES: tuple[str, ...] = ("best", "mean")
STAGES: dict[str, tuple[str, ...]] = {"pose-invariant": ("regress",), "pose-dependent": ("routed", "pose", "joint")}
RUNTIMES: tuple[str, ...] = ("auto", "torch", "onnx")
# where the network runs in a run of many inputs (poseau.infer.batch): each worker's own, or one for all
INFERENCE: tuple[str, ...] = ("auto", "workers", "central")
# Image files read anywhere (dataset frames, `poseau predict` inputs): the formats OpenCV decodes.
IMAGE_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")

# A face crop's side over the detected face box's larger side, when nothing else says.
DEFAULT_CROP_SCALE = 1.4

# FERA 2017 on-disk names per partition: folder of videos, file prefix, label folders.
FERA_PARTITIONS: dict[str, dict[str, str]] = {
    "train": {"videos": "FERA17_Train_MV", "prefix": "FERA17_TR", "int": "Train_Int", "occ": "Train_Occ"},
    "valid": {"videos": "FERA17_Valid_MV", "prefix": "FERA17_VA", "int": "Valid_Int", "occ": "Valid_Occ"},
    "test": {"videos": "FERA17_Test_MV", "prefix": "FERA17_TE", "int": "Test_Int", "occ": "Test_Occ"},
}
FERA_TASKS: tuple[str, ...] = tuple(f"T{i}" for i in range(1, 9))
