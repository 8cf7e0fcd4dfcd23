"""The face detectors on the real media in ../shared/media: what they find and what they cost.

Per video and detector: frames with a face found and ms per frame of detection, beside the decoding rate
measured in the same process (the baseline, ratio = detect / decode). Per image: faces found.
Usage: python benchmarks/face_detect_speed.py [--media ../shared/media]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2

from poseau.data.video import iter_frames
from poseau.faces.detect import DETECTORS


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--media", default=str(Path(__file__).resolve().parents[2] / "shared" / "media"))
    args = parser.parse_args()
    detectors = {name: cls() for name, cls in DETECTORS.items()}
    for video in sorted((Path(args.media) / "videos").iterdir()):
        start = time.perf_counter()
        frames = list(iter_frames(video))
        decode_ms = 1000 * (time.perf_counter() - start) / len(frames)
        for name, detector in detectors.items():
            start = time.perf_counter()
            hits = sum(bool(detector.detect_all(f)) for f in frames)
            detect_ms = 1000 * (time.perf_counter() - start) / len(frames)
            print(f"{video.name:26s} {name:6s} face in {hits:3d}/{len(frames):3d} frames   detect {detect_ms:5.1f} "
                  f"ms/frame   decode {decode_ms:4.1f} ms/frame   ratio {detect_ms / decode_ms:5.1f}")
    for image in sorted((Path(args.media) / "images").glob("*.jpg")):
        rgb = cv2.cvtColor(cv2.imread(str(image)), cv2.COLOR_BGR2RGB)
        found = {name: len(d.detect_all(rgb)) for name, d in detectors.items()}
        print(f"{image.name:26s} faces: " + ", ".join(f"{n} {k}" for n, k in found.items()))


if __name__ == "__main__":
    main()
