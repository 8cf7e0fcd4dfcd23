"""Small datasets in the owners' layouts, written by the tests with PyAV and OpenCV directly (not poseau)."""

from __future__ import annotations

import zlib
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

SIZE = 32


def frame_image(seed: int, size: int = SIZE) -> np.ndarray:
    """An RGB test frame: a smooth gradient plus a pattern that differs from seed to seed."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    base = (xx * 3 + yy * 2 + rng.integers(0, 60)).astype(np.float64)
    blobs = cv2.resize(rng.uniform(0, 120, (4, 4, 3)), (size, size), interpolation=cv2.INTER_CUBIC)
    return np.clip(base[..., None] + blobs, 0, 255).astype(np.uint8)


def write_video(path: Path, frames: list[np.ndarray], codec: str = "libx264") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=Fraction(25))
        stream.width, stream.height = frames[0].shape[1], frames[0].shape[0]
        stream.pix_fmt = "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": "0", "tune": "zerolatency"}
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


def write_labels(path: Path, values, first_frame: int = 1, delimiter: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{first_frame + i}{delimiter}{v}\n" for i, v in enumerate(values)))


# FERA 2017: (partition code, subject, task) -> number of frames. Train and valid both have F001 (two
# people); M002 has no T2; valid F001 T1 lacks its AU14 file; views 1, 5 and 9 only, to keep it small.
FERA_SEQUENCES = {("TR", "F001", "T1"): 6, ("TR", "F001", "T3"): 5, ("TR", "M002", "T1"): 4,
                  ("VA", "F001", "T1"): 7}
FERA_VIEWS = (1, 5, 9)
FERA_AUS = (1, 4, 6, 10, 12, 14, 17)
FERA_FOLDERS = {"TR": ("FERA17_Train_MV", "Train_Int"), "VA": ("FERA17_Valid_MV", "Valid_Int")}


def fera_labels(code: str, subject: str, task: str, au: int, n: int) -> list[int]:
    rng = np.random.default_rng(zlib.crc32(f"{code}{subject}{task}{au}".encode()))
    values = rng.integers(0, 6, n)
    values[n // 2] = 9  # one missing label per sequence and AU
    return values.tolist()


def write_fera(root: Path) -> dict:
    """A FERA 2017 tree; returns {(partition, subject, task, view): (n, {AU number: labels})}."""
    truth = {}
    for seq_i, ((code, subject, task), n) in enumerate(FERA_SEQUENCES.items()):
        videos, labels = FERA_FOLDERS[code]
        aus = [a for a in FERA_AUS if not (code == "VA" and a == 14)]
        values = {a: fera_labels(code, subject, task, a, n) for a in aus}
        for a in aus:
            write_labels(root / labels / f"FERA17_{code}_{subject}_{task}_AU{a:02d}_Int.csv", values[a])
        for view in FERA_VIEWS:
            frames = [frame_image(seq_i * 1000 + view * 100 + i) for i in range(n)]
            write_video(root / videos / f"FERA17_{code}_{subject}_{task}_{view}.mp4", frames)
            truth[({"TR": "train", "VA": "valid"}[code], subject, task, view)] = (n, values)
    return truth


def write_bp4d(root: Path) -> None:
    """F001/T1 coded at frames 10-14 for AU06 and AU12 (frame 12 of AU12 missing); images 8-15; M001/T2 too."""
    for subject, task, first in (("F001", "T1", 10), ("M001", "T2", 3)):
        for k in range(first - 2, first + 6):
            folder = root / "Sequences" / subject / task
            folder.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(folder / f"{k:04d}.jpg"), frame_image(k)[..., ::-1])
        write_labels(root / "AU_INT" / "AU06" / f"{subject}_{task}_AU06.csv", [0, 1, 2, 3, 4], first)
        write_labels(root / "AU_INT" / "AU12" / f"{subject}_{task}_AU12.csv", [5, 4, 9, 0, 0], first)


def write_disfa(root: Path, n: int = 8) -> None:
    for subject in ("SN001", "SN002"):
        for au in (1, 2, 4, 12, 25):
            write_labels(root / "ActionUnit_Labels" / subject / f"{subject}_au{au}.txt", [au % 6] * n)
        for side, folder in (("Left", "Videos_LeftCamera"), ("Right", "Video_RightCamera")):
            frames = [frame_image(i + len(side)) for i in range(n)]
            write_video(root / folder / f"{side}Video{subject}_comp.avi", frames, codec="mpeg4")


def write_manifest(root: Path, subjects: dict[str, str], frames: int = 6, views=(1, 5, 9), seed: int = 0) -> Path:
    """Image files and a manifest CSV: ``frames`` frames per subject (name -> partition) and view, each AU's
    label drawn 0-5 with zeros and a missing 9 now and then. A dataset without rendering, for tests of what
    happens to a store rather than of what is in its faces."""
    rng = np.random.default_rng(seed)
    rows = ["image,subject,partition,view,AU01,AU04,AU06,AU10,AU12,AU14,AU17"]
    for s, (subject, partition) in enumerate(subjects.items()):
        for view in views:
            for f in range(frames):
                name = f"{subject}_{view}_{f:03d}.png"
                cv2.imwrite(str(root / name), frame_image(1000 * s + 100 * view + f))
                labels = rng.choice([0, 0, 1, 2, 3, 4, 5, 9], size=7)
                rows.append(f"{name},{subject},{partition},{view}," + ",".join(map(str, labels)))
    path = root / "manifest.csv"
    path.write_text("\n".join(rows) + "\n")
    return path
