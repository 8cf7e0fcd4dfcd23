"""Options, one way: each is checked by one rule that argparse and the library both apply, and a config
dataclass becomes command-line options, and back, by the functions here alone.

A config field may say in its metadata (``option(...)``):
    help    the help text, kept beside the field
    rule    the values allowed (a Rule below): checked by the config itself and by argparse as it parses
    parse   how the option's text becomes the value (default: the type of the field's default; tuples are
            comma-separated lists of it)
    flag    the option's name when it is not the field's (``--jitter`` for jitter_deg)
    cli     False: not an option (set by the command itself)
Booleans are ``--name/--no-name``.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from poseau.constants import AUS, INFERENCE, RUNTIMES
from poseau.errors import PoseauError


@dataclass(frozen=True)
class Rule:
    """The values an option allows: ``test(value)`` and what to say when it fails ("at least 1")."""

    test: Callable[[Any], bool]
    says: str
    choices: tuple | None = None  # the values themselves, where they are a short list (argparse shows them)

    def check(self, name: str, value) -> None:
        if value is not None and not self.test(value):
            raise PoseauError(f"{name} must be {self.says}, got {value!r}")


def at_least(low: float) -> Rule:
    return Rule(lambda v: v >= low, f"at least {low}")


def between(low: float, high: float) -> Rule:
    """From ``low`` to ``high``, both included."""
    return Rule(lambda v: low <= v <= high, f"from {low} to {high}")


AT_LEAST_0, AT_LEAST_1 = at_least(0), at_least(1)
ABOVE_0 = Rule(lambda v: v > 0, "above 0")
ODD_WIDTH = Rule(lambda v: v >= 1 and v % 2 == 1, "an odd width >= 1 (1: no filter)")
FRACTION = Rule(lambda v: 0 <= v < 1, "at least 0 and below 1")
OPEN_FRACTION = Rule(lambda v: 0 < v < 1, "above 0 and below 1")
EVEN_SIDE = Rule(lambda v: v >= 16 and v % 2 == 0, "even and at least 16")


def one_of(names: Iterable[str]) -> Rule:
    names = tuple(names)
    return Rule(lambda v: v in names, f"one of {', '.join(names)}", names)


def among(values: Iterable) -> Rule:
    """A tuple whose items are all among ``values``."""
    values = tuple(values)
    return Rule(lambda v: set(v) <= set(values), f"among {', '.join(map(str, values))}")


# Options that no saved config holds, with their defaults and rules: the library's signatures and the command
# line both read them here, and `check_options` applies the same rules to the library's arguments.
MEDIAN_WIDTH = 3             # the paper's median filter over each sequence of predictions before scoring
EVAL_PARTITION = "valid"     # the partition evaluate, mix and saliency score by default
EVAL_BATCH = 64              # frames per network call when scoring a store
SALIENCY_FRAMES = 100        # frames with the highest predictions per AU and view
SALIENCY_BATCH = 16          # frames per gradient call
SEQUENCE_FPS = 30.0          # frame rate given to a folder of images, for its timestamps
DETECT_EVERY = 6             # predict on a video: faces detected on every 6th frame, followed between; against
# every 3rd, the shipped model agrees with OpenFace as well (pooled 0.425 -> 0.430, within 0.419 -> 0.431)
# for half the detector's work (benchmarks/README.md)
DEFAULT_BATCHES = 32         # a multiple of every default batch of predict (poseau.infer.predict.default_batch)
RENDER_WORKERS = min(4, os.cpu_count() or 1)  # processes that render and prepare (synth, demo, pretrain)

RULES: dict[str, Rule] = {
    "median": ODD_WIDTH, "fps": ABOVE_0, "crop_scale": ABOVE_0, "batch_size": AT_LEAST_1,
    "detect_every": AT_LEAST_1, "frames": AT_LEAST_1, "workers": AT_LEAST_1,
}


def check_options(**values) -> None:
    """Each value by its rule in RULES (None: the default, always allowed), or a PoseauError naming the first
    that breaks it."""
    for name, value in values.items():
        RULES[name].check(name, value)


def typed(name: str, parse: Callable[[str], Any] = int) -> Callable[[str], Any]:
    """The argparse type of the option ``name``: ``parse``, then its rule in RULES."""
    return arg_type(parse, RULES[name])


def option(default, help: str, *, rule: Rule | None = None, parse: Callable[[str], Any] | None = None,
           flag: str | None = None, cli: bool = True):
    """A config field with its help text, rule and command-line form (see the module's docstring)."""
    metadata = {"help": help, "rule": rule, "parse": parse, "flag": flag, "cli": cli}
    return dataclasses.field(default=default, metadata=metadata)


def check_fields(config) -> list[str]:
    """The fields of a config dataclass whose value breaks its rule."""
    return [f.name for f in dataclasses.fields(config)
            if f.metadata.get("rule") and getattr(config, f.name) is not None
            and not f.metadata["rule"].test(getattr(config, f.name))]


def check_rules(config) -> None:
    """A PoseauError naming the first field of ``config`` that breaks its rule."""
    for name in check_fields(config):
        _field(type(config), name).metadata["rule"].check(name, getattr(config, name))


def rule_help(config_class, bad: list[str]) -> str:
    return "; ".join(f"{name} {_field(config_class, name).metadata['rule'].says}" for name in bad)


def _field(cls, name: str) -> dataclasses.Field:
    return next(f for f in dataclasses.fields(cls) if f.name == name)


def parse_views(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"views must be comma-separated numbers 1-9, got {text!r}") from None


def parse_shard(text: str) -> tuple[int, int]:
    """"K/N" -> (K, N)."""
    k, sep, n = text.partition("/")
    if not (sep and k.strip().isdigit() and n.strip().isdigit()):
        raise ValueError(f"shard must be K/N, e.g. 0/10, got {text!r}")
    return int(k), int(n)


SHARD = Rule(lambda v: len(v) == 2 and 0 <= v[0] < v[1], "K/N with 0 <= K < N")


def parse_aus(text: str) -> tuple[str, ...]:
    """'all', or AU names or numbers: AU06,AU12 or 6,12."""
    if text.lower() == "all":
        return AUS
    try:
        return tuple(f"AU{int(t.strip().upper().removeprefix('AU')):02d}" for t in text.split(","))
    except ValueError:
        raise ValueError(f"AUs must be 'all' or names like AU06,AU12, got {text!r}") from None


def parse_names(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in text.split(",") if t.strip())


_KINDS = {int: "a whole number", float: "a number"}


def arg_type(parse: Callable[[str], Any], rule: Rule | None = None) -> Callable[[str], Any]:
    """An argparse type: ``parse`` then ``rule``; a failure is argparse's one line."""
    def convert(text: str):
        try:
            value = parse(text)
        except ValueError as exc:
            kind = _KINDS.get(parse, parse.__name__)
            raise argparse.ArgumentTypeError(str(exc) if "must be" in str(exc) else f"expected {kind}, got {text!r}") \
                from None
        if rule is not None and not rule.test(value):
            raise argparse.ArgumentTypeError(f"must be {rule.says}, got {text}")
        return value
    convert.__name__ = parse.__name__
    return convert


def flag_of(field: dataclasses.Field) -> str:
    return "--" + (field.metadata.get("flag") or field.name.replace("_", "-"))


def _parser_of(field: dataclasses.Field) -> Callable[[str], Any]:
    if field.metadata.get("parse"):
        return field.metadata["parse"]
    if isinstance(field.default, tuple):
        return parse_names
    return type(field.default)


def add_options(parser: argparse.ArgumentParser, cls, *, defaults: dict | None = None,
                required: Iterable[str] = ()) -> None:
    """One option per field of the dataclass ``cls`` that is an option, with its help, rule and default
    (``defaults`` overrides the class's; names in ``required`` have none)."""
    defaults, required = defaults or {}, set(required)
    for field in dataclasses.fields(cls):
        if not field.metadata.get("cli", True):
            continue
        default = defaults.get(field.name, field.default)
        text = field.metadata.get("help", "")
        shown = text if field.name in required or default is None else f"{text} (default: {_shown(default)})"
        common = {"dest": field.name, "help": shown}
        if field.name in required:
            common["required"] = True
        elif isinstance(field.default, bool):
            parser.add_argument(flag_of(field), action=argparse.BooleanOptionalAction, default=default,
                                help=text)
            continue
        else:
            common["default"] = default
        rule = field.metadata.get("rule")
        if rule is not None and rule.choices:
            parser.add_argument(flag_of(field), type=_parser_of(field), choices=rule.choices, **common)
        else:
            parser.add_argument(flag_of(field), type=arg_type(_parser_of(field), rule), **common)


def from_options(cls, args: argparse.Namespace, **values):
    """The config ``cls`` from parsed options; ``values`` set fields (those that are not options, or one the
    command fills in itself)."""
    given = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if f.metadata.get("cli", True)}
    return cls(**{**given, **values})


def _shown(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def to_argv(config, *, every: bool = False) -> list[str]:
    """The options that make ``config``, as a user types them: those whose value differs from the class's
    default, or with ``every`` all of them (a recipe that stays the same when the defaults change)."""
    base = type(config)()
    argv: list[str] = []
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if not field.metadata.get("cli", True) or (value == getattr(base, field.name) and not every):
            continue
        if isinstance(field.default, bool):
            argv.append(flag_of(field) if value else "--no-" + flag_of(field)[2:])
        else:
            argv += [flag_of(field), _shown(value)]
    return argv


@dataclass(frozen=True)
class PredictOptions:
    """How `poseau predict` and `poseau.Predictor` find, cut and score the faces of a video or images."""

    runtime: str = option("auto", "auto: onnxruntime on the model's ONNX file where it has one (the shipped "
                          "models), else torch; torch; or onnx (a PyTorch model exported in memory first)",
                          rule=one_of(RUNTIMES))
    device: str = option("cpu", "cpu, cuda, cuda:1, mps")
    detector: Any = option(None, "yunet, haar, or auto (yunet where installed, else haar); default: the one "
                           "that framed the model's training faces, else auto", parse=str)
    all_faces: bool = option(False, "every face, with ids kept across frames (default: the largest face only)")
    median: int = option(1, "median filter width along each face's frames (1: none)", rule=RULES["median"], parse=int)
    crop_scale: float | None = option(None, "face crop side / detected box side (default: the model's "
                                      "preprocessing)", rule=RULES["crop_scale"], parse=float)
    detect_every: int = option(DETECT_EVERY, "videos: the face detector runs on every N-th frame and the face "
                               "is followed between (1: every frame; all_faces detects on every frame)",
                               rule=RULES["detect_every"])
    batch_size: int | None = option(None, "faces per network call (default: 32 up to 112 px, else 8)",
                                    rule=RULES["batch_size"], parse=int)

    def __post_init__(self) -> None:
        check_rules(self)


@dataclass(frozen=True)
class BatchOptions:
    """How `poseau predict` spreads many inputs over the cores, a scheduler's tasks or a Ray cluster."""

    recursive: bool = option(False, "folders: the videos of their subfolders too, outputs mirroring the tree")
    jobs: int = option(0, "worker processes (0: every core); one long video alone is cut into pieces",
                       rule=AT_LEAST_0)
    shard: tuple[int, int] | None = option(None, "K/N: only the K-th of N shares of the inputs, chosen by their "
                                           "paths (a job array's task K of N)", rule=SHARD, parse=parse_shard)
    ray: str = option("", "run the work as Ray tasks: auto (the Ray cluster this machine is in), a cluster's "
                      "address, or local (a Ray instance started here); pip install poseau[ray]")
    inference: str = option("auto", "central: the workers decode and cut the faces, one network in this process "
                            "scores them (a GPU's arrangement: one model, large --batch-size); workers: a network "
                            "in each worker; auto: central where --device is not cpu", rule=one_of(INFERENCE))

    def __post_init__(self) -> None:
        check_rules(self)


@dataclass(frozen=True)
class ScoreOptions:
    """How `poseau evaluate` and `poseau mix` score models on a store's partition."""

    partition: str = option(EVAL_PARTITION, "valid, test, train or all")
    median: int = option(MEDIAN_WIDTH, "median filter width along each sequence before scoring (1: none)",
                         rule=RULES["median"])
    batch_size: int = option(EVAL_BATCH, "frames per network call", rule=RULES["batch_size"])
    device: str = option("cpu", "cpu, cuda, cuda:1, mps")

    def __post_init__(self) -> None:
        check_rules(self)


@dataclass(frozen=True)
class SaliencyOptions:
    """How `poseau saliency` picks frames and draws its maps."""

    partition: str = option(EVAL_PARTITION, "valid, test, train or all")
    frames: int = option(SALIENCY_FRAMES, "frames with the highest predictions per AU and view",
                         rule=RULES["frames"])
    aus: tuple[str, ...] = option((), "AUs to draw (default: all the model's)", rule=among(AUS), parse=parse_aus)
    batch_size: int = option(SALIENCY_BATCH, "frames per gradient call", rule=RULES["batch_size"])
    device: str = option("cpu", "cpu, cuda, cuda:1, mps")

    def __post_init__(self) -> None:
        check_rules(self)


def as_kwargs(options) -> dict:
    """An options dataclass as the keyword arguments of the library function it is for."""
    return {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}


def segment_step(detect_every: int, batch_size: int | None) -> int:
    """Where a video may be cut into pieces whose tables equal the whole's (Predictor.video_segment): multiples
    of the detector's step and of the network's batch (of any default batch, so no model need be loaded)."""
    return math.lcm(max(1, detect_every), batch_size or DEFAULT_BATCHES)
