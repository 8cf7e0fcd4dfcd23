"""Frames per second per core of the synthetic renderer at 224x224.

Runs in one process on one core (numba and x264 single-threaded) and reports, beside each rate,
its ratio to the rasteriser alone (the baseline, measured in the same process):
  rasterise      z-buffer and Gouraud fill of the 48k triangles, vertices already projected
  render         + expression blend, normals, pose, projection and lighting (per view-frame)
  render+encode  + H.264 encoding: the rate `poseau synth` sustains on one core
  varied ...     the same in the varied look (lights, background and camera effects per image; the asymmetric
                 shape and its creases once per frame, shared by its 9 views, as synth does)
Usage: python benchmarks/synth_speed.py [--face-model NPZ] [--frames 90]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time

import numpy as np

from poseau.constants import VIEWS
from poseau.data.video import VideoWriter
from poseau.synth.appearance import sample_identity, sample_lighting
from poseau.synth.camera import Camera
from poseau.synth.facemodel import load_face_model
from poseau.synth.raster import new_buffers, rasterize
from poseau.synth.render import FaceRenderer
from poseau.synth.variation import sample_scene


def rate(fn, n: int) -> float:
    fn(0)  # warm-up (numba compilation is cached, but the first call still loads it)
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--face-model")
    parser.add_argument("--frames", type=int, default=90, help="images per measurement")
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    model = load_face_model(args.face_model)
    rng = np.random.default_rng(0)
    renderer = FaceRenderer(model, sample_identity(model, rng), Camera(args.size))
    light = sample_lighting(rng)
    intensities = np.random.default_rng(1).uniform(0, 5, (args.frames + 1, 7)).astype(np.float32)
    verts0 = renderer.shape(intensities[0])

    projected = [renderer.project(verts0, view, light) for view in VIEWS]

    def raster_only(i):
        screen, depth, colors = projected[i % len(VIEWS)]
        image, zbuf = new_buffers(args.size, args.size, light.background)
        rasterize(screen, depth, colors, model.triangles, image, zbuf)

    def render(i):
        verts = renderer.shape(intensities[i])
        renderer.render(verts, VIEWS[i % 9], light)

    with tempfile.TemporaryDirectory() as tmp:
        writer = VideoWriter(os.path.join(tmp, "b.mp4"), args.size)

        def render_encode(i):
            verts = renderer.shape(intensities[i])
            writer.write(renderer.render(verts, VIEWS[i % 9], light)[0])

        textured = FaceRenderer(model, sample_identity(model, rng, textured=True), Camera(args.size))
        # every camera effect on, at its most: the slowest varied sequence
        scene = dataclasses.replace(sample_scene(rng, args.size), blur=args.size / 224, noise=0.02, rescale=2.0)
        varied_writer = VideoWriter(os.path.join(tmp, "v.mp4"), args.size, crf=scene.crf)

        frame = {}

        def varied(i, encode=False):
            if i % 9 == 0 or not frame:
                frame["verts"] = textured.shape(intensities[i // 9], asymmetry=np.full(7, 0.2, np.float32))
                frame["albedo"] = textured.creased_albedo(frame["verts"])
            image = textured.render_scene(frame["verts"], VIEWS[i % 9], scene, rng, albedo=frame["albedo"])[0]
            if encode:
                varied_writer.write(image)

        base = rate(raster_only, args.frames)
        results = {"rasterise": base, "render": rate(render, args.frames),
                   "render+encode": rate(render_encode, args.frames), "varied render": rate(varied, args.frames),
                   "varied +encode": rate(lambda i: varied(i, True), args.frames)}
        writer.close()
        varied_writer.close()
    print(f"synthetic renderer, {args.size}x{args.size}, one core, {model.n_vertices} vertices, "
          f"{len(model.triangles)} triangles")
    for name, fps in results.items():
        print(f"  {name:14s} {fps:7.1f} frames/s   ratio to rasterise {fps / base:5.2f}")


if __name__ == "__main__":
    main()
