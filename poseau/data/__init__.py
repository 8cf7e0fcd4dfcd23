"""From datasets on disk to model input: readers -> frame index -> Preprocessing -> frame store -> sampling
-> torch Dataset. Names load on first use (the Dataset imports torch)."""

from importlib import import_module

_PUBLIC = {
    "read_dataset": "poseau.data.readers", "prepare": "poseau.data.store", "FrameStore": "poseau.data.store",
    "Draw": "poseau.data.sampling", "paper_draw": "poseau.data.sampling", "balanced_draw": "poseau.data.sampling",
    "FrameDataset": "poseau.data.dataset", "Preprocessing": "poseau.data.preprocess",
}
__all__ = list(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'poseau.data' has no attribute {name!r}")
