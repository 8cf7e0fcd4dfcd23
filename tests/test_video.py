"""The video writer's timestamps and the frame counter."""

import av
import numpy as np
import pytest

from poseau.data.video import VideoWriter, count_frames, read_frames


def test_long_video_keeps_its_timestamps(tmp_path):
    path = tmp_path / "long.mp4"
    with VideoWriter(path, 32, fps=25) as writer:
        for i in range(300):  # more than 257 frames: once failed on a collapsed time base
            writer.write(np.full((32, 32, 3), i % 250, np.uint8))
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        seconds = [float(f.pts * stream.time_base) for f in container.decode(video=0)]
    np.testing.assert_allclose(seconds, np.arange(300) / 25, atol=1e-6)
    assert count_frames(path) == 300
    assert np.abs(read_frames(path)[:, 16, 16, 0].astype(int) - np.arange(300) % 250).max() <= 2


def write_with_keyframes(path, frames: int, every: int) -> None:
    """An H.264 file with a keyframe every ``every`` frames and B-frames (shown in another order than stored)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width = stream.height = 32
        stream.pix_fmt = "yuv420p"
        stream.options = {"g": str(every), "bf": "2", "keyint_min": str(every), "sc_threshold": "0"}
        rng = np.random.default_rng(0)
        for i in range(frames):
            image = np.clip(rng.normal(128, 40, (32, 32, 3)) + i, 0, 255).astype(np.uint8)
            container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
        container.mux(stream.encode())


def test_a_piece_of_a_video_is_decoded_from_its_keyframe_and_equals_the_whole(tmp_path, monkeypatch):
    from poseau.data import video
    from poseau.infer.sources import video_frames

    path = tmp_path / "gops.mp4"
    write_with_keyframes(path, 120, 25)
    shown, keyframes = video.frame_stamps(path)
    assert len(shown) == 120 and len(keyframes) == 5
    whole = list(video_frames(path))
    from_first = []
    real = video.decode
    monkeypatch.setattr(video, "decode", lambda p: from_first.append(p) or real(p))
    for start, stop in [(1, 10), (24, 26), (25, 60), (61, 120), (100, 120), (119, 120)]:
        piece = list(video_frames(path, start, stop))
        assert [f.number for f in piece] == list(range(start + 1, stop + 1))
        for a, b in zip(piece, whole[start:stop], strict=True):
            assert a.timestamp == b.timestamp and np.array_equal(a.image, b.image)
    assert from_first == []  # each piece started at a keyframe, none at the first frame
    first = [i for i, _ in video.decode_from(path, 61)][0]
    assert first == 61


def test_a_piece_falls_back_to_decoding_from_the_first_frame_when_the_packets_cannot_say(tmp_path, monkeypatch):
    from poseau.data import video
    from poseau.infer.sources import video_frames

    path = tmp_path / "gops.mp4"
    write_with_keyframes(path, 60, 20)
    whole = list(video_frames(path))
    monkeypatch.setattr(video, "_packet_stamps", lambda container, stream: None)
    piece = list(video_frames(path, 30, 45))
    assert [f.number for f in piece] == list(range(31, 46))
    assert all(np.array_equal(a.image, b.image) for a, b in zip(piece, whole[30:45], strict=True))


def test_frame_stamps_leave_out_what_an_edit_list_discards_as_decoding_does():
    from conftest import SHARED

    from poseau.data import video

    path = SHARED / "media" / "videos" / "pyfeat__no_face.mp4"  # three frames before its edit list's start
    if not path.is_file():
        pytest.skip("../shared/media is not here")
    with av.open(str(path)) as container:
        shown = [frame.pts for frame in container.decode(video=0)]
    assert video.frame_stamps(path)[0] == shown and len(shown) == 95
