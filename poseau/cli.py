"""The command line: one subcommand per verb, each a thin call into the library."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
import warnings
from pathlib import Path

from poseau.config import (
    DETECT_EVERY,
    EVAL_BATCH,
    EVAL_PARTITION,
    MEDIAN_WIDTH,
    RENDER_WORKERS,
    SALIENCY_BATCH,
    SALIENCY_FRAMES,
    SEQUENCE_FPS,
    DemoConfig,
    PrepareConfig,
    PretrainConfig,
    SynthConfig,
)
from poseau.constants import AUS, DATASETS, DEFAULT_CROP_SCALE, LOOKS, RUNTIMES, VIEWS
from poseau.errors import PoseauError
from poseau.models.shipped import DEFAULT_MODEL


def _views(text: str) -> tuple[int, ...]:
    try:
        views = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"views must be comma-separated numbers 1-9, got {text!r}") from None
    if not set(views) <= set(VIEWS):
        raise argparse.ArgumentTypeError(f"views must be among 1-9, got {text!r}")
    return views


def _yes_no(text: str) -> bool:
    if text.lower() in ("yes", "true", "1", "on"):
        return True
    if text.lower() in ("no", "false", "0", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected yes or no, got {text!r}")


def _at_least(low: int):
    """An argparse type: a whole number >= ``low``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value
    return parse


def _positive(text: str) -> float:
    """An argparse type: a number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def _odd_width(text: str) -> int:
    """An argparse type: a median filter width, odd and positive (1: no filter)."""
    value = _at_least(1)(text)
    if value % 2 == 0:
        raise argparse.ArgumentTypeError(f"must be odd (1, 3, 5, ...), got {value}")
    return value


def _names(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


def _add_model_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--face-model", help="face model npz (default: $POSEAU_FACE_MODEL, then the user cache)")


def _add_synth_args(p: argparse.ArgumentParser, defaults: SynthConfig) -> None:
    _add_model_arg(p)
    p.add_argument("--train-subjects", type=int, default=defaults.train_subjects)
    p.add_argument("--valid-subjects", type=int, default=defaults.valid_subjects)
    p.add_argument("--test-subjects", type=int, default=defaults.test_subjects)
    p.add_argument("--tasks", type=int, default=defaults.tasks, help="tasks per subject (1-8)")
    p.add_argument("--frames", type=int, default=defaults.frames, help="frames per sequence")
    p.add_argument("--size", type=int, default=defaults.size, help="image size in pixels")
    p.add_argument("--seed", type=int, default=defaults.seed)
    p.add_argument("--views", type=_views, default=defaults.views, help="comma-separated, e.g. 4,5,6")
    p.add_argument("--no-distractors", action="store_true", help="no blinks, jaw opening or outer brow raises")
    p.add_argument("--missing-rate", type=float, default=defaults.missing_rate, help="share of frames labelled 9")
    p.add_argument("--jitter", type=float, default=defaults.jitter_deg, help="head jitter std in degrees")
    p.add_argument("--supersample", type=int, default=defaults.supersample, help="anti-aliasing factor")
    p.add_argument("--look", choices=LOOKS, default=defaults.look, help="studio: one white light on a flat "
                   "background; varied: lights, backgrounds, pose, skin, creases and camera vary per sequence")
    p.add_argument("--backgrounds", default=defaults.backgrounds,
                   help="a folder of your own images to use as backgrounds (varied look)")
    p.add_argument("--workers", type=_at_least(1), default=RENDER_WORKERS, help="processes")
    p.add_argument("--no-contact-sheet", action="store_true")


def _synth_config(args: argparse.Namespace) -> SynthConfig:
    return SynthConfig(
        train_subjects=args.train_subjects, valid_subjects=args.valid_subjects, test_subjects=args.test_subjects,
        tasks=args.tasks, frames=args.frames, size=args.size, seed=args.seed, views=args.views,
        distractors=not args.no_distractors, missing_rate=args.missing_rate, jitter_deg=args.jitter,
        supersample=args.supersample, look=args.look, backgrounds=args.backgrounds,
    )


def cmd_synth(args: argparse.Namespace) -> None:
    from poseau.synth.generate import synthesize

    out = synthesize(_synth_config(args), args.out, face_model=args.face_model, workers=args.workers,
                     contact_sheet=not args.no_contact_sheet, progress=not args.quiet)
    print(f"dataset written to {out}")


def _recipe_config(cls, args: argparse.Namespace):
    import dataclasses

    return cls(**{f.name: getattr(args, f.name) for f in dataclasses.fields(cls)})


def cmd_demo(args: argparse.Namespace) -> None:
    from poseau.demo import run_demo

    page = run_demo(_recipe_config(DemoConfig, args), args.out, face_model=args.face_model, workers=args.workers,
                    device=args.device, progress=not args.quiet)
    print(f"report: {page} (and {page.with_suffix('.md')})")


def cmd_pretrain(args: argparse.Namespace) -> None:
    from poseau.pretrain import run_pretrain

    folder = run_pretrain(_recipe_config(PretrainConfig, args), args.out, face_model=args.face_model,
                          workers=args.workers, device=args.device, media=args.media, progress=not args.quiet)
    print(f"the model to ship, its scores and model card: {folder} (report: {Path(args.out) / 'report.html'})")


def cmd_models(args: argparse.Namespace) -> None:
    from poseau.models.shipped import SHIPPED

    for name, shipped in SHIPPED.items():
        scores = shipped.scores()
        real, synthetic = scores.get("real", {}), scores.get("synthetic_holdout", {})
        measured = (f"real faces r {real['mean']:.2f} (vs {real['reference']}); " if real else "") + (
            f"synthetic ICC {synthetic['icc']:.2f}, RMSE {synthetic['rmse']:.2f}" if synthetic else "not measured")
        state = "" if shipped.path.is_file() else " [file missing]"
        print(f"{name}{' (default)' if name == DEFAULT_MODEL else ''}{state}: licence {shipped.licence}; "
              f"{shipped.summary}; {measured}; card: {shipped.card}")


def _add_recipe_args(p: argparse.ArgumentParser, cls, out: str) -> None:
    import dataclasses

    p.add_argument("--out", default=out, help=f"output folder (default: {out})")
    _add_model_arg(p)
    p.add_argument("--workers", type=_at_least(1), default=RENDER_WORKERS,
                   help=f"processes for rendering and preparing (default: {RENDER_WORKERS})")
    p.add_argument("--device", default="cpu", help="cpu, cuda, mps")
    for field in dataclasses.fields(cls):
        kind = {bool: _yes_no, tuple: _names}.get(type(field.default), type(field.default))
        p.add_argument("--" + field.name.replace("_", "-"), type=kind, default=field.default,
                       help=f"default {field.default}")


def cmd_evaluate(args: argparse.Namespace) -> None:
    from poseau.evaluate.evaluation import evaluate_models

    evaluations = evaluate_models(args.model, args.store, args.out, partition=args.partition, names=args.name,
                                  median=args.median, device=args.device, batch_size=args.batch_size,
                                  progress=not args.quiet)
    for ev in evaluations:
        print(ev.summary())
    print(f"tables and figures in {args.out} (Table I: {Path(args.out) / 'models.md'})")


def cmd_mix(args: argparse.Namespace) -> None:
    from poseau.evaluate.selection import select_mixed

    path = select_mixed(args.model, args.store, args.out, partition=args.partition, names=args.name,
                        median=args.median, device=args.device, batch_size=args.batch_size, progress=not args.quiet)
    print(f"mixed model written to {path}")


def cmd_saliency(args: argparse.Namespace) -> None:
    from poseau.explain.saliency import draw_saliency

    path = draw_saliency(args.model, args.store, args.out, partition=args.partition, frames=args.frames,
                         aus=list(args.aus) if args.aus else None, device=args.device, batch_size=args.batch_size,
                         progress=not args.quiet)
    print(f"saliency maps: {path}")


def cmd_report(args: argparse.Namespace) -> None:
    from poseau.report import write_report

    md, page = write_report(args.folder)
    print(f"report: {page} (and {md})")


def cmd_predict(args: argparse.Namespace) -> int:
    from poseau.infer.outputs import predict_inputs

    problems, written = 0, 0
    results = predict_inputs(args.inputs, args.model, args.out, detector=args.detector, all_faces=args.all_faces,
                             median=args.median, fps=args.fps, batch_size=args.batch_size, device=args.device,
                             runtime=args.runtime, crop_scale=args.crop_scale, plot=not args.no_plot,
                             detect_every=args.detect_every, progress=not args.quiet)
    for path, result in results:
        if isinstance(result, PoseauError):
            problems += 1
            print(f"poseau: error: {result}", file=sys.stderr)
        else:
            written += 1
            print(f"{path} -> {result}")
    if problems == 1 and len(args.inputs) == 1:
        return 2  # its one line says it all
    if problems:
        raise PoseauError(f"{problems} problem{'s' * (problems > 1)} (listed above); {written} of "
                          f"{len(args.inputs)} inputs written")
    return 0


def cmd_export(args: argparse.Namespace) -> None:
    from poseau.export.onnx import export_onnx

    difference = export_onnx(args.model, args.out)
    print(f"{args.out}: largest |onnxruntime - torch| on 8 random frames: {difference:.3g}")


def _add_scoring_args(p: argparse.ArgumentParser, several: bool = True) -> None:
    p.add_argument("--model", required=True, nargs="+" if several else None,
                   help="model files (runs' model.pt, or mixed models)" if several
                   else "a model file (a run's model.pt, or a mixed model)")
    p.add_argument("--store", required=True, help="a frame store made by `poseau prepare`")
    p.add_argument("--partition", default=EVAL_PARTITION, help=f"valid, test, train or all (default: {EVAL_PARTITION})")
    p.add_argument("--device", default="cpu", help="cpu, cuda, mps")
    if several:
        p.add_argument("--name", nargs="+", help="a name per model (default: its run folder's name)")
        p.add_argument("--median", type=_odd_width, default=MEDIAN_WIDTH,
                       help=f"median filter width along each sequence before scoring (1: none; default {MEDIAN_WIDTH})")


def cmd_prepare(args: argparse.Namespace) -> None:
    from poseau.data.store import prepare

    config = PrepareConfig(dataset=args.dataset, root=args.root, size=args.size, face_crop=args.face_crop,
                           crop_scale=args.crop_scale, views=args.views or (),
                           partitions=tuple(args.partitions.split(",")) if args.partitions else (),
                           every=args.every, skip_bad=args.skip_bad)
    store = prepare(config, args.out, workers=args.workers, progress=not args.quiet)
    skipped = store.meta["skipped"]
    print(f"frame store {store.path}: {store.meta['summary']}"
          + (f"; {len(skipped)} bad files left out (listed in store.json)" if skipped else ""))


def _aus(text: str) -> tuple[str, ...]:
    if text.lower() == "all":
        return AUS
    try:
        aus = tuple(f"AU{int(t.strip().upper().removeprefix('AU')):02d}" for t in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"AUs must be 'all' or names like AU06,AU12, got {text!r}") from None
    if not set(aus) <= set(AUS):
        raise argparse.ArgumentTypeError(f"AUs must be among {', '.join(AUS)}, got {text!r}")
    return aus


def cmd_train(args: argparse.Namespace) -> None:
    from poseau.config import ModelConfig, TrainConfig
    from poseau.data.store import FrameStore
    from poseau.train.loop import train

    config = TrainConfig(
        stages=tuple(args.stages.split(",")) if args.stages else (), weights=args.weights,
        per_class=args.per_class, val_per_class=args.val_per_class, train_partition=args.train_partition,
        val_partition=args.val_partition, val_fraction=args.val_fraction, batch_size=args.batch_size,
        optimizer=args.optimizer, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay,
        alpha=args.alpha, augment=args.augment, redraw=args.redraw, schedule=args.schedule, max_epochs=args.max_epochs,
        patience=args.patience, seed=args.seed)
    store = FrameStore(args.store)
    model = ModelConfig(kind=args.model, backbone=args.backbone, aus=args.aus, size=args.size or store.size,
                        hidden=args.hidden, reduce=args.reduce)
    train(model, config, store, args.out, device=args.device, workers=args.workers, resume=args.resume,
          progress=not args.quiet)


def _add_train_args(p: argparse.ArgumentParser) -> None:
    from poseau.config import ModelConfig, TrainConfig
    from poseau.constants import BACKBONE_NAMES, MODEL_KINDS, OPTIMIZERS, SCHEDULES, STAGES

    d, m = TrainConfig(), ModelConfig()
    p.add_argument("--store", required=True, help="a frame store made by `poseau prepare`")
    p.add_argument("--out", required=True, help="the run folder (a killed run resumes in it with --resume)")
    p.add_argument("--model", choices=MODEL_KINDS, default=m.kind)
    p.add_argument("--aus", type=_aus, default=m.aus, help="one AU as the paper (AU12), several, or all")
    p.add_argument("--backbone", choices=BACKBONE_NAMES, default=m.backbone)
    p.add_argument("--size", type=int, help="input side; must equal the store's (default: the store's)")
    p.add_argument("--hidden", type=int, default=m.hidden, help="hidden units of each regressor")
    p.add_argument("--reduce", type=int, default=m.reduce,
                   help="channels of a 1x1 convolution thinning the feature map before the heads (0: none, the paper)")
    p.add_argument("--weights", default=d.weights,
                   help="backbone start: imagenet, a weights file, or none (random)")
    p.add_argument("--stages", help="comma-separated stages to run; pose-dependent: "
                   f"{','.join(STAGES['pose-dependent'])} (default: all)")
    p.add_argument("--per-class", type=int, default=d.per_class,
                   help="frames per view and class (0: 3000 for one AU, 430 for several)")
    p.add_argument("--val-per-class", type=int, default=d.val_per_class, help="the same for validation (0: as above)")
    p.add_argument("--train-partition", default=d.train_partition)
    p.add_argument("--val-partition", default=d.val_partition)
    p.add_argument("--val-fraction", type=float, default=d.val_fraction,
                   help="share of subjects that validate when the store has no validation partition")
    p.add_argument("--batch-size", type=_at_least(1), default=d.batch_size)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d.optimizer, help="sgd (the paper) or adam")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--momentum", type=float, default=d.momentum)
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument("--alpha", type=float, default=d.alpha, help="weight of the pose cross-entropy (joint stage)")
    p.add_argument("--augment", action="store_true", help="mirror and shift the training frames")
    p.add_argument("--redraw", action="store_true", help="a fresh draw of the training frames every epoch")
    p.add_argument("--schedule", choices=SCHEDULES, default=d.schedule,
                   help="learning rate over each stage's epochs: constant, or cosine down to 0")
    p.add_argument("--max-epochs", type=int, default=d.max_epochs, help="per stage")
    p.add_argument("--patience", type=int, default=d.patience,
                   help="epochs without a lower validation loss before a stage stops (the paper: 1)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps")
    p.add_argument("--workers", type=_at_least(0),
                   help="data loading processes (default: 0 on a CPU, up to 4 otherwise)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out where it stopped")


def cmd_facemodel(args: argparse.Namespace) -> None:
    from poseau.synth.facemodel import load_face_model

    if args.action == "download":
        from poseau.synth.download import ICT_FACEKIT_URL, download_face_model

        path = download_face_model(args.url or ICT_FACEKIT_URL, cache_dir=args.cache_dir, sha256=args.sha256,
                                   progress=not args.quiet)
    elif args.action == "build":
        from poseau.synth.obj_import import build_face_model

        if not args.src or not args.out:
            raise PoseauError("facemodel build: give --src (an ICT-FaceKit checkout) and --out (the npz to write)")
        path = build_face_model(args.src, args.out)
    else:
        path = args.face_model
    model = load_face_model(path)
    print(f"{model.path}: {model.n_vertices} vertices, {len(model.triangles)} triangles, "
          f"{model.identity_deltas.shape[0]} identity modes, {len(model.expression_names)} expression shapes")


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line (the command, the option and what is wrong) and exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="poseau", description="Facial action unit intensity across head poses.")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars, warnings only")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="also the log lines and warnings of the libraries poseau uses")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synth", help="render a synthetic multi-view AU dataset in the FERA 2017 layout")
    p.add_argument("--out", required=True, help="output folder")
    _add_synth_args(p, SynthConfig())
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("demo", help="the main job: synthetic data, both models, mixed model, scores and report")
    _add_recipe_args(p, DemoConfig, "poseau-demo")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("pretrain", help="the recipe of the shipped model: the demo at scale, held-out scores, "
                       "the compact model file and its model card")
    _add_recipe_args(p, PretrainConfig, "poseau-pretrain")
    p.add_argument("--media", help="a folder with videos/ and reference/ (OpenFace CSVs) and images/, to score "
                   "the model on real faces too")
    p.set_defaults(func=cmd_pretrain)

    p = sub.add_parser("models", help="the models shipped with poseau, their licences and scores")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("prepare", help="decode and preprocess a dataset into a memory-mapped frame store")
    p.add_argument("--dataset", required=True, choices=DATASETS)
    p.add_argument("--root", required=True, help="the dataset's folder (manifest: the CSV file or its folder)")
    p.add_argument("--out", required=True, help="the store folder to write (a killed run resumes in it)")
    d = PrepareConfig()
    p.add_argument("--size", type=int, default=d.size, help=f"output side in pixels (default {d.size}, as the paper)")
    p.add_argument("--face-crop", action="store_true", help="crop around a detected face (faces not centred)")
    p.add_argument("--crop-scale", type=_positive, default=d.crop_scale, help="crop side / detected face side")
    p.add_argument("--views", type=_views, help="keep only these views, e.g. 4,5,6")
    p.add_argument("--partitions", help="keep only these partitions, e.g. train,valid")
    p.add_argument("--every", type=_at_least(1), default=d.every, help="keep every k-th frame of each sequence")
    p.add_argument("--skip-bad", action="store_true", help="leave bad files out (listed) instead of stopping")
    p.add_argument("--workers", type=_at_least(1), default=os.cpu_count() or 1, help="processes")
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("train", help="train the paper's pose-invariant or pose-dependent model on a frame store")
    _add_train_args(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="score models on a store's partition: predictions, tables and figures")
    _add_scoring_args(p)
    p.add_argument("--out", required=True, help="folder for the tables, figures and per-frame predictions")
    p.add_argument("--batch-size", type=_at_least(1), default=EVAL_BATCH)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("mix", help="the mixed model: per AU, the model with the higher validation ICC")
    _add_scoring_args(p)
    p.add_argument("--out", required=True, help="the mixed model file to write")
    p.add_argument("--batch-size", type=_at_least(1), default=EVAL_BATCH)
    p.set_defaults(func=cmd_mix)

    p = sub.add_parser("saliency", help="gradient saliency maps per AU and view (the paper's Fig. 3)")
    _add_scoring_args(p, several=False)
    p.add_argument("--out", required=True, help="folder for saliency.png and saliency.npz")
    p.add_argument("--frames", type=_at_least(1), default=SALIENCY_FRAMES,
                   help="frames with the highest predictions per AU and view")
    p.add_argument("--aus", type=_aus, help="AUs to draw (default: all the model's)")
    p.add_argument("--batch-size", type=_at_least(1), default=SALIENCY_BATCH)
    p.set_defaults(func=cmd_saliency)

    p = sub.add_parser("predict", help="AU intensities per frame of videos, images and image folders (CSV)")
    p.add_argument("inputs", nargs="+", help="videos, images, or folders of images (each an image sequence)")
    p.add_argument("--model", default=DEFAULT_MODEL, help="a model file or run folder, an .onnx file with --runtime "
                   f"onnx, or a shipped model's name (default: {DEFAULT_MODEL}; see `poseau models`)")
    p.add_argument("--out", required=True, help="folder for one CSV per input (and a PNG per video or sequence)")
    p.add_argument("--all-faces", action="store_true", help="every face, with ids kept across frames (default: "
                   "the largest)")
    p.add_argument("--median", type=_odd_width, default=1,
                   help="median filter width along each face's frames (1: none)")
    p.add_argument("--detector", help="yunet, haar, or auto (yunet where installed, else haar); default: the "
                   "one that framed the model's training faces, else auto")
    p.add_argument("--crop-scale", type=_positive, help="face crop side / detected box side (default: the model's "
                   f"preprocessing, {DEFAULT_CROP_SCALE} unless its store was prepared with another)")
    p.add_argument("--fps", type=_positive, default=SEQUENCE_FPS, help="frame rate of image sequences, for timestamps")
    p.add_argument("--detect-every", type=_at_least(1), default=DETECT_EVERY,
                   help=f"videos: detect the face on every N-th frame and follow it between (default {DETECT_EVERY}; "
                   "1: every frame; --all-faces detects on every frame)")
    p.add_argument("--batch-size", type=_at_least(1), help="faces per network call (default: 32 up to 112 px, else 8)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, mps")
    p.add_argument("--runtime", choices=RUNTIMES, default=RUNTIMES[0])
    p.add_argument("--no-plot", action="store_true", help="no PNG of intensities over time")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("export", help="export a model file to ONNX, checked against PyTorch")
    p.add_argument("--model", required=True, help="a model file or run folder")
    p.add_argument("--out", required=True, help="the .onnx file to write")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("report", help="one page (report.html and report.md) with a folder's tables and figures")
    p.add_argument("folder", help="a demo, run or evaluation folder")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("facemodel", help="find, check, build or download the ICT-FaceKit face model")
    p.add_argument("action", choices=["where", "build", "download"])
    _add_model_arg(p)
    p.add_argument("--src", help="build: an ICT-FaceKit checkout (with FaceXModel/*.obj)")
    p.add_argument("--out", help="build: the npz to write")
    p.add_argument("--url", help="download: archive address (default: the public ICT-FaceKit repository)")
    p.add_argument("--sha256", help="download: expected checksum of the archive")
    p.add_argument("--cache-dir", help="download: where the archive and the npz are kept")
    p.set_defaults(func=cmd_facemodel)
    return parser


def _set_up_logging(quiet: bool, verbose: bool) -> None:
    """poseau's own log at INFO (WARNING with -q); other libraries' log lines and warnings (torch's exporter,
    onnxscript, numpy) only with -v."""
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO,
                        format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S", force=True)
    if verbose:
        return
    os.environ.setdefault("TORCH_LOGS", "-onnx")  # torch's own log settings, read when torch is imported
    logging.getLogger().setLevel(logging.ERROR)
    logging.getLogger("poseau").setLevel(logging.WARNING if quiet else logging.INFO)
    for name in ("torch", "onnxscript", "onnx_ir", "onnx"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    warnings.filterwarnings("default", module="poseau")


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help (0), or a bad option (2) whose one line argparse has printed
        return int(exc.code or 0)
    quiet = args.quiet or os.environ.get("RANK", "0") != "0"  # under torchrun, rank 0 alone reports
    _set_up_logging(quiet, args.verbose)
    try:
        return args.func(args) or 0
    except PoseauError as exc:
        print(f"poseau: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the system refused a path: missing, not writable, a file where a folder is wanted
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"poseau: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("poseau: interrupted", file=sys.stderr)
        return 130
    except Exception:
        traceback.print_exc()
        print("poseau: internal error: this is a bug in poseau; please report it with the traceback above",
              file=sys.stderr)
        return 1
