"""`poseau synth`: render a multi-view AU dataset in the FERA 2017 layout.

Every random draw comes from a generator seeded by (seed, partition, subject[, task]), so a
sequence's frames and labels depend only on the seed and its place, not on worker count
or order. Each (partition, subject, task) is one job; jobs run in worker processes.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import multiprocessing as mp
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from poseau.config import SynthConfig, save_config
from poseau.constants import AUS, FERA_PARTITIONS, FERA_TASKS, LANDMARK_SHAPE, VIEW_ANGLES
from poseau.data.fera2017 import landmarks_path
from poseau.data.video import VideoWriter
from poseau.fileio import atomic_path, out_folder, write_text_atomic
from poseau.progress import progress_bar
from poseau.synth.appearance import random_albedo, sample_identity, sample_lighting
from poseau.synth.camera import Camera
from poseau.synth.details import sample_accessories
from poseau.synth.expressions import DISTRACTORS, generate_track
from poseau.synth.facemodel import FaceModel, load_face_model
from poseau.synth.fera_layout import subject_ids, truth_path, video_path, write_labels, write_truth
from poseau.synth.raster import vertex_normals
from poseau.synth.render import FaceRenderer
from poseau.synth.variation import SOLO_EVENTS, background_files, sample_scene
from poseau.synth.wrinkles import sample_wrinkles

log = logging.getLogger(__name__)
PARTITION_INDEX = {name: i for i, name in enumerate(FERA_PARTITIONS)}
JITTER_NAMES = ("pitch", "yaw", "roll", "tx", "ty", "tz")


@dataclass(frozen=True)
class Job:
    partition: str
    subject_index: int
    task_index: int

    @property
    def subject(self) -> str:
        return subject_ids(self.subject_index + 1)[-1]

    @property
    def task(self) -> str:
        return FERA_TASKS[self.task_index]


def plan_jobs(config: SynthConfig) -> list[Job]:
    counts = {"train": config.train_subjects, "valid": config.valid_subjects, "test": config.test_subjects}
    return [Job(p, s, t) for p, n in counts.items() for s in range(n) for t in range(config.tasks)]


def head_jitter(n: int, jitter_deg: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 6) smooth head motion: rotation (degrees, std ``jitter_deg``) and translation (cm)."""
    width = 9
    noise = rng.standard_normal((n + width - 1, 6))
    kernel = np.hanning(width + 2)[1:-1]
    smooth = np.stack([np.convolve(noise[:, k], kernel, "valid") for k in range(6)], 1)
    smooth /= max(float(smooth.std()), 1e-6)
    return (smooth * np.array([jitter_deg] * 3 + [0.15] * 3)).astype(np.float32)


def render_job(model: FaceModel, config: SynthConfig, out: Path, job: Job, on_frame=None) -> int:
    """Render one subject and task at every view; write videos, labels and truth. Returns frames written."""
    part = PARTITION_INDEX[job.partition]
    varied = config.look == "varied"
    person_rng = np.random.default_rng([config.seed, part, job.subject_index])
    detailed = varied and config.details  # the face's details from streams of their own: the rest stays the same
    identity = sample_identity(model, person_rng, config.identity_modes, textured=varied,
                               detail=np.random.default_rng([config.seed, part, job.subject_index, 0, 4])
                               if detailed else None)
    painted = np.random.default_rng([config.seed, part, job.subject_index, job.task_index + 1, 2])  # its own stream
    if varied and config.randomise and painted.random() < config.randomise:
        identity = dataclasses.replace(identity, albedo=random_albedo(identity.vertices, painted))
    fields = None
    if config.wrinkles:  # the person's own, from their own stream so that nothing else changes
        fields = sample_wrinkles(model, identity.vertices, np.random.default_rng([config.seed, part,
                                 job.subject_index, 0, 3]), config.wrinkles)
    rng = np.random.default_rng([config.seed, part, job.subject_index, job.task_index + 1])
    lighting = sample_lighting(rng)
    track = generate_track(config.frames, rng, config.active, distractors=config.distractors,
                           missing_rate=config.missing_rate, solo=SOLO_EVENTS if varied else 0.0)
    jitter = head_jitter(config.frames, config.jitter_deg, rng)
    renderer = FaceRenderer(model, identity, Camera(config.size), config.supersample, fields)
    scene = sample_scene(rng, config.size, background_files(config.backgrounds)) if varied else None
    asymmetry = rng.uniform(-0.35, 0.35, len(AUS)).astype(np.float32) if varied else None
    sensor = np.random.default_rng([config.seed, part, job.subject_index, job.task_index + 1, 1])
    accessories = sample_accessories(np.random.default_rng([config.seed, part, job.subject_index,
                                                            job.task_index + 1, 4])) if detailed else None

    paths = {v: video_path(out, job.partition, job.subject, job.task, v) for v in config.views}
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    temps = {v: p.with_name(f".{p.name}.part") for v, p in paths.items()}
    crf = scene.crf if varied else config.crf
    writers = {v: VideoWriter(temps[v], config.size, config.fps, crf) for v in config.views}
    marks = {v: np.empty((config.frames, *LANDMARK_SHAPE), np.float32) for v in config.views}
    try:
        for t in range(config.frames):
            verts = renderer.shape(track.intensity[t], track.distractors[t], asymmetry)
            normals = vertex_normals(verts, model.triangles)
            if varied:
                albedo = renderer.creased_albedo(verts)
            for v, writer in writers.items():
                if varied:
                    image, marks[v][t] = renderer.render_scene(verts, v, scene, sensor, jitter[t], normals, albedo,
                                                               accessories)
                else:
                    image, marks[v][t] = renderer.render(verts, v, lighting, jitter[t], normals)
                writer.write(image)
            if on_frame is not None:
                on_frame(len(writers))
    finally:
        for w in writers.values():
            w.close()
    for v in config.views:
        with atomic_path(landmarks_path(paths[v])) as tmp, open(tmp, "wb") as file:
            np.save(file, marks[v])
        with atomic_path(paths[v]) as tmp:
            temps[v].rename(tmp)
    write_labels(out, job.partition, job.subject, job.task, track.labels)
    columns = {f"{au}": track.intensity[:, k] for k, au in enumerate(AUS)}
    columns.update({d: track.distractors[:, k] for k, d in enumerate(DISTRACTORS)})
    pose = jitter + scene.pose if varied else jitter  # the head's motion about the view's pose
    columns.update({n: pose[:, k] for k, n in enumerate(JITTER_NAMES)})
    write_truth(truth_path(out, job.partition, job.subject, job.task), columns)
    return config.frames * len(config.views)


_WORKER: dict = {}


def _init_worker(model: FaceModel, config: SynthConfig, out: str) -> None:
    _WORKER.update(model=model, config=config, out=Path(out))


def _run_job(job: Job) -> tuple[Job, int]:
    return job, render_job(_WORKER["model"], _WORKER["config"], _WORKER["out"], job)


def synthesize(config: SynthConfig, out: str | Path, *, face_model: str | Path | None = None, workers: int = 1,
               contact_sheet: bool = True, progress: bool = True) -> Path:
    """Render the dataset described by ``config`` into ``out``; return ``out``."""
    from poseau.synth.contact_sheet import draw_contact_sheet

    out = out_folder(out)
    background_files(config.backgrounds)  # a bad folder stops here, before any work
    model = load_face_model(face_model)
    out.mkdir(parents=True, exist_ok=True)
    jobs = plan_jobs(config)
    total = len(jobs) * config.frames * len(config.views)
    log.info("rendering %d sequences x %d views x %d frames into %s", len(jobs), len(config.views), config.frames, out)
    with progress_bar(progress, unit="images") as bar:
        task = bar.add_task("synth", total=total)
        if workers <= 1:
            for job in jobs:
                render_job(model, config, out, job, on_frame=lambda k: bar.advance(task, k))
        else:
            ctx = mp.get_context("fork")  # workers inherit the loaded model instead of reading it again
            with ctx.Pool(workers, _init_worker, (model, config, str(out))) as pool:
                for _job, n in pool.imap_unordered(_run_job, jobs):
                    bar.advance(task, n)
    save_config(config, out / "synth_config.yaml")
    info = {
        "generator": "poseau synth", "face_model": str(model.path), "aus": list(AUS),
        "views": {str(v): {"pitch": VIEW_ANGLES[v][0], "yaw": VIEW_ANGLES[v][1]} for v in config.views},
        "sequences": [{"partition": j.partition, "subject": j.subject, "task": j.task} for j in jobs],
        "frames_per_sequence": config.frames,
    }
    write_text_atomic(out / "synth_info.json", json.dumps(info, indent=2))
    licence = model.path.parent / "LICENSE-ICT-FaceKit"
    if licence.is_file():  # the face model's MIT licence travels with data derived from it
        shutil.copyfile(licence, out / "LICENSE-ICT-FaceKit")
    if contact_sheet:
        draw_contact_sheet(model, out / "contact_sheet.png", size=config.size, seed=config.seed, views=config.views,
                           look=config.look, wrinkles=config.wrinkles,
                           details=config.details and config.look == "varied")
    log.info("wrote %d images in %d videos", total, len(jobs) * len(config.views))
    return out
