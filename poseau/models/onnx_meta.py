"""What poseau writes into an ONNX file beside the graph (poseau.models.onnx_graph) and reads back without torch
(poseau.infer.onnx_runner): the metadata entry's key and format."""

META_KEY = "poseau"
META_FORMAT = 2  # 2: uint8 faces in, 0-5 out (1 took float frames on 0-1)
