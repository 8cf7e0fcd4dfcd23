"""poseau: facial action unit intensity across head poses."""

from poseau.config import SynthConfig
from poseau.synth.facemodel import load_face_model
from poseau.synth.generate import synthesize

__version__ = "0.1.0"
__all__ = ["SynthConfig", "load_face_model", "synthesize", "__version__"]
