"""Head poses of the nine FERA 2017 views and a pinhole camera looking at the head."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from poseau.constants import VIEW_ANGLES


def rotation(pitch: float, yaw: float, roll: float = 0.0) -> np.ndarray:
    """Head rotation (degrees) in model space (+x to the image right, +y up, +z
    toward the camera). Positive pitch lifts the nose; negative yaw turns the nose toward -x,
    the image's left edge; positive roll tilts the head clockwise on screen."""
    p, y, r = np.radians([pitch, yaw, roll])
    # pitch: nose (+z) goes to +y for p > 0
    rx = np.array([[1, 0, 0], [0, np.cos(p), np.sin(p)], [0, -np.sin(p), np.cos(p)]])
    # yaw: nose (+z) goes to +x for y > 0
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    # roll: +y goes to +x (clockwise on screen, where y points down) for r > 0
    rz = np.array([[np.cos(r), np.sin(r), 0], [-np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return (ry @ rx @ rz).astype(np.float32)


def view_rotation(view: int, jitter: np.ndarray | None = None) -> np.ndarray:
    """Rotation of FERA view ``view`` (1..9), plus an optional (pitch, yaw, roll) jitter in degrees."""
    pitch, yaw = VIEW_ANGLES[view]
    dp, dy, dr = (0.0, 0.0, 0.0) if jitter is None else jitter[:3]
    return rotation(pitch + dp, yaw + dy, dr)


@dataclass(frozen=True)
class Camera:
    """Pinhole camera on the +z axis looking at the head's pivot, framing ``field_cm`` at the pivot."""

    size: int = 224
    distance_cm: float = 80.0
    field_cm: float = 24.0

    @property
    def focal(self) -> float:
        return self.size * self.distance_cm / self.field_cm
