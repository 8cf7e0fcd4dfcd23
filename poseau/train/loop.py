"""The training loop, top to bottom: `train_one_epoch`, `validate`, then `train` and its steps.

A run folder (poseau.models.runs.RunFiles) holds
    model.yaml, train.yaml   the ModelConfig and TrainConfig
    train.csv, curves.png    per epoch: losses, and per AU the ICC(3,1) and RMSE (0-5) on the balanced
                             validation draw, frame by frame without the median filter (val_draw_icc_AU12,
                             ...; `poseau evaluate` scores whole partitions, filtered), and the pose accuracy
    last.pt, best.pt, model.pt   to resume, the stage's best weights, the final model (poseau.train.resume)
    summary.txt
each written atomically after every epoch. Stages run in order (poseau.constants.STAGES); each has its own
optimiser and early stopping, and the next starts from the best epoch of the one before. Training data
order comes from (seed, stage, epoch) alone, so a resumed run ends as an uninterrupted one would.
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import torch
from rich.progress import Progress
from torch.utils.data import DataLoader

from poseau.config import ModelConfig, TrainConfig, save_config
from poseau.constants import AUS
from poseau.data.dataset import FrameDataset
from poseau.data.store import FrameStore, open_store
from poseau.errors import PoseauError
from poseau.evaluate.scores import au_scores
from poseau.fileio import out_folder
from poseau.models.checkpoint import model_record, save_atomic
from poseau.models.model import AUModel
from poseau.models.runs import RunFiles
from poseau.progress import progress_bar
from poseau.scales import unit_to_intensity
from poseau.train import distributed as dist
from poseau.train.augment import augment
from poseau.train.averaging import WeightAverage
from poseau.train.losses import stage_loss
from poseau.train.optim import epoch_batches, epoch_lr, make_optimizer, set_trainable
from poseau.train.report import draw_column, plot_curves, summary_text, write_history, write_summary
from poseau.train.resume import finished_model, resume_state, stage_best, train_record
from poseau.train.splits import Draws, epoch_draw, make_draws
from poseau.train.stopping import EarlyStopping

log = logging.getLogger(__name__)


def _to(batch: dict, device: torch.device, columns: list[int]) -> dict:
    batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
    for key in ("target", "weight"):
        batch[key] = batch[key][:, columns]
    return batch


def train_one_epoch(net: torch.nn.Module, model: AUModel, loader: DataLoader, optimizer: torch.optim.Optimizer,
                    stage: str, alpha: float, columns: list[int], device: torch.device, world: dist.World,
                    bar: Progress | None = None, transform=None, after_step=None,
                    landmark_weight: float = 0.0) -> float:
    """One pass over ``loader``; the mean training loss over all processes. ``transform(images, rows,
    landmarks=)``, if given, varies each batch's frames and their landmarks (poseau.train.augment);
    ``after_step(model)`` follows each step; ``landmark_weight``: of a landmark head's loss."""
    net.train()
    if not any(p.requires_grad for p in model.backbone.parameters()):
        model.backbone.eval()  # a frozen bottom keeps its batch-norm statistics
    total, count = 0.0, 0
    task = bar.add_task(stage, total=len(loader)) if bar else None
    for batch in loader:
        if transform is not None:
            batch["image"], landmarks = transform(batch["image"], batch["row"], landmarks=batch.get("landmarks"))
            if landmarks is not None:
                batch["landmarks"] = landmarks
        batch = _to(batch, device, columns)
        loss, _ = stage_loss(stage, net(batch["image"]), batch, alpha, landmark_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if after_step is not None:
            after_step(model)
        total += loss.item() * len(batch["image"])
        count += len(batch["image"])
        if bar:
            bar.advance(task)
    if bar:
        bar.remove_task(task)
    sums = dist.gather((total, count), world)
    return sum(s[0] for s in sums) / max(1, sum(s[1] for s in sums))


@torch.no_grad()
def validate(model: AUModel, dataset: FrameDataset, stage: str, alpha: float, columns: list[int],
             device: torch.device, world: dist.World, batch_size: int = 64, workers: int = 0) -> dict:
    """The stage's validation loss over ``dataset`` (the balanced validation draw; the AUs' and the pose's, not the
    landmarks', so that a landmark head does not change which epoch is kept) and, per AU, ICC(3,1) and RMSE
    (0-5 scale) of the intensities it judges, frame by frame and unfiltered (columns named by ``draw_column``);
    the pose accuracy for a pose-dependent model; for a landmark head, the mean landmark error as a fraction of
    the frame's side."""
    model.eval()
    mine = dist.shard(list(range(len(dataset))), world)
    loader = DataLoader(dataset, batch_sampler=[mine[i:i + batch_size] for i in range(0, len(mine), batch_size)],
                        num_workers=workers)
    loss_sum, preds, poses, errors = 0.0, [], [], []
    for batch in loader:
        batch = _to(batch, device, columns)
        out = model(batch["image"])
        loss, intensity = stage_loss(stage, out, batch, alpha)
        loss_sum += loss.item() * len(batch["image"])
        preds.append(intensity.cpu().numpy())
        if "pose_logits" in out:
            poses.append(out["pose_logits"].argmax(1).cpu().numpy())
        if "landmarks" in out and "landmarks" in batch:
            errors.append((out["landmarks"] - batch["landmarks"]).norm(dim=-1).flatten().cpu().numpy())
    parts = dist.gather((loss_sum, preds, poses, errors), world)
    pred = unit_to_intensity(np.concatenate([p for part in parts for p in part[1]]))
    result = {"val_loss": sum(part[0] for part in parts) / len(dataset)}
    if any(part[3] for part in parts):
        result["val_landmark_error"] = float(np.nanmean(np.concatenate([e for part in parts for e in part[3]])))
    if model.config.kind == "pose-dependent":
        guessed = np.concatenate([p for part in parts for p in part[2]])
        known = dataset.poses >= 0
        result["pose_accuracy"] = float((guessed[known] == dataset.poses[known]).mean()) if known.any() else np.nan
    labels = dataset.store.labels[dataset.rows][:, columns]
    for au, scores in au_scores(labels, pred, model.aus).items():
        result[draw_column("icc", au)], result[draw_column("rmse", au)] = scores["icc"], scores["rmse"]
    return result


def train(model_config: ModelConfig, train_config: TrainConfig, store: FrameStore | str, out: str | os.PathLike, *,
          device: str = "cpu", workers: int | None = None, resume: bool = False, progress: bool = True,
          on_epoch=None) -> Path:
    """Train a model on ``store`` into the run folder ``out``; the path of the final model file.

    ``workers``: DataLoader processes; None: none on a CPU (they would take cores from the training
    itself: reading the store in the training process costs about 10%, see benchmarks/train_speed.py),
    up to 4 on an accelerator.
    ``on_epoch(stage, epoch)``, if given, is called after each epoch's files are written.
    """
    out_folder(out)
    files = RunFiles(out)
    if files.model.is_file() and not files.last.is_file():
        return finished_model(files, model_config, train_config, resume)
    world, dev = dist.setup(device)
    if workers is None:
        workers = 0 if dev.type == "cpu" else min(4, os.cpu_count() or 1)
    try:
        store = open_store(store)
        _check_inputs(model_config, train_config, store, world)
        run = _Run(model_config, train_config, store, files, dev, workers, world,
                   stages=train_config.stages_for(model_config.kind))
        state = resume_state(files, model_config, train_config, store, resume)
        _set_up(run, state, progress)
        first = state["train"]["stage"] if state else 0
        with progress_bar(progress and world.main) as bar:
            for si, stage in enumerate(run.stages):
                if si >= first:
                    _run_stage(run, si, stage, state, bar, on_epoch)
        return _finish(run)
    finally:
        dist.teardown(world)


@dataclass
class _Run:
    """One training run's state while it trains: what the steps of `train` share."""

    model_config: ModelConfig
    train_config: TrainConfig
    store: FrameStore
    files: RunFiles
    device: torch.device
    workers: int
    world: dist.World
    stages: tuple[str, ...] = ()
    history: list[dict] = field(default_factory=list)
    model: AUModel | None = None
    draws: Draws | None = None
    train_set: FrameDataset | None = None
    val_set: FrameDataset | None = None
    average: WeightAverage | None = None  # the stage's moving average of the weights (TrainConfig.ema)

    @property
    def columns(self) -> list[int]:
        return [AUS.index(au) for au in self.model_config.aus]

    def info(self, stage: int, epoch: int, stopping: EarlyStopping) -> dict:
        return train_record(self.train_config, self.store, self.stages, stage, epoch, stopping, self.history)

    def averaged(self):
        """A block in which the model holds the stage's averaged weights (where there is an average)."""
        return self.average.applied(self.model) if self.average else nullcontext()

    def save_last(self, stage: int, epoch: int, stopping: EarlyStopping, optimizer=None) -> None:
        """last.pt: everything to resume at (stage, epoch)."""
        if self.world.main:
            record = model_record(self.model, train=self.info(stage, epoch, stopping))
            record["optimizer"] = optimizer.state_dict() if optimizer else None
            record["average"] = self.average.saved() if self.average and optimizer else None
            save_atomic(record, self.files.last)
        dist.barrier(self.world)


def _check_inputs(model_config: ModelConfig, train_config: TrainConfig, store: FrameStore, world: dist.World) -> None:
    if store.size != model_config.size:
        raise PoseauError(f"{store.path}: frames are {store.size}x{store.size}, the model takes {model_config.size}; "
                          f"prepare a store with --size {model_config.size}")
    if model_config.kind == "pose-dependent" and (store.pose_groups < 0).all():
        raise PoseauError(f"{store.path}: no frame has a known view, which the pose-dependent model needs")
    if model_config.landmarks and store.landmarks is None:
        raise PoseauError(f"{store.path}: the model has a landmark head but the store has no landmarks; prepare "
                          "it with --landmarks from renders of `poseau synth`")
    if train_config.batch_size % world.size:
        raise PoseauError(f"batch size {train_config.batch_size} does not divide among {world.size} processes")


def _set_up(run: _Run, state: dict | None, progress: bool) -> None:
    """The draws, datasets and model (ImageNet start, or the resumed weights and history)."""
    cfg = run.train_config
    run.draws = make_draws(run.store, run.model_config.aus, cfg)
    run.train_set, run.val_set = FrameDataset(run.store, run.draws.train), FrameDataset(run.store, run.draws.val)
    if len(run.train_set) < cfg.batch_size:
        raise PoseauError(f"{run.store.path}: {len(run.train_set)} training frames drawn, fewer than one batch "
                          f"({cfg.batch_size})")
    torch.manual_seed(cfg.seed)
    run.model = AUModel(run.model_config, preprocessing=run.store.preprocessing,
                        weights=None if state else _weights(cfg.weights), progress=progress)
    # channels-last weights: a training step of EfficientNet-Lite0 at 64 px takes 168 ms instead of 275 on
    # 2 CPU cores (batch 32, measured); the weights' values are the same, only their memory layout differs
    run.model.to(run.device, memory_format=torch.channels_last)
    if state:
        run.model.load_state_dict(state["state_dict"])
        run.history = state["train"]["history"]
    if run.world.main:
        save_config(run.model_config, run.files.model_config)
        save_config(cfg, run.files.train_config)


def _run_epoch(run: _Run, net: torch.nn.Module, optimizer, si: int, stage: str, epoch: int, bar) -> dict:
    """Train one epoch and validate; its row of the history."""
    cfg, tic = run.train_config, time.perf_counter()
    if cfg.redraw:
        run.train_set = FrameDataset(run.store, epoch_draw(run.store, run.draws, run.model_config.aus, cfg, si, epoch))
    for group in optimizer.param_groups:
        group["lr"] = epoch_lr(cfg, epoch)
    batches = epoch_batches(len(run.train_set), cfg.batch_size, cfg.seed, si, epoch, run.world)
    loader = DataLoader(run.train_set, batch_sampler=batches, num_workers=run.workers,
                        pin_memory=run.device.type == "cuda")
    transform = partial(augment, seed=cfg.seed, stage=si, epoch=epoch, mirror=cfg.augment, degrade=cfg.degrade) \
        if cfg.augment or cfg.degrade else None
    loss = train_one_epoch(net, run.model, loader, optimizer, stage, cfg.alpha, run.columns, run.device,
                           run.world, bar if run.world.main else None, transform,
                           run.average.update if run.average else None, cfg.landmark_weight)
    with run.averaged():
        val = validate(run.model, run.val_set, stage, cfg.alpha, run.columns, run.device, run.world,
                       2 * cfg.batch_size, run.workers)
    log.info("%s epoch %d: training loss %.5f, validation loss %.5f, ICC on the draw %s%s", stage, epoch + 1, loss,
             val["val_loss"], " ".join(f"{au} {val[draw_column('icc', au)]:.3f}" for au in run.model_config.aus),
             f", landmark error {val['val_landmark_error']:.4f}" if "val_landmark_error" in val else "")
    return {"stage": stage, "epoch": epoch + 1, "train_loss": loss, **val, "seconds": time.perf_counter() - tic}


def _keep_best(run: _Run, si: int, epoch: int, stopping: EarlyStopping) -> dict:
    """The model's weights as the stage's best so far, also written to best.pt."""
    best = {k: v.detach().cpu().clone() for k, v in run.model.state_dict().items()}
    if run.world.main:
        save_atomic(model_record(run.model, train=run.info(si, epoch + 1, stopping)), run.files.best)
    return best


def _write_epoch(run: _Run) -> None:
    if run.world.main:
        write_history(run.history, run.files.csv)
        plot_curves(run.history, run.model_config.aus, run.files.png)


def _run_stage(run: _Run, si: int, stage: str, state: dict | None, bar, on_epoch) -> None:
    """Train stage ``si`` until early stopping or max_epochs (from where ``state`` stopped, when it stopped in
    this stage), then keep its best epoch's weights."""
    cfg = run.train_config
    set_trainable(run.model, stage)
    net = dist.wrap(run.model, run.world, run.device)
    optimizer = make_optimizer(run.model, cfg)
    stopping, start, best = EarlyStopping(cfg.patience), 0, None
    resumed = state is not None and si == state["train"]["stage"]
    if resumed:
        stopping, start = EarlyStopping(**state["train"]["stopping"]), state["train"]["epoch"]
        if state.get("optimizer"):
            optimizer.load_state_dict(state["optimizer"])
        if stopping.best_epoch >= 0:
            best = stage_best(run.files.best, si)
    run.average = WeightAverage(run.model, cfg.ema, state.get("average") if resumed else None) if cfg.ema else None
    for epoch in range(start, cfg.max_epochs):
        if stopping.stop:
            break
        row = _run_epoch(run, net, optimizer, si, stage, epoch, bar)
        improved = stopping.step(epoch, row["val_loss"])
        run.history.append({**row, "improved": improved})
        if improved:
            with run.averaged():
                best = _keep_best(run, si, epoch, stopping)
        run.save_last(si, epoch + 1, stopping, optimizer)
        _write_epoch(run)
        if on_epoch:
            on_epoch(stage, epoch + 1)
    if best is not None:
        run.model.load_state_dict(best)
    run.average = None
    run.save_last(si + 1, 0, EarlyStopping(cfg.patience))


def _finish(run: _Run) -> Path:
    """model.pt and summary.txt; the resume files go."""
    files = run.files
    if run.world.main:
        text = summary_text(run.history, run.model_config.aus, files.out)
        done = run.info(len(run.stages), 0, EarlyStopping(run.train_config.patience))
        save_atomic(model_record(run.model, train=done), files.model)
        write_summary(text, files.summary)
        files.last.unlink(missing_ok=True)
        files.best.unlink(missing_ok=True)
        print(text)
    dist.barrier(run.world)
    return files.model


def _weights(weights: str) -> str | None:
    return None if weights == "none" else weights
