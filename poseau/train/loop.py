"""The training loop, as plain functions: `train_one_epoch`, `evaluate`, `train`.

A run folder holds
    model.yaml, train.yaml   the ModelConfig and TrainConfig
    train.csv, curves.png    per epoch: losses, validation ICC and RMSE per AU (pose accuracy when it has one)
    last.pt                  everything to resume: weights, optimiser, stage, epoch, early-stopping state
    best.pt                  the stage's best weights so far (a model file)
    model.pt                 the final model (a model file: `poseau.load_model`)
    summary.txt
each written atomically after every epoch. Stages run in order (poseau.config.STAGES); each has its own
optimiser and early stopping, and the next starts from the best epoch of the one before. Training data
order comes from (seed, stage, epoch) alone, so a resumed run ends as an uninterrupted one would.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np
import torch
from rich.progress import Progress
from torch.utils.data import DataLoader

from poseau.config import ModelConfig, TrainConfig, from_dict, save_config, to_dict
from poseau.constants import AUS, INTENSITY_MAX
from poseau.data.dataset import FrameDataset
from poseau.data.store import FrameStore
from poseau.errors import PoseauError
from poseau.evaluate.metrics import icc31, rmse, safe
from poseau.models.checkpoint import model_record, read_checkpoint, save_atomic
from poseau.models.model import AUModel
from poseau.progress import progress_bar
from poseau.train import distributed as dist
from poseau.train.losses import stage_loss
from poseau.train.report import plot_curves, summary_text, write_history, write_summary
from poseau.train.splits import make_draws
from poseau.train.stopping import EarlyStopping

log = logging.getLogger(__name__)


def set_trainable(model: AUModel, stage: str) -> None:
    """What each stage trains: the pose estimator alone on a frozen bottom in "pose"; no pose estimator in
    "routed" (the known pose routes); everything in "regress" and "joint"."""
    for p in model.parameters():
        p.requires_grad_(stage != "pose")
    if model.config.kind == "pose-dependent":
        for p in model.head.pose.parameters():
            p.requires_grad_(stage in ("pose", "joint"))


def make_optimizer(model: AUModel, config: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)


def epoch_batches(n: int, batch_size: int, seed: int, stage: int, epoch: int, world: dist.World) -> list[list[int]]:
    """This process's slice of each batch of an epoch, in an order set by (seed, stage, epoch) only."""
    order = np.random.default_rng([seed, stage, epoch]).permutation(n)
    return [dist.shard(order[i:i + batch_size].tolist(), world) for i in range(0, n - batch_size + 1, batch_size)]


def _to(batch: dict, device: torch.device, columns: list[int]) -> dict:
    batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
    for key in ("target", "weight", "mask"):
        batch[key] = batch[key][:, columns]
    return batch


def train_one_epoch(net: torch.nn.Module, model: AUModel, loader: DataLoader, optimizer: torch.optim.Optimizer,
                    stage: str, alpha: float, columns: list[int], device: torch.device, world: dist.World,
                    bar: Progress | None = None) -> float:
    """One pass over ``loader``; the mean training loss over all processes."""
    net.train()
    if not any(p.requires_grad for p in model.backbone.parameters()):
        model.backbone.eval()  # a frozen bottom keeps its batch-norm statistics
    total, count = 0.0, 0
    task = bar.add_task(stage, total=len(loader)) if bar else None
    for batch in loader:
        batch = _to(batch, device, columns)
        loss, _ = stage_loss(stage, net(batch["image"]), batch, alpha)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(batch["image"])
        count += len(batch["image"])
        if bar:
            bar.advance(task)
    if bar:
        bar.remove_task(task)
    sums = dist.gather((total, count), world)
    return sum(s[0] for s in sums) / max(1, sum(s[1] for s in sums))


@torch.no_grad()
def evaluate(model: AUModel, dataset: FrameDataset, stage: str, alpha: float, columns: list[int],
             device: torch.device, world: dist.World, batch_size: int = 64, workers: int = 0) -> dict:
    """The stage's validation loss over ``dataset`` and, per AU, ICC(3,1) and RMSE (0-5 scale) of the
    intensities it judges; the pose accuracy for a pose-dependent model."""
    model.eval()
    mine = dist.shard(list(range(len(dataset))), world)
    loader = DataLoader(dataset, batch_sampler=[mine[i:i + batch_size] for i in range(0, len(mine), batch_size)],
                        num_workers=workers)
    loss_sum, preds, poses = 0.0, [], []
    for batch in loader:
        batch = _to(batch, device, columns)
        out = model(batch["image"])
        loss, intensity = stage_loss(stage, out, batch, alpha)
        loss_sum += loss.item() * len(batch["image"])
        preds.append(intensity.cpu().numpy())
        if "pose_logits" in out:
            poses.append(out["pose_logits"].argmax(1).cpu().numpy())
    parts = dist.gather((loss_sum, preds, poses), world)
    pred = np.concatenate([p for part in parts for p in part[1]]) * INTENSITY_MAX
    result = {"val_loss": sum(part[0] for part in parts) / len(dataset)}
    if model.config.kind == "pose-dependent":
        guessed = np.concatenate([p for part in parts for p in part[2]])
        known = dataset.poses >= 0
        result["pose_accuracy"] = float((guessed[known] == dataset.poses[known]).mean()) if known.any() else np.nan
    truth = dataset.targets[:, columns] * INTENSITY_MAX
    valid = dataset.mask[:, columns]
    for j, au in enumerate(model.aus):
        y, p = truth[valid[:, j], j], pred[valid[:, j], j]
        result[f"icc_{au}"] = safe(icc31, y, p)
        result[f"rmse_{au}"] = safe(rmse, y, p)
    return result


class RunFiles:
    def __init__(self, out: Path):
        self.out = out
        self.last, self.best, self.model = out / "last.pt", out / "best.pt", out / "model.pt"
        self.csv, self.png, self.summary = out / "train.csv", out / "curves.png", out / "summary.txt"


def _resume_state(files: RunFiles, model_config: ModelConfig, train_config: TrainConfig, store: FrameStore,
                  resume: bool) -> dict | None:
    if not files.last.is_file():
        return None
    if not resume:
        raise PoseauError(f"{files.out}: holds a training run; pass --resume to continue it, or choose another --out")
    state = read_checkpoint(files.last)
    saved = (from_dict(ModelConfig, state["model"]), from_dict(TrainConfig, state["train"]["config"]))
    if saved != (model_config, train_config) or state["train"]["store_index"] != store.meta["index_sha256"]:
        raise PoseauError(f"{files.last}: the run was started with another config or store; resume it with the "
                          "same arguments, or choose another --out")
    log.info("resuming %s at stage %d, epoch %d", files.out, state["train"]["stage"] + 1, state["train"]["epoch"] + 1)
    return state


def train(model_config: ModelConfig, train_config: TrainConfig, store: FrameStore | str, out: str | os.PathLike,
          device: str = "cpu", workers: int | None = None, resume: bool = False, progress: bool = True,
          on_epoch=None) -> Path:
    """Train a model on ``store`` into the run folder ``out``; the path of the final model file.

    ``workers``: DataLoader processes; None: none on a CPU (they would take cores from the training
    itself: reading the store in the training process costs about 10%, see benchmarks/train_speed.py),
    up to 4 on an accelerator.
    ``on_epoch(stage, epoch)``, if given, is called after each epoch's files are written.
    """
    world, dev = dist.setup(device)
    if workers is None:
        workers = 0 if dev.type == "cpu" else min(4, os.cpu_count() or 1)
    try:
        return _train(model_config, train_config, store, Path(out), dev, workers, resume, progress, on_epoch, world)
    finally:
        dist.teardown(world)


def _train(model_config, train_config, store, out, dev, workers, resume, progress, on_epoch, world) -> Path:
    store = store if isinstance(store, FrameStore) else FrameStore(store)
    if store.size != model_config.size:
        raise PoseauError(f"{store.path}: frames are {store.size}x{store.size}, the model takes {model_config.size}; "
                          f"prepare a store with --size {model_config.size}")
    if model_config.kind == "pose-dependent" and (store.pose_groups < 0).all():
        raise PoseauError(f"{store.path}: no frame has a known view, which the pose-dependent model needs")
    if train_config.batch_size % world.size:
        raise PoseauError(f"batch size {train_config.batch_size} does not divide among {world.size} processes")
    files = RunFiles(out)
    if files.model.is_file() and not files.last.is_file():
        if not resume:
            raise PoseauError(f"{out}: holds a finished training run; choose another --out")
        log.info("%s: the run had finished", out)
        return files.model
    state = _resume_state(files, model_config, train_config, store, resume)
    stages = train_config.stages_for(model_config.kind)
    train_draw, val_draw = make_draws(store, model_config.aus, train_config)
    train_set, val_set = FrameDataset(store, train_draw), FrameDataset(store, val_draw)
    if len(train_set) < train_config.batch_size:
        raise PoseauError(f"{store.path}: {len(train_set)} training frames drawn, fewer than one batch "
                          f"({train_config.batch_size})")
    columns = [AUS.index(au) for au in model_config.aus]

    torch.manual_seed(train_config.seed)
    model = AUModel(model_config, weights=None if state else _weights(train_config.weights), progress=progress)
    model.to(dev)
    history, first_stage, first_epoch = [], 0, 0
    if state:
        model.load_state_dict(state["state_dict"])
        history, first_stage, first_epoch = state["train"]["history"], state["train"]["stage"], state["train"]["epoch"]
    if world.main:
        save_config(model_config, out / "model.yaml")
        save_config(train_config, out / "train.yaml")

    def train_info(stage: int, epoch: int, stopping: EarlyStopping) -> dict:
        return {"config": to_dict(train_config), "store": str(store.path), "store_index": store.meta["index_sha256"],
                "stages": list(stages), "stage": stage, "epoch": epoch, "stopping": stopping.state(),
                "history": history}

    def checkpoint(stage: int, epoch: int, stopping: EarlyStopping, optimizer=None) -> None:
        if world.main:
            record = model_record(model, store.meta["preprocessing"], train_info(stage, epoch, stopping))
            record["optimizer"] = optimizer.state_dict() if optimizer else None
            save_atomic(record, files.last)
        dist.barrier(world)

    with progress_bar(progress and world.main) as bar:
        for si, stage in enumerate(stages):
            if si < first_stage:
                continue
            set_trainable(model, stage)
            net = dist.wrap(model, world, dev)
            optimizer = make_optimizer(model, train_config)
            stopping, start, best = EarlyStopping(train_config.patience), 0, None
            if state and si == first_stage:
                stopping, start = EarlyStopping(**state["train"]["stopping"]), first_epoch
                if state.get("optimizer"):
                    optimizer.load_state_dict(state["optimizer"])
                if stopping.best_epoch >= 0:
                    best = _stage_best(files.best, si)
            for epoch in range(start, train_config.max_epochs):
                if stopping.stop:
                    break
                tic = time.perf_counter()
                batches = epoch_batches(len(train_set), train_config.batch_size, train_config.seed, si, epoch, world)
                loader = DataLoader(train_set, batch_sampler=batches, num_workers=workers,
                                    pin_memory=dev.type == "cuda")
                loss = train_one_epoch(net, model, loader, optimizer, stage, train_config.alpha, columns, dev,
                                       world, bar if world.main else None)
                val = evaluate(model, val_set, stage, train_config.alpha, columns, dev, world,
                               2 * train_config.batch_size, workers)
                improved = stopping.step(epoch, val["val_loss"])
                history.append({"stage": stage, "epoch": epoch + 1, "train_loss": loss, **val,
                                "seconds": time.perf_counter() - tic, "improved": improved})
                log.info("%s epoch %d: training loss %.5f, validation loss %.5f, ICC %s", stage, epoch + 1, loss,
                         val["val_loss"], " ".join(f"{au} {val[f'icc_{au}']:.3f}" for au in model_config.aus))
                if improved:
                    best = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
                    if world.main:
                        save_atomic(model_record(model, store.meta["preprocessing"],
                                                 train_info(si, epoch + 1, stopping)), files.best)
                checkpoint(si, epoch + 1, stopping, optimizer)
                if world.main:
                    write_history(history, files.csv)
                    plot_curves(history, model_config.aus, files.png)
                if on_epoch:
                    on_epoch(stage, epoch + 1)
            if best is not None:
                model.load_state_dict(best)
            checkpoint(si + 1, 0, EarlyStopping(train_config.patience))
    if world.main:
        text = summary_text(history, model_config.aus, out)
        save_atomic(model_record(model, store.meta["preprocessing"],
                                 train_info(len(stages), 0, EarlyStopping(train_config.patience))), files.model)
        write_summary(text, files.summary)
        files.last.unlink(missing_ok=True)
        files.best.unlink(missing_ok=True)
        print(text)
    dist.barrier(world)
    return files.model


def _stage_best(path: Path, stage: int) -> dict:
    record = read_checkpoint(path)
    if record["train"]["stage"] != stage:
        raise PoseauError(f"{path}: holds the best weights of stage {record['train']['stage'] + 1}, "
                          f"not of stage {stage + 1} being resumed")
    return record["state_dict"]


def _weights(weights: str) -> str | None:
    return None if weights == "none" else weights
