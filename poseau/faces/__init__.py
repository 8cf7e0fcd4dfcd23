"""Faces in images: detection, the boxes and crops around them, and ids kept across frames."""
