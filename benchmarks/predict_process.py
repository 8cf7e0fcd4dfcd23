"""`poseau predict VIDEO --out DIR --no-plot` as a user runs it: the whole process (start-up, model loading,
decoding, detection, the network, the CSV), in frames of the video per second of wall time and per second of
CPU time (user + system, the process and its threads). Variants run --repeats times, alternating, and the
best run of each counts:

  default            onnxruntime on the shipped model's model.onnx, torch never imported
  --runtime torch    the same model file in PyTorch
  --detect-every 1   the default path with the face detected on every frame instead of followed between
  OpenFace           FeatureExtraction -aus -pose -mloc model/main_clnf_general.txt (CLNF; the snapshot's
                     build has no CEN patch experts), where $OPENFACE_BIN names a build
                     (../shared/tools/build_openface.sh), run from its folder so that its models resolve

Ratios are each variant's speed over OpenFace's where it ran, else over --runtime torch's. Then one image end to
end (`poseau predict IMAGE`, the start-up's share), best of --repeats.

Usage: python benchmarks/predict_process.py [--video ../shared/media/videos/liveportrait__d6.mp4]
       [--image ../shared/media/images/openface__sample1.jpg] [--model poseau-au7-v1] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from poseau.data.video import count_frames
from poseau.models.shipped import DEFAULT_MODEL

MEDIA = Path(__file__).resolve().parents[2] / "shared" / "media"
VARIANTS = {
    "default": [],
    "--runtime torch": ["--runtime", "torch"],
    "--detect-every 1": ["--detect-every", "1"],
}


def timed(command: list[str], cwd: str | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of ``command``, which must succeed."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()[-2000:]}")
    process.returncode = 0
    return wall, usage.ru_utime + usage.ru_stime


def poseau_command(media: Path, model: str, out: str, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "poseau", "-q", "predict", str(media), "--model", model, "--out", out, "--no-plot",
            *extra]


def openface_command(video: Path, out: str) -> tuple[list[str], str] | None:
    binary = os.environ.get("OPENFACE_BIN")
    if not binary:
        return None
    path = Path(binary).resolve()
    return [str(path), "-f", str(video.resolve()), "-out_dir", out, "-aus", "-pose", "-q", "-mloc",
            "model/main_clnf_general.txt"], str(path.parent)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--video", default=str(MEDIA / "videos" / "liveportrait__d6.mp4"))
    parser.add_argument("--image", default=str(MEDIA / "images" / "openface__sample1.jpg"))
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    video = Path(args.video)
    frames = count_frames(video)
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as out:
            runs = {name: (poseau_command(video, args.model, f"{out}/{k}", extra), None)
                    for k, (name, extra) in enumerate(VARIANTS.items())}
            if (openface := openface_command(video, f"{out}/openface")) is not None:
                runs["OpenFace 2.x"] = openface
            for name, (command, cwd) in runs.items():
                wall, cpu = timed(command, cwd)
                old = best.get(name, (float("inf"), float("inf")))
                best[name] = (min(old[0], wall), min(old[1], cpu))
    base = "OpenFace 2.x" if "OpenFace 2.x" in best else "--runtime torch"
    print(f"{video.name}: {frames} frames, model {args.model}; whole process, best of {args.repeats}; "
          f"ratios over {base}")
    for name, (wall, cpu) in best.items():
        print(f"  {name:18s} {wall:6.2f} s wall {frames / wall:7.1f} frames/s {best[base][0] / wall:5.2f}x   "
              f"{cpu:6.2f} CPU-s {frames / cpu:7.1f} frames/CPU-s {best[base][1] / cpu:5.2f}x")
    image = Path(args.image)
    times = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as out:
            times.append(timed(poseau_command(image, args.model, out, []))[0])
    print(f"{image.name}: one image end to end, best of {args.repeats}: {min(times):.2f} s wall")


if __name__ == "__main__":
    main()
