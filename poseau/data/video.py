"""Video files in and out through PyAV (FFmpeg)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from poseau.errors import PoseauError


class VideoWriter:
    """H.264 mp4 writer of RGB uint8 frames whose bytes depend only on the frames (checked by the tests).
    ``size``: the side of square frames, or (width, height), each even (H.264's 4:2:0 colour halves both);
    ``fps``: frames per second, a whole number or not (29.97 is written as 30000/1001)."""

    def __init__(self, path: str | os.PathLike, size: int | tuple[int, int], fps: float = 25, crf: int = 18):
        self.path = Path(path)
        width, height = (size, size) if isinstance(size, int) else size
        if width % 2 or height % 2:
            raise PoseauError(f"{self.path}: H.264 frames need an even width and height, not {width}x{height}")
        rate = Fraction(fps).limit_denominator(1001)
        self._container = av.open(str(self.path), mode="w", format="mp4")
        self._stream = self._container.add_stream("libx264", rate=rate)
        # Frames are stamped in 1/fps. Not the stream's time base: the mp4 muxer changes that to 1/12800 on
        # the first packet, which once stamped every frame ~0 and made the muxer refuse frame 258.
        self._time_base = 1 / rate
        self._stream.codec_context.time_base = self._time_base
        self._stream.width, self._stream.height = width, height
        self._stream.pix_fmt = "yuv420p"
        self._stream.codec_context.thread_count = 1
        # zerolatency: no lookahead or macroblock tree, whose output was seen to vary from run to run
        self._stream.options = {"crf": str(crf), "preset": "veryfast", "tune": "zerolatency"}
        self.frames = 0

    def write(self, rgb: np.ndarray) -> None:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self.frames  # frame i is shown at i / fps
        frame.time_base = self._time_base
        self._container.mux(self._stream.encode(frame))
        self.frames += 1

    def close(self) -> None:
        self._container.mux(self._stream.encode())
        self._container.close()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_video(path: str | os.PathLike) -> av.container.InputContainer:
    """The opened container, which has a video stream, or one error naming the file and what is wrong."""
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise PoseauError(f"{path}: is not a video or image file poseau can read ({exc})") from None
    if container.format.name == "tty":  # FFmpeg shows any text file as an "ANSI art" video
        container.close()
        raise PoseauError(f"{path}: is not a video or image file (it reads as text)")
    if not container.streams.video:
        kinds = sorted({s.type for s in container.streams}) or ["none"]
        container.close()
        raise PoseauError(f"{path}: has no video stream (its streams: {', '.join(kinds)})")
    return container


def decode(path: str | os.PathLike) -> Iterator[av.VideoFrame]:
    """The decoded frames of a video's first video stream, in order."""
    with open_video(path) as container:
        try:
            yield from container.decode(video=0)
        except av.error.FFmpegError as exc:
            raise PoseauError(f"{path}: decoding failed ({exc})") from None


def decode_from(path: str | os.PathLike, start: int) -> Iterator[tuple[int, av.VideoFrame]]:
    """(0-based position, frame) of a video's decoded frames, numbered as ``decode`` yields them, from position
    ``start`` on and perhaps some before it. Where the packets say where each frame falls (``_packet_stamps``),
    the decoding starts at the last keyframe before ``start`` rather than at the first frame; it checks that it
    reached the frame at ``start`` and else decodes from the first frame."""
    if start > 0:
        with video_stream(path) as (container, stream):
            stamps = _packet_stamps(container, stream)
            if stamps is not None and start < len(stamps[0]):
                shown, keyframes = stamps
                at = {stamp: i for i, stamp in enumerate(shown)}
                keyframe = max((p for p in keyframes if p <= shown[start]), default=None)
                if keyframe is not None:
                    try:
                        container.seek(keyframe, stream=stream, backward=True, any_frame=False)
                        frames = container.decode(stream)
                        first = next((f for f in frames if at.get(f.pts, -1) >= start), None)
                        if first is not None and at[first.pts] == start:
                            yield start, first
                            yield from enumerate(frames, start + 1)
                            return
                    except av.error.FFmpegError as exc:
                        raise PoseauError(f"{path}: decoding failed ({exc})") from None
    yield from enumerate(decode(path))


def frame_stamps(path: str | os.PathLike) -> tuple[list[int], list[int]] | None:
    """From the video's packets, without decoding: the presentation stamp of each frame that decoding yields, in
    showing order (the packets the container marks as discarded, such as those before an edit list's start, left
    out), and those of its keyframes, where every packet has a stamp of its own; else None."""
    with video_stream(path) as (container, stream):
        return _packet_stamps(container, stream)


def _packet_stamps(container, stream) -> tuple[list[int], list[int]] | None:
    shown, keyframes = [], []
    try:
        for packet in container.demux(stream):
            if packet.size == 0 or packet.is_discard:
                continue
            if packet.pts is None:
                return None
            shown.append(packet.pts)
            if packet.is_keyframe:
                keyframes.append(packet.pts)
    except av.error.FFmpegError:
        return None
    if len(set(shown)) != len(shown):
        return None
    return sorted(shown), sorted(keyframes)


def iter_frames(path: str | os.PathLike, fmt: str = "rgb24") -> Iterator[np.ndarray]:
    """Decoded frames of a video in order, as (H, W, 3) uint8 (or (H, W) for fmt='gray')."""
    for frame in decode(path):
        yield frame.to_ndarray(format=fmt)


def read_frames(path: str | os.PathLike, fmt: str = "rgb24") -> np.ndarray:
    """All decoded frames of a video as one (N, H, W, 3) uint8 array."""
    frames = list(iter_frames(path, fmt))
    if not frames:
        raise PoseauError(f"{path}: the video has no decodable frames")
    return np.stack(frames)


@contextmanager
def video_stream(path: str | os.PathLike) -> Iterator[tuple[av.container.InputContainer, av.video.VideoStream]]:
    """The opened container and its first video stream, or one error naming the file."""
    with open_video(path) as container:
        yield container, container.streams.video[0]


def count_frames(path: str | os.PathLike) -> int:
    """Frames in a video without decoding it: the container's count, else a count of the demuxed packets."""
    with video_stream(path) as (container, stream):
        if stream.frames > 0:
            return int(stream.frames)
        return sum(1 for packet in container.demux(stream) if packet.size > 0)


def frame_rate(path: str | os.PathLike) -> float:
    """The video stream's average frame rate (30 when the container does not say)."""
    with video_stream(path) as (_, stream):
        rate = stream.average_rate or stream.guessed_rate
    return float(rate) if rate else 30.0
