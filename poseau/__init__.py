"""poseau: facial action unit intensity across head poses."""

from poseau.config import PrepareConfig, SynthConfig
from poseau.data import FrameDataset, FrameStore, prepare, read_dataset
from poseau.synth.facemodel import load_face_model
from poseau.synth.generate import synthesize

__version__ = "0.1.0"
__all__ = ["FrameDataset", "FrameStore", "PrepareConfig", "SynthConfig", "load_face_model", "prepare",
           "read_dataset", "synthesize", "__version__"]
