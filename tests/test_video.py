"""The video writer's timestamps and the frame counter."""

import av
import numpy as np

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
