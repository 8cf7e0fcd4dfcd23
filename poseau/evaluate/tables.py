"""The paper's tables from scores: Table I (models side by side: RMSE, PCC, ICC per AU and their mean) and
Tables II-III (one model per view, with the pooled value in the last column), each written as Markdown,
CSV and LaTeX (booktabs)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from poseau.evaluate.scores import METRIC_LABELS
from poseau.fileio import write_text_atomic


@dataclass(frozen=True)
class Table:
    title: str
    corner: str                                  # the row labels' header
    rows: tuple[str, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...]  # (group header or "", its column headers)
    values: np.ndarray                           # (rows, all columns)

    @property
    def headers(self) -> list[str]:
        return [f"{g} {c}".strip() for g, cols in self.groups for c in cols]


def _cell(v: float) -> str:
    return "n/a" if math.isnan(v) else f"{v:.3f}"


def models_table(scores: dict[str, dict], title: str) -> Table:
    """Table I: per AU (and the mean), RMSE, PCC and ICC of each named model's pooled scores."""
    aus = list(dict.fromkeys(au for s in scores.values() for au in s["aus"]))
    names = list(METRIC_LABELS)
    rows = []
    for au in [*aus, "Mean"]:
        rows.append([(s["mean"] if au == "Mean" else s["pooled"].get(au, {})).get(m, np.nan)
                     for s in scores.values() for m in names])
    groups = tuple((model, tuple(METRIC_LABELS.values())) for model in scores)
    return Table(title, "AU", (*aus, "Mean"), groups, np.array(rows, np.float64))


def views_table(score: dict, metric: str, title: str) -> Table:
    """Tables II-III: one metric per AU (and the mean) per view, and over all views pooled ("all")."""
    views = sorted(score["views"])
    rows = []
    for au in [*score["aus"], "Mean"]:
        per_view = [(score["views"][v]["mean"] if au == "Mean" else score["views"][v]["aus"][au])[metric]
                    for v in views]
        pooled = score["mean"] if au == "Mean" else score["pooled"][au]
        rows.append([*per_view, pooled[metric]])
    groups = (("", (*map(str, views), "all")),)
    return Table(title, "AU / view", (*score["aus"], "Mean"), groups, np.array(rows, np.float64))


def to_markdown(t: Table) -> str:
    lines = [f"| {t.corner} | " + " | ".join(t.headers) + " |", "|---" * (1 + len(t.headers)) + "|"]
    lines += [f"| {r} | " + " | ".join(map(_cell, v)) + " |" for r, v in zip(t.rows, t.values, strict=True)]
    return "\n".join(lines) + "\n"


def to_csv(t: Table) -> str:
    lines = [",".join([t.corner, *t.headers])]
    lines += [",".join([r, *("" if math.isnan(x) else f"{x:.6g}" for x in v)]) for r, v in zip(t.rows, t.values,
                                                                                               strict=True)]
    return "\n".join(lines) + "\n"


def _tex(text: str) -> str:
    return text.replace("\\", r"\textbackslash{}").replace("_", r"\_").replace("&", r"\&").replace("%", r"\%")


def to_latex(t: Table) -> str:
    n = len(t.headers)
    top = " & ".join([""] + [rf"\multicolumn{{{len(c)}}}{{c}}{{{_tex(g)}}}" for g, c in t.groups])
    rules, col = [], 2
    for _, cols in t.groups:
        rules.append(rf"\cmidrule(lr){{{col}-{col + len(cols) - 1}}}")
        col += len(cols)
    sub = " & ".join([_tex(t.corner)] + [_tex(c) for _, cols in t.groups for c in cols])
    body = [" & ".join([_tex(r), *map(_cell, v)]) + r" \\" for r, v in zip(t.rows, t.values, strict=True)]
    head = [top + r" \\", " ".join(rules)] if any(g for g, _ in t.groups) else []
    return "\n".join([r"\begin{table}[t]", r"\centering", rf"\caption{{{_tex(t.title)}}}",
                      rf"\begin{{tabular}}{{l{'r' * n}}}", r"\toprule", *head, sub + r" \\",
                      r"\midrule", *body, r"\bottomrule", r"\end{tabular}", r"\end{table}"]) + "\n"


def write_table(t: Table, stem: str | os.PathLike) -> list[Path]:
    """``stem``.md (with the title as a heading), .csv and .tex."""
    stem = Path(stem)
    paths = [stem.with_suffix(".md"), stem.with_suffix(".csv"), stem.with_suffix(".tex")]
    for path, text in zip(paths, (f"**{t.title}**\n\n{to_markdown(t)}", to_csv(t), to_latex(t)), strict=True):
        write_text_atomic(path, text)
    return paths
