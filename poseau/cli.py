"""The command line: one subcommand per verb, each a thin call into the library."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
import warnings
from pathlib import Path

from poseau.config import ModelConfig, PrepareConfig, SynthConfig, TrainConfig
from poseau.constants import MIX_RULES
from poseau.errors import PoseauError
from poseau.fileio import out_folder
from poseau.models.shipped import DEFAULT_MODEL
from poseau.options import (
    AT_LEAST_0,
    RENDER_WORKERS,
    SEQUENCE_FPS,
    BatchOptions,
    PredictOptions,
    SaliencyOptions,
    ScoreOptions,
    add_options,
    arg_type,
    as_kwargs,
    from_options,
    typed,
)
from poseau.recipes import DemoConfig, PretrainConfig
from poseau.threads import passive_waiting


def _add_face_model(p: argparse.ArgumentParser) -> None:
    p.add_argument("--face-model", help="face model npz (default: $POSEAU_FACE_MODEL, then the user cache)")


def _add_workers(p: argparse.ArgumentParser, default: int | None, what: str = "processes") -> None:
    p.add_argument("--workers", type=typed("workers"), default=default, help=f"{what} (default: {default})")


def _add_device(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps (default: cpu)")


def cmd_synth(args: argparse.Namespace) -> None:
    from poseau.synth.generate import synthesize

    out = synthesize(from_options(SynthConfig, args), args.out, face_model=args.face_model, workers=args.workers,
                     contact_sheet=args.contact_sheet, progress=not args.quiet)
    print(f"dataset written to {out}")


def cmd_demo(args: argparse.Namespace) -> None:
    from poseau.demo import run_demo

    page = run_demo(from_options(DemoConfig, args), args.out, face_model=args.face_model, workers=args.workers,
                    device=args.device, progress=not args.quiet)
    print(f"report: {page} (and {page.with_suffix('.md')})")


def cmd_pretrain(args: argparse.Namespace) -> None:
    from poseau.pretrain import run_pretrain

    folder = run_pretrain(from_options(PretrainConfig, args), args.out, face_model=args.face_model,
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
    p.add_argument("--out", default=out, help=f"output folder (default: {out})")
    _add_face_model(p)
    _add_workers(p, RENDER_WORKERS, "processes for rendering and preparing")
    _add_device(p)
    add_options(p, cls)


def cmd_evaluate(args: argparse.Namespace) -> None:
    from poseau.evaluate.evaluation import evaluate_models

    evaluations = evaluate_models(args.model, args.store, args.out, names=args.name, progress=not args.quiet,
                                  **as_kwargs(from_options(ScoreOptions, args)))
    for ev in evaluations:
        print(ev.summary())
    print(f"tables and figures in {args.out} (Table I: {Path(args.out) / 'models.md'})")


def cmd_mix(args: argparse.Namespace) -> None:
    from poseau.evaluate.selection import select_mixed

    path = select_mixed(args.model, args.store, args.out, names=args.name, rule=args.rule, progress=not args.quiet,
                        **as_kwargs(from_options(ScoreOptions, args)))
    print(f"mixed model written to {path}")


def cmd_ensemble(args: argparse.Namespace) -> None:
    from poseau.models.checkpoint import save_ensemble

    path = save_ensemble(args.model, args.out, seeds=args.seed)
    print(f"ensemble of {len(args.model)} models written to {path}")


def cmd_saliency(args: argparse.Namespace) -> None:
    from poseau.explain.saliency import draw_saliency

    options = from_options(SaliencyOptions, args)
    path = draw_saliency(args.model, args.store, args.out, progress=not args.quiet,
                         **as_kwargs(options) | {"aus": list(options.aus) or None})
    print(f"saliency maps: {path}")


def cmd_report(args: argparse.Namespace) -> None:
    from poseau.report import write_report

    md, page = write_report(args.folder)
    print(f"report: {page} (and {md})")


def cmd_predict(args: argparse.Namespace) -> int:
    passive_waiting()  # before torch loads: processes side by side, and the workers it starts, do not spin
    from poseau.infer.batch import Work, predict_batch
    from poseau.infer.inputs import gather_inputs

    batch = from_options(BatchOptions, args)
    inputs = gather_inputs(args.inputs, recursive=batch.recursive, lists=args.list)
    if not inputs:
        raise PoseauError("no inputs: give videos, images or folders, or --list FILE")
    out_folder(args.out)  # checked before the model loads
    work = Work(args.model, from_options(PredictOptions, args), fps=args.fps, plot=args.plot, overlay=args.overlay)
    engine = None
    if batch.ray:
        from poseau.infer.ray_engine import RayEngine

        engine = RayEngine(work, batch.ray, batch.jobs or None)
    summary = predict_batch(inputs, args.out, work, jobs=batch.jobs or None, shard=batch.shard, engine=engine,
                            inference=batch.inference, progress=not args.quiet)
    for outcome in summary.outcomes:
        if outcome.status == "failed":
            print(f"poseau: error: {outcome.error}", file=sys.stderr)
        else:
            print(f"{outcome.input} -> {Path(args.out) / outcome.output}" + " (done before)" * (outcome.status
                                                                                         == "skipped"))
    if len(summary.outcomes) > 1 or batch.shard:
        print(summary.line())
    return 2 if summary.count("failed") else 0


def cmd_export(args: argparse.Namespace) -> None:
    from poseau.export.onnx import export_onnx

    difference = export_onnx(args.model, args.out, int8=args.int8)
    print(f"{args.out}: largest |onnxruntime - torch| on 8 random frames: {difference:.3g}")


def _add_scoring_args(p: argparse.ArgumentParser, options, several: bool = True) -> None:
    p.add_argument("--model", required=True, nargs="+" if several else None,
                   help="model files (runs' model.pt, or mixed models)" if several
                   else "a model file (a run's model.pt, or a mixed model)")
    p.add_argument("--store", required=True, help="a frame store made by `poseau prepare`")
    if several:
        p.add_argument("--name", nargs="+", help="a name per model (default: its run folder's name)")
    add_options(p, options)


def cmd_prepare(args: argparse.Namespace) -> None:
    from poseau.data.store import prepare

    store = prepare(from_options(PrepareConfig, args), args.out, workers=args.workers, progress=not args.quiet)
    skipped = store.meta["skipped"]
    print(f"frame store {store.path}: {store.meta['summary']}"
          + (f"; {len(skipped)} bad files left out (listed in store.json)" if skipped else ""))


def cmd_train(args: argparse.Namespace) -> None:
    from poseau.data.store import open_store
    from poseau.train.loop import train

    config = from_options(TrainConfig, args)  # checked before the store is opened
    store = open_store(args.store)
    model = from_options(ModelConfig, args, size=args.size or store.size)
    train(model, config, store, args.out, device=args.device, workers=args.workers, resume=args.resume,
          progress=not args.quiet)


def _add_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", required=True, help="a frame store made by `poseau prepare`")
    p.add_argument("--out", required=True, help="the run folder (a killed run resumes in it with --resume)")
    add_options(p, ModelConfig, defaults={"size": None})
    add_options(p, TrainConfig)
    _add_device(p)
    p.add_argument("--workers", type=arg_type(int, AT_LEAST_0),
                   help="data loading processes (default: 0 on a CPU, up to 4 otherwise)")
    p.add_argument("--resume", action=argparse.BooleanOptionalAction, default=False,
                   help="continue the run in --out where it stopped")


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
    _add_face_model(p)
    add_options(p, SynthConfig)
    _add_workers(p, RENDER_WORKERS)
    p.add_argument("--contact-sheet", action=argparse.BooleanOptionalAction, default=True,
                   help="a PNG with a frame of each view for a few subjects")
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
    add_options(p, PrepareConfig, required=("dataset", "root"))
    p.add_argument("--out", required=True, help="the store folder to write (a killed run resumes in it)")
    _add_workers(p, os.cpu_count() or 1)
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("train", help="train the paper's pose-invariant or pose-dependent model on a frame store")
    _add_train_args(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("evaluate", help="score models on a store's partition: predictions, tables and figures")
    _add_scoring_args(p, ScoreOptions)
    p.add_argument("--out", required=True, help="folder for the tables, figures and per-frame predictions")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("mix", help="the mixed model: per AU, the model with the higher validation ICC")
    _add_scoring_args(p, ScoreOptions)
    p.add_argument("--out", required=True, help="the mixed model file to write")
    p.add_argument("--rule", choices=MIX_RULES, default="best", help="best: each AU from the model with the higher "
                   "ICC (the paper); mean: each AU the mean of the models that give it")
    p.set_defaults(func=cmd_mix)

    p = sub.add_parser("ensemble", help="one model file whose intensities are the mean of several models' (seeds "
                       "of one recipe)")
    p.add_argument("model", nargs="+", help="model files, run folders or shipped model names, with the same input "
                   "and AUs")
    p.add_argument("--out", required=True, help="the ensemble's model file to write")
    p.add_argument("--seed", type=int, nargs="+", help="the seed each model was trained with, kept in the file")
    p.set_defaults(func=cmd_ensemble)

    p = sub.add_parser("saliency", help="gradient saliency maps per AU and view (the paper's Fig. 3)")
    _add_scoring_args(p, SaliencyOptions, several=False)
    p.add_argument("--out", required=True, help="folder for saliency.png and saliency.npz")
    p.set_defaults(func=cmd_saliency)

    p = sub.add_parser("predict", help="AU intensities per frame of videos, images and image folders (CSV)")
    p.add_argument("inputs", nargs="*", help="videos, images, folders of videos, or folders of images (each an "
                   "image sequence)")
    p.add_argument("--list", action="append", default=[], metavar="FILE",
                   help="a file of inputs, one path a line or a CSV with a path column (relative to the file)")
    p.add_argument("--model", default=DEFAULT_MODEL, help="a model file or run folder, an .onnx file, or a shipped "
                   f"model's name (default: {DEFAULT_MODEL}; see `poseau models`)")
    p.add_argument("--out", required=True, help="folder for one CSV per input (and a PNG per video or sequence)")
    add_options(p, PredictOptions)
    add_options(p, BatchOptions)
    p.add_argument("--fps", type=typed("fps", float), default=SEQUENCE_FPS,
                   help=f"frame rate of image sequences, for timestamps (default: {SEQUENCE_FPS})")
    p.add_argument("--overlay", action=argparse.BooleanOptionalAction, default=False,
                   help="also NAME_overlay.mp4 for each video: its frames with the face box, the AU intensities as "
                   "bars and the pose group drawn on them")
    p.add_argument("--plot", action=argparse.BooleanOptionalAction, default=True,
                   help="a PNG of the intensities over time for each video and sequence")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("export", help="export a model file to ONNX, checked against PyTorch")
    p.add_argument("--model", required=True, help="a model file or run folder")
    p.add_argument("--out", required=True, help="the .onnx file to write")
    p.add_argument("--int8", action="store_true", help="the large weights in int8, as a shipped model file keeps "
                   "them (a quarter of the size, as fast)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("report", help="one page (report.html and report.md) with a folder's tables and figures")
    p.add_argument("folder", help="a demo, run or evaluation folder")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("facemodel", help="find, check, build or download the ICT-FaceKit face model")
    p.add_argument("action", choices=["where", "build", "download"])
    _add_face_model(p)
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
