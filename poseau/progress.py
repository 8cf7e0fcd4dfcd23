"""The one progress bar of long work: what it is doing, a bar, done of total, time left."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


def progress_bar(enabled: bool = True, unit: str = "") -> Progress:
    """A rich Progress showing each task's description; ``unit`` names what is counted (e.g. "images")."""
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn()]
    if unit:
        columns.append(TextColumn(unit))
    return Progress(*columns, TimeRemainingColumn(), disable=not enabled)
