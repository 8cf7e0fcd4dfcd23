"""Inference on a user's own images and videos: face detection in front of the model."""
