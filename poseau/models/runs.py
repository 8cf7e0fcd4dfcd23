"""The files of a training run folder, named once (training writes them; loading, evaluation and the report
read them)."""

from __future__ import annotations

import os
from pathlib import Path


class RunFiles:
    """``out``/model.yaml, train.yaml (the configs), train.csv and curves.png (per epoch), last.pt (to resume),
    best.pt (the stage's best weights so far), model.pt (the final model file), summary.txt."""

    MODEL = "model.pt"
    HISTORY = "train.csv"
    SUMMARY = "summary.txt"
    CURVES = "curves.png"

    def __init__(self, out: str | os.PathLike):
        self.out = Path(out)
        self.model_config, self.train_config = self.out / "model.yaml", self.out / "train.yaml"
        self.last, self.best, self.model = self.out / "last.pt", self.out / "best.pt", self.out / self.MODEL
        self.csv, self.png, self.summary = self.out / self.HISTORY, self.out / self.CURVES, self.out / self.SUMMARY

    @classmethod
    def is_run(cls, folder: str | os.PathLike) -> bool:
        """Whether ``folder`` holds a finished run's model file."""
        return (Path(folder) / cls.MODEL).is_file()

    @classmethod
    def run_of(cls, model_file: str | os.PathLike) -> Path | None:
        """The run folder whose model file ``model_file`` is, or None for a file elsewhere."""
        path = Path(model_file)
        return path.parent if path.name == cls.MODEL and path.parent.name else None
