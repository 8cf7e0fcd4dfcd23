"""Soft shapes over a mesh's vertices, in centimetres: distances to lines and points, and smooth steps."""

from __future__ import annotations

import numpy as np


def distance_to_polyline(points: np.ndarray, line: np.ndarray) -> np.ndarray:
    """Distance (N,) from each point (N, 3) to a polyline (K, 3)."""
    best = np.full(len(points), np.inf)
    for a, b in zip(line[:-1], line[1:], strict=True):
        ab = b - a
        t = np.clip(((points - a) @ ab) / max(float(ab @ ab), 1e-9), 0, 1)
        best = np.minimum(best, np.linalg.norm(points - (a + t[:, None] * ab), axis=1))
    return best


def smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0, 1)
    return x * x * (3 - 2 * x)


def near(verts: np.ndarray, point: np.ndarray, radius: float) -> np.ndarray:
    """A soft disc (V,) of weight 1 at ``point`` falling to 0 at ``radius`` cm."""
    return 1 - smoothstep(np.linalg.norm(verts - point, axis=1) / radius)
