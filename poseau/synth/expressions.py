"""AU intensity trajectories over time, with the co-occurrences of spontaneous faces.

Expressions are events of a few prototypes (a smile raises AU12 with AU6 and often AU10,
a frown lowers the brows with the chin raised, ...). Each event has an onset, an apex and
an offset, smooth in time. Events are added, placed where the AU that is furthest below
its target share of active frames is still at rest, until every AU is active in about
``active_fraction`` of the frames. Intensities are continuous in [0, 5]; labels are those
rounded to integers, so a value under 0.5 is a 0 label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from poseau.config import ACTIVE_FRACTION
from poseau.constants import AUS, INTENSITY_MAX, MISSING
from poseau.scales import intensity_to_unit

DISTRACTORS: tuple[str, ...] = ("blink", "jaw_open", "outer_brow_raise")

# prototype -> {AU or distractor: (probability of taking part, gain on the event's intensity)}
PROTOTYPES: dict[str, dict[str, tuple[float, float]]] = {
    "smile": {"AU12": (1.0, 1.0), "AU06": (0.85, 0.85), "AU10": (0.35, 0.6),
              "AU14": (0.25, 0.5), "jaw_open": (0.3, 0.5)},
    "surprise": {"AU01": (1.0, 1.0), "outer_brow_raise": (0.9, 0.9), "jaw_open": (0.4, 0.6)},
    "frown": {"AU04": (1.0, 1.0), "AU17": (0.4, 0.7), "AU14": (0.25, 0.5)},
    "disgust": {"AU10": (1.0, 1.0), "AU04": (0.6, 0.7), "AU17": (0.3, 0.6), "AU06": (0.3, 0.5)},
    "sadness": {"AU01": (0.9, 0.9), "AU04": (0.7, 0.7), "AU17": (0.8, 0.9)},
    "dimpler": {"AU14": (1.0, 1.0), "AU17": (0.5, 0.7), "AU12": (0.2, 0.4)},
    "doubt": {"AU17": (1.0, 1.0), "AU04": (0.3, 0.6), "AU14": (0.4, 0.6)},
}


@dataclass(frozen=True)
class AUTrack:
    """One sequence's ground truth: continuous intensities, integer labels, distractors."""

    intensity: np.ndarray    # (T, 7) float32 in [0, 5], AUS order
    labels: np.ndarray       # (T, 7) int16 in 0..5, or MISSING where not coded
    distractors: np.ndarray  # (T, 3) float32 shape weights in [0, 1], DISTRACTORS order

    @property
    def n_frames(self) -> int:
        return self.intensity.shape[0]


def envelope(n: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth bump of length n: raised-cosine onset, plateau at 1, raised-cosine offset."""
    onset = max(1, int(round(n * rng.uniform(0.2, 0.4))))
    offset = max(1, int(round(n * rng.uniform(0.2, 0.4))))
    apex = max(0, n - onset - offset)
    rise = 0.5 - 0.5 * np.cos(np.pi * (np.arange(onset) + 1) / (onset + 1))
    fall = rise[::-1] if offset == onset else 0.5 - 0.5 * np.cos(np.pi * (np.arange(offset, 0, -1)) / (offset + 1))
    return np.concatenate([rise, np.ones(apex), fall])[:n]


def _add_event(tracks: dict[str, np.ndarray], proto: dict[str, tuple[float, float]], start: int,
               length: int, rng: np.random.Generator) -> None:
    peak = rng.uniform(1.0, INTENSITY_MAX + 0.5)
    env = envelope(length, rng)
    for name, (prob, gain) in proto.items():
        if rng.random() >= prob:
            continue
        scale = intensity_to_unit(1.0) if name in DISTRACTORS else 1.0  # a distractor's peak is a shape weight
        value = peak * gain * rng.uniform(0.75, 1.15) * scale * env
        seg = tracks[name][start:start + length]
        np.maximum(seg, value[:len(seg)], out=seg)


def _blinks(n: int, rng: np.random.Generator) -> np.ndarray:
    """Blinks: about one every 3 s at 25 frames/s, each closing the lids over 3-5 frames."""
    out = np.zeros(n)
    t = int(rng.integers(0, 40))
    while t < n:
        length = int(rng.integers(3, 6))
        seg = envelope(length, rng)
        out[t:t + length] = seg[:max(0, min(length, n - t))]
        t += length + int(rng.integers(30, 110))
    return out


def generate_track(n_frames: int, rng: np.random.Generator, active_fraction: float = ACTIVE_FRACTION,
                   distractors: bool = True, missing_rate: float = 0.0, solo: float = 0.0) -> AUTrack:
    """Continuous AU intensities for ``n_frames`` with about ``active_fraction`` non-zero labels per AU.
    ``solo``: the share of events in which the AU that asked for one moves alone, not with its prototype's
    companions, so that no AU can be read off another."""
    names = (*AUS, *DISTRACTORS)
    tracks = {k: np.zeros(n_frames) for k in names}
    by_au = {au: [p for p in PROTOTYPES.values() if au in p] for au in AUS}
    min_len = min(6, n_frames)
    max_len = max(min_len, min(75, n_frames // 2))
    for _ in range(64 * len(AUS)):  # enough events for any length; usually far fewer are needed
        active = {au: float(np.mean(tracks[au] >= 0.5)) for au in AUS}
        au = min(active, key=active.get)
        if active[au] >= active_fraction:
            break
        protos = by_au[au]
        proto = protos[int(rng.integers(len(protos)))]
        length = int(rng.integers(min_len, max_len + 1))
        rest = np.flatnonzero(tracks[au] < 0.5)
        start = int(np.clip(rest[int(rng.integers(len(rest)))] - length // 3, 0, n_frames - length))
        forced = dict(proto)
        forced[au] = (1.0, proto[au][1])  # the AU that asked for the event takes part
        if solo > 0 and rng.random() < solo:
            forced = {au: (1.0, 1.0)}
        _add_event(tracks, forced, start, length, rng)
    if distractors:
        tracks["blink"] = np.maximum(tracks["blink"], _blinks(n_frames, rng))
    else:
        for k in DISTRACTORS:
            tracks[k][:] = 0.0
    intensity = np.clip(np.stack([tracks[a] for a in AUS], 1), 0, INTENSITY_MAX).astype(np.float32)
    labels = np.clip(np.floor(intensity + 0.5), 0, INTENSITY_MAX).astype(np.int16)
    if missing_rate > 0:
        labels[missing_frames(n_frames, missing_rate, rng)] = MISSING
    dis = np.clip(np.stack([tracks[k] for k in DISTRACTORS], 1), 0, 1).astype(np.float32)
    return AUTrack(intensity=intensity, labels=labels, distractors=dis)


def missing_frames(n_frames: int, rate: float, rng: np.random.Generator) -> np.ndarray:
    """A boolean mask with runs of 5-30 frames (shorter in short sequences) covering about ``rate`` of it."""
    mask = np.zeros(n_frames, bool)
    target = int(round(rate * n_frames))
    longest = max(1, min(30, n_frames // 4))
    for _ in range(1000):
        if mask.sum() >= target:
            break
        length = int(rng.integers(min(5, longest), longest + 1))
        start = int(rng.integers(0, max(1, n_frames - length + 1)))
        mask[start:start + length] = True
    return mask
