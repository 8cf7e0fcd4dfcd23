"""From datasets on disk to model input: readers -> frame index -> preprocessing -> frame store -> sampling
-> torch Dataset."""

from poseau.data.dataset import FrameDataset
from poseau.data.readers import read_dataset
from poseau.data.sampling import Draw, balanced_draw, paper_draw
from poseau.data.store import FrameStore, prepare

__all__ = ["Draw", "FrameDataset", "FrameStore", "balanced_draw", "paper_draw", "prepare", "read_dataset"]
