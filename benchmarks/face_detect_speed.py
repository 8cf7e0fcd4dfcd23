"""Haar face detection (used by `prepare --face-crop`) on the real videos in ../shared/media.

Per video: frames with a face found, and ms per frame of detection, beside the decoding + greyscale rate
measured in the same process (the baseline).
Usage: python benchmarks/face_detect_speed.py [--media ../shared/media]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from poseau.data.preprocess import to_grey
from poseau.data.video import iter_frames
from poseau.infer.detect import HaarFaceDetector


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--media", default=str(Path(__file__).resolve().parents[2] / "shared" / "media"))
    args = parser.parse_args()
    detector = HaarFaceDetector()
    for video in sorted((Path(args.media) / "videos").iterdir()):
        start = time.perf_counter()
        frames = [to_grey(f) for f in iter_frames(video)]
        decode_ms = 1000 * (time.perf_counter() - start) / len(frames)
        start = time.perf_counter()
        hits = sum(detector.detect(g) is not None for g in frames)
        detect_ms = 1000 * (time.perf_counter() - start) / len(frames)
        print(f"{video.name:28s} face in {hits:3d}/{len(frames):3d} frames   detect {detect_ms:5.1f} ms/frame   "
              f"decode+grey {decode_ms:4.1f} ms/frame   ratio {detect_ms / decode_ms:5.1f}")


if __name__ == "__main__":
    main()
