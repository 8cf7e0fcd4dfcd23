"""Model export: ONNX, checked against PyTorch."""
