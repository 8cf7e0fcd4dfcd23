"""Model files that need nothing beside them: `load_model(path)` rebuilds the network from the file alone.

A model file is a dict (torch.save, loadable with weights_only=True):
    format         CHECKPOINT_FORMAT
    poseau         the version that wrote it
    model          the ModelConfig (kind, backbone, AUs, input size, hidden units)
    aus            the AU names, in output order
    input          the backbone's InputSpec (mean, std, channels, size)
    preprocessing  how its input is made from an image (poseau.data.preprocess.Preprocessing)
    pose_groups    the pose group names and the view -> group map the pose estimator was trained on
    state_dict     the weights
    train          (optional) the TrainConfig and where training stopped

A mixed model's file holds format, poseau, aus, preprocessing, "mixed" (the AU -> member pick and the
selection scores) and "members", a list of the records above (without "train"). An ensemble's file
(poseau.models.ensemble) holds format, poseau, aus, preprocessing, "ensemble" (the members' seeds) and
"members", a list of model or mixed model records.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from pathlib import Path

import torch

from poseau.config import ModelConfig, from_dict, to_dict
from poseau.constants import POSE_GROUPS, VIEW_POSE_GROUP, __version__
from poseau.data.preprocess import Preprocessing
from poseau.errors import PoseauError
from poseau.fileio import atomic_path, out_file
from poseau.models.devices import torch_device
from poseau.models.ensemble import EnsembleModel
from poseau.models.input_spec import InputSpec
from poseau.models.locate import locate_model
from poseau.models.mixed import MixedModel
from poseau.models.model import AUModel
from poseau.models.torch_files import torch_load

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 1
# Smaller weights (depthwise and first convolutions) stay in half precision: in int8 they moved the demo's
# mixed model's intensities by 0.094 on average (0-5), against 0.026 when only these large ones are int8.
INT8_MIN_SIZE = 16384


def kept_in_int8(shape: tuple[int, ...]) -> bool:
    """Whether a floating weight of ``shape`` is stored as int8 with a scale per output channel (compact_record's
    "int8", and the int8 ONNX file): a convolution or linear layer of INT8_MIN_SIZE values or more."""
    return len(shape) >= 2 and math.prod(shape) >= INT8_MIN_SIZE


def model_record(model: AUModel, *, train: dict | None = None) -> dict:
    record = {
        "format": CHECKPOINT_FORMAT, "poseau": __version__, "model": to_dict(model.config), "aus": list(model.aus),
        "input": dataclasses.asdict(model.spec), "preprocessing": model.preprocessing.to_dict(),
        "pose_groups": {"names": list(POSE_GROUPS), "views": {str(v): g for v, g in VIEW_POSE_GROUP.items()}},
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    if train is not None:
        record["train"] = train
    return record


def mixed_record(model: MixedModel) -> dict:
    return {"format": CHECKPOINT_FORMAT, "poseau": __version__, "aus": list(model.aus),
            "preprocessing": model.preprocessing.to_dict(),
            "mixed": {"pick": {au: list(c) for au, c in model.pick.items()}, "selection": dict(model.selection)},
            "members": [model_record(m) for m in model.members]}


def compact_record(record: dict, precision: str = "half") -> dict:
    """A model file's record for shipping, without the training history: floating weights in half precision,
    or with ``precision`` "int8" the large weights (convolutions and linear layers of INT8_MIN_SIZE values or
    more: nearly all of them) as int8 with a scale per output channel (in record["int8_scales"]) and the rest
    in half precision. `load_model` reads both back into float32 (``full_state``)."""
    if "members" in record:
        return {**record, "members": [compact_record(m, precision) for m in record["members"]]}
    state, scales = {}, {}
    for key, value in record["state_dict"].items():
        if precision == "int8" and value.is_floating_point() and kept_in_int8(tuple(value.shape)):
            scale = value.abs().flatten(1).amax(1).clamp(min=1e-12) / 127
            state[key] = torch.round(value / scale.view(-1, *[1] * (value.ndim - 1))).to(torch.int8)
            scales[key] = scale.half()
        else:
            state[key] = value.half() if value.is_floating_point() else value
    out = {k: v for k, v in record.items() if k != "train"} | {"state_dict": state}
    return out | {"int8_scales": scales} if scales else out


def full_state(record: dict) -> dict:
    """The record's weights in float32 where they were stored in int8 (see compact_record)."""
    scales = record.get("int8_scales", {})
    return {k: v.float() * scales[k].float().view(-1, *[1] * (v.ndim - 1)) if k in scales else v
            for k, v in record["state_dict"].items()}


def save_atomic(obj: dict, path: str | os.PathLike) -> Path:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)
    return Path(path)


def read_checkpoint(path: str | os.PathLike) -> dict:
    """The record of a model file, a training run folder's model.pt, or a shipped model (by name)."""
    path = locate_model(path)
    record = torch_load(path, "poseau model file")
    if not isinstance(record, dict) or not ({"model", "mixed", "ensemble"} & set(record)):
        raise PoseauError(f"{path}: not a poseau model file (no model record)")
    if record.get("format") != CHECKPOINT_FORMAT:
        raise PoseauError(f"{path}: model file format {record.get('format')}, this poseau reads {CHECKPOINT_FORMAT}")
    return record


def model_from_record(record: dict, source: str = "model") -> AUModel | MixedModel | EnsembleModel:
    if "members" in record:
        members = [model_from_record(r, f"{source} (member {i + 1})") for i, r in enumerate(record["members"])]
        if "ensemble" in record:
            return EnsembleModel(members, record["ensemble"]["seeds"])
        return MixedModel(members, record["mixed"]["pick"], record["mixed"]["selection"])
    preprocessing = Preprocessing.from_dict(record["preprocessing"], source)
    model = AUModel(from_dict(ModelConfig, record["model"], source), preprocessing=preprocessing, weights=None)
    model.spec = InputSpec(**{k: tuple(v) if isinstance(v, list) else v for k, v in record["input"].items()})
    try:
        model.load_state_dict(full_state(record))
    except RuntimeError as exc:
        raise PoseauError(f"{source}: weights do not fit its own model config ({str(exc).splitlines()[0]})") from None
    return model


def save_ensemble(models: list[str | os.PathLike], out: str | os.PathLike, *, seeds: list[int] | None = None
                  ) -> Path:
    """One model file at ``out`` whose intensities are the mean of the model files ``models`` (members of one
    recipe, trained with ``seeds``: poseau.models.ensemble); their weights are kept as each file has them."""
    if len(models) < 2:
        raise PoseauError("an ensemble needs two or more model files")
    out = out_file(out)
    records = [read_checkpoint(m) for m in models]
    first = records[0]
    record = {"format": CHECKPOINT_FORMAT, "poseau": __version__, "aus": first["aus"],
              "preprocessing": first["preprocessing"], "ensemble": {"seeds": list(seeds) if seeds else None},
              "members": [{k: v for k, v in r.items() if k != "train"} for r in records]}
    try:
        model_from_record(record, str(out))
    except ValueError as exc:
        raise PoseauError(f"cannot make an ensemble of {', '.join(map(str, models))}: {exc}") from None
    log.info("ensemble %s: the mean of %s", out, ", ".join(map(str, models)))
    return save_atomic(record, out)


def load_model(path: str | os.PathLike, *, device: str | torch.device = "cpu"
               ) -> AUModel | MixedModel | EnsembleModel:
    """The model (a mixed model, an ensemble) saved at ``path`` (a model file, a run folder, or the name of a
    shipped model such as "poseau-au7-v1": poseau.models.shipped), in eval mode on ``device``:
    ``model.preprocessing(image, box)`` makes its input, ``model.predict(faces)`` gives intensities 0-5 for
    ``model.aus``."""
    device = torch_device(device)
    return model_from_record(read_checkpoint(path), str(path)).to(device).eval()
