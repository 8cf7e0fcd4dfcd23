"""A training run's bookkeeping: what its model files record of training, and when a run folder may be
continued (last.pt of the same configs and store) or reused (a finished model.pt of the same configs).

    last.pt    everything to resume at (stage, epoch): weights, optimiser, early-stopping state, history
    best.pt    the stage's best weights so far (a model file)
    model.pt   the final model (a model file: `poseau.load_model`)
"""

from __future__ import annotations

import logging
from pathlib import Path

from poseau.config import ModelConfig, TrainConfig, from_dict, to_dict
from poseau.data.store import FrameStore
from poseau.errors import PoseauError
from poseau.models.checkpoint import read_checkpoint
from poseau.models.runs import RunFiles
from poseau.train.stopping import EarlyStopping

log = logging.getLogger(__name__)


def train_record(train_config: TrainConfig, store: FrameStore, stages: tuple[str, ...], stage: int, epoch: int,
                 stopping: EarlyStopping, history: list[dict]) -> dict:
    """The "train" entry of a run's model files: where training stands and how it got there."""
    return {"config": to_dict(train_config), "store": str(store.path), "store_index": store.meta["index_sha256"],
            "stages": list(stages), "stage": stage, "epoch": epoch, "stopping": stopping.state(), "history": history}


def _same_configs(record: dict, model_config: ModelConfig, train_config: TrainConfig) -> bool:
    return (from_dict(ModelConfig, record["model"]), from_dict(TrainConfig, record["train"]["config"])) == (
        model_config, train_config)


def resume_state(files: RunFiles, model_config: ModelConfig, train_config: TrainConfig, store: FrameStore,
                 resume: bool) -> dict | None:
    """last.pt of an interrupted run of the same configs and store, None for a fresh start."""
    if not files.last.is_file():
        return None
    if not resume:
        raise PoseauError(f"{files.out}: holds a training run; pass --resume to continue it, or choose another --out")
    state = read_checkpoint(files.last)
    if not _same_configs(state, model_config, train_config) or state["train"]["store_index"] != store.meta[
            "index_sha256"]:
        raise PoseauError(f"{files.last}: the run was started with another config or store; resume it with the "
                          "same arguments, or choose another --out")
    log.info("resuming %s at stage %d, epoch %d", files.out, state["train"]["stage"] + 1, state["train"]["epoch"] + 1)
    return state


def finished_model(files: RunFiles, model_config: ModelConfig, train_config: TrainConfig, resume: bool) -> Path:
    """The model of a finished run, for --resume of the same configs; refused otherwise."""
    if not resume:
        raise PoseauError(f"{files.out}: holds a finished training run; choose another --out")
    if not _same_configs(read_checkpoint(files.model), model_config, train_config):
        raise PoseauError(f"{files.out}: holds a finished run of another config; --resume continues only the same "
                          "config: choose another --out")
    log.info("%s: the run had finished", files.out)
    return files.model


def stage_best(path: Path, stage: int) -> dict:
    """The weights best.pt holds, which must be of ``stage`` (the one being resumed)."""
    record = read_checkpoint(path)
    if record["train"]["stage"] != stage:
        raise PoseauError(f"{path}: holds the best weights of stage {record['train']['stage'] + 1}, "
                          f"not of stage {stage + 1} being resumed")
    return record["state_dict"]
