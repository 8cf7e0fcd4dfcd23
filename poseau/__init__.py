"""poseau: facial action unit intensity across head poses.

The public names below load on first use, so that `poseau --help` or `poseau synth` do not import torch.
"""

from importlib import import_module

from poseau.constants import __version__

_PUBLIC = {
    "SynthConfig": "poseau.config", "PrepareConfig": "poseau.config",
    "load_face_model": "poseau.synth.facemodel", "synthesize": "poseau.synth.generate",
    "read_dataset": "poseau.data.readers", "prepare": "poseau.data.store", "FrameStore": "poseau.data.store",
    "Preprocessing": "poseau.data.preprocess",
    "FrameDataset": "poseau.data.dataset",
    "ModelConfig": "poseau.config", "TrainConfig": "poseau.config", "AUModel": "poseau.models.model",
    "load_model": "poseau.models.checkpoint", "MixedModel": "poseau.models.mixed",
    "EnsembleModel": "poseau.models.ensemble", "save_ensemble": "poseau.models.checkpoint",
    "evaluate_model": "poseau.evaluate.evaluation", "evaluate_models": "poseau.evaluate.evaluation",
    "select_mixed": "poseau.evaluate.selection", "draw_saliency": "poseau.explain.saliency",
    "write_report": "poseau.report", "Predictor": "poseau.infer.predictor", "predict_video": "poseau.infer.predictor",
    "predict_images": "poseau.infer.predictor", "export_onnx": "poseau.export.onnx",
    "DemoConfig": "poseau.recipes", "run_demo": "poseau.demo",
    "PretrainConfig": "poseau.recipes", "run_pretrain": "poseau.pretrain",
}
__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'poseau' has no attribute {name!r}")
