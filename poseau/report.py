"""`poseau report DIR`: one page, report.md and report.html in DIR, with every result found under it.

The results first, then how they were made; what is looked for, in the page's order:
    */models.csv                             evaluations (poseau evaluate), newest first (a demo's test
                                             subjects before its validation subjects): Table I, and for each
                                             model folder (metrics.json) its scores per view, Fig. 2, the
                                             mixed model's choices
    */saliency.png                           saliency maps (poseau saliency)
    */train.csv + summary.txt + curves.png   training runs (poseau.models.runs.RunFiles)
    contact_sheet.png                        the synthetic data (poseau synth)
"""

from __future__ import annotations

import csv
import html
import json
import os
from pathlib import Path

from poseau.errors import PoseauError
from poseau.fileio import write_text_atomic
from poseau.models.runs import RunFiles


def _found(root: Path, name: str) -> list[Path]:
    return sorted(p for p in root.rglob(name) if not any(part.startswith(".") for part in p.relative_to(root).parts))


def _table(path: Path) -> dict:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    title = ""
    md = path.with_suffix(".md")
    if md.is_file():
        title = md.read_text().splitlines()[0].strip("*")
    return {"kind": "table", "title": title, "header": rows[0], "rows": rows[1:]}


def _image(root: Path, path: Path, caption: str) -> dict:
    return {"kind": "image", "src": path.relative_to(root).as_posix(), "caption": caption}


def _selection_text(selection: dict) -> str:
    chosen = selection["chosen"]
    if selection.get("rule") == "mean":
        icc = selection["icc"]
        parts = [f"{au}: " + ", ".join("n/a" if icc[n][au] is None else f"{icc[n][au]:.3f}" for n in names)
                 for au, names in chosen.items()]
        return (f"Mixed model: each AU the mean of {', '.join(icc)} (their ICC on the {selection['partition']} "
                f"partition: {'; '.join(parts)}).")
    parts = [f"{au}: {name} ({selection['icc'][name][au]:.3f})" if selection["icc"][name][au] is not None
             else f"{au}: {name}" for au, name in chosen.items()]
    return (f"Mixed model: each AU from the candidate with the higher ICC on the {selection['partition']} "
            f"partition; {'; '.join(parts)}.")


def collect(root: Path) -> list[dict]:
    """The page's blocks: headings, paragraphs, tables and images, in reading order."""
    blocks: list[dict] = [{"kind": "h1", "text": f"poseau report: {root.name}"}]
    evaluations = [p.parent for p in sorted(_found(root, "models.csv"), key=lambda p: -p.stat().st_mtime_ns)]
    for folder in evaluations:
        blocks.append({"kind": "h2", "text": f"Evaluation: {folder.relative_to(root).as_posix() or folder.name}"})
        table = _table(folder / "models.csv")
        blocks.append(table)
        rank = {h.removesuffix(" RMSE"): i for i, h in enumerate(table["header"]) if h.endswith(" RMSE")}
        found = sorted(folder.glob("*/metrics.json"),  # in Table I's order
                       key=lambda p: (rank.get(p.parent.name, len(rank)), p.parent.name))
        for metrics in found:
            model = metrics.parent
            scores = json.loads(metrics.read_text())
            blocks.append({"kind": "h3", "text": model.name})
            blocks.append({"kind": "p", "text": f"Model {scores['model'] or '(in memory)'}, {scores['frames']} frames "
                           f"of the {scores['partition']} partition, median filter width {scores['median_width']}"
                           + (f", pose accuracy {scores['pose_accuracy']:.3f}" if scores.get("pose_accuracy")
                              is not None else "") + "."})
            if scores.get("selection"):
                blocks.append({"kind": "p", "text": _selection_text(scores["selection"])})
            if scores.get("undefined"):
                blocks.append({"kind": "p", "text": "Undefined (n/a): " + "; ".join(scores["undefined"][:12])
                               + (" ..." if len(scores["undefined"]) > 12 else "")})
            for name in ("views_icc", "views_rmse"):
                if (model / f"{name}.csv").is_file():
                    blocks.append(_table(model / f"{name}.csv"))
            for name, caption in (("view_scores.png", "ICC per AU and view"),
                                  ("view_icc.png", "ICC between the predicted sequences of two views (Fig. 2)")):
                if (model / name).is_file():
                    blocks.append(_image(root, model / name, caption))
    maps = _found(root, "saliency.png")
    if maps:
        blocks.append({"kind": "h2", "text": "Saliency maps"})
        blocks += [_image(root, p, f"{p.parent.relative_to(root).as_posix()}: gradient saliency (Fig. 3)")
                   for p in maps]
    runs = [RunFiles(p.parent) for p in _found(root, RunFiles.HISTORY) if RunFiles(p.parent).summary.is_file()]
    if runs:
        blocks.append({"kind": "h2", "text": "Training"})
        for run in runs:
            blocks.append({"kind": "h3", "text": run.out.relative_to(root).as_posix() or run.out.name})
            blocks.append({"kind": "pre", "text": run.summary.read_text().strip()})
            if run.png.is_file():
                blocks.append(_image(root, run.png, "loss per stage and validation ICC per epoch"))
    sheets = _found(root, "contact_sheet.png")
    if sheets:
        blocks.append({"kind": "h2", "text": "Data"})
        blocks += [_image(root, p, f"{p.parent.relative_to(root).as_posix()}: views by AUs") for p in sheets]
    return blocks


def to_markdown(blocks: list[dict]) -> str:
    out = []
    for b in blocks:
        kind = b["kind"]
        if kind in ("h1", "h2", "h3"):
            out.append("#" * int(kind[1]) + " " + b["text"])
        elif kind == "p":
            out.append(b["text"])
        elif kind == "pre":
            out.append("```\n" + b["text"] + "\n```")
        elif kind == "image":
            out.append(f"![{b['caption']}]({b['src']})\n\n*{b['caption']}*")
        elif kind == "table":
            lines = [f"**{b['title']}**", ""] if b["title"] else []
            lines.append("| " + " | ".join(b["header"]) + " |")
            lines.append("|---" * len(b["header"]) + "|")
            lines += ["| " + " | ".join(_number(c) for c in row) + " |" for row in b["rows"]]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def _number(cell: str) -> str:
    try:
        return f"{float(cell):.3f}"
    except ValueError:
        return cell or "n/a"


def to_html(blocks: list[dict], title: str) -> str:
    out = []
    for b in blocks:
        kind = b["kind"]
        if kind in ("h1", "h2", "h3"):
            out.append(f"<{kind}>{html.escape(b['text'])}</{kind}>")
        elif kind == "p":
            out.append(f"<p>{html.escape(b['text'])}</p>")
        elif kind == "pre":
            out.append(f"<pre>{html.escape(b['text'])}</pre>")
        elif kind == "image":
            out.append(f'<figure><img src="{html.escape(b["src"])}" alt="{html.escape(b["caption"])}">'
                       f"<figcaption>{html.escape(b['caption'])}</figcaption></figure>")
        elif kind == "table":
            head = "".join(f"<th>{html.escape(c)}</th>" for c in b["header"])
            body = "".join("<tr>" + "".join(f"<td>{html.escape(_number(c))}</td>" for c in row) + "</tr>"
                           for row in b["rows"])
            caption = f"<caption>{html.escape(b['title'])}</caption>" if b["title"] else ""
            out.append(f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    style = ("body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 8px;"
             "text-align:right}caption{font-weight:bold;text-align:left}img{max-width:100%}"
             "pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap}")
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"<style>{style}</style></head><body>\n" + "\n".join(out) + "\n</body></html>\n")


def write_report(root: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``root``/report.md and ``root``/report.html; their paths."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise PoseauError(f"{root}: is a file, not a folder; give the folder of a demo, run or evaluation")
    if not root.is_dir():
        raise PoseauError(f"{root}: no such folder")
    blocks = collect(root)
    if len(blocks) == 1:
        raise PoseauError(f"{root}: no training run, evaluation or saliency map found under it")
    md, page = root / "report.md", root / "report.html"
    write_text_atomic(md, to_markdown(blocks))
    write_text_atomic(page, to_html(blocks, f"poseau report: {root.name}"))
    return md, page
