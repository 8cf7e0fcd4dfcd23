"""`poseau predict` on many inputs: outputs mirroring the tree, a run killed with SIGKILL and run again ending
with exactly the outputs of an uninterrupted run, a corrupt video among good ones, a worker killed mid-run,
shards that together are the whole, a long video cut into pieces equal to one process, one network fed by
the workers (the GPU's arrangement) equal to a network in each, and Ray."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import SHARED
from nets import random_model

from poseau.infer import batch, workers
from poseau.infer.batch import Work, predict_batch
from poseau.infer.inputs import gather_inputs
from poseau.models.checkpoint import model_record, save_atomic
from poseau.options import PredictOptions

VIDEOS = SHARED / "media" / "videos"
pytestmark = pytest.mark.skipif(not VIDEOS.is_dir(), reason="../shared/media is not here")


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """Nested real videos (links), two of the same name, and a corrupt one."""
    root = tmp_path_factory.mktemp("tree") / "corpus"
    links = {"a/clip.mp4": "pyfeat__single_face.mp4", "b/clip.mp4": "liveportrait__d12.mp4",
             "b/deep/talk.mp4": "pyfeat__single_face.mp4"}
    for name, source in links.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(VIDEOS / source)
    (root / "b" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    return root


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "model.pt"
    save_atomic(model_record(random_model("pose-invariant", ("AU06", "AU12"), 0, 32)), path)
    return path


def work(model_file, **options):
    return Work(str(model_file), PredictOptions(**options), plot=False)


def tables(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): p.read_text() for p in sorted(out.rglob("*.csv")) if p.name[:5] != "index"}


@pytest.fixture(scope="module")
def reference(tree, model_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    summary = predict_batch(gather_inputs([tree], recursive=True), out, work(model_file), jobs=1, progress=False)
    return out, summary


def test_outputs_mirror_the_tree_and_a_corrupt_video_fails_alone(reference):
    out, summary = reference
    assert sorted(tables(out)) == ["a/clip.csv", "b/clip.csv", "b/deep/talk.csv"]
    status = {o.key: o.status for o in summary.outcomes}
    assert status == {"a/clip.mp4": "done", "b/clip.mp4": "done", "b/deep/talk.mp4": "done", "b/broken.mp4": "failed"}
    index = pd.read_csv(out / "index.csv")
    assert list(index.columns) == list(workers.INDEX_COLUMNS) and len(index) == 4
    broken = index[index["status"] == "failed"].iloc[0]
    assert "broken.mp4" in broken["error"] and pd.isna(broken["output"])
    assert index.loc[index["status"] == "done", "frames"].tolist() == [72, 183, 72]
    assert (index.loc[index["status"] == "done", "faces"] > 60).all()


def test_a_killed_run_run_again_ends_with_the_uninterrupted_outputs(tree, model_file, reference, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "poseau", "-q", "predict", str(tree), "--recursive", "--out", str(out),
               "--model", str(model_file), "--jobs", "2", "--no-plot"]
    run = subprocess.Popen(command, start_new_session=True)
    deadline = time.time() + 120
    while not list(out.rglob("*.json")) and time.time() < deadline:  # killed once the first input is done
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    finished = tables(out)
    assert len(finished) < 3
    assert all(text == tables(reference[0])[name] for name, text in finished.items())  # nothing partial
    assert subprocess.run(command).returncode == 2  # the corrupt video fails again
    assert tables(out) == tables(reference[0])
    index = pd.read_csv(out / "index.csv")
    good = index.loc[index["status"] != "failed", "status"]
    assert sorted(good) == sorted(["skipped"] * len(finished) + ["done"] * (3 - len(finished)))
    again = predict_batch(gather_inputs([tree], recursive=True), out, work(model_file), jobs=1, progress=False)
    assert {o.status for o in again.outcomes} == {"skipped", "failed"}  # nothing done twice
    other = predict_batch(gather_inputs([tree], recursive=True), out, work(model_file, median=3), jobs=1,
                          progress=False)
    assert other.count("done") == 3  # other options: done again


def test_a_worker_killed_mid_run_has_its_input_retried(tree, model_file, reference, tmp_path):
    import multiprocessing

    killed = []

    def kill_one_worker():
        deadline = time.time() + 60
        while time.time() < deadline and not killed:
            children = multiprocessing.active_children()
            if children and time.time() - start > 0.5:  # the worker, while the run goes on (it started it)
                os.kill(children[0].pid, signal.SIGKILL)
                killed.append(children[0].pid)
            time.sleep(0.05)

    start = time.time()
    thread = threading.Thread(target=kill_one_worker, daemon=True)
    thread.start()
    summary = predict_batch(gather_inputs([tree], recursive=True), tmp_path / "out", work(model_file), jobs=2,
                            progress=False)
    thread.join()
    assert killed
    assert tables(tmp_path / "out") == tables(reference[0])
    assert summary.count("done") == 3 and summary.count("failed") == 1


def test_an_input_whose_worker_dies_twice_is_reported_and_the_rest_are_done(tree, model_file, tmp_path):
    import concurrent.futures as cf

    class Deadly:
        """Runs the work here, but a worker dies whenever it is given b/clip.mp4."""

        def __init__(self):
            self.inner, self.restarts = workers.InProcess(work(model_file)), 0

        def submit(self, fn, *args):
            if args and getattr(args[0], "key", "") == "b/clip.mp4":
                future = cf.Future()
                future.set_exception(workers.BrokenProcessPool("killed"))
                return future
            return self.inner.submit(fn, *args)

        def restart(self):
            self.restarts += 1

        def close(self):
            pass

    engine = Deadly()
    summary = predict_batch(gather_inputs([tree], recursive=True), tmp_path, work(model_file), jobs=2,
                            engine=engine, progress=False)
    status = {o.key: (o.status, o.error) for o in summary.outcomes}
    assert status["b/clip.mp4"][0] == "failed" and "died" in status["b/clip.mp4"][1]
    assert status["a/clip.mp4"][0] == status["b/deep/talk.mp4"][0] == "done"
    assert engine.restarts == batch.TRIES


def test_shards_together_are_the_whole_exactly_once(tree, model_file, reference, tmp_path):
    inputs = gather_inputs([tree], recursive=True)
    seen = []
    for k in range(3):
        summary = predict_batch(inputs, tmp_path, work(model_file), jobs=1, shard=(k, 3), progress=False)
        seen += [o.key for o in summary.outcomes]
        assert (tmp_path / f"index-{k}-of-3.csv").is_file()
    assert sorted(seen) == sorted(i.key for i in inputs)
    assert tables(tmp_path) == tables(reference[0])


def test_a_long_video_alone_is_cut_into_pieces_equal_to_one_process(model_file, tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "MIN_PIECE", 40)  # liveportrait__d12.mp4's 183 frames in two pieces
    inputs = gather_inputs([VIDEOS / "liveportrait__d12.mp4"])
    real, calls = batch.pieces_of, []
    monkeypatch.setattr(batch, "pieces_of", lambda *a: calls.append(a) or real(*a))
    one = predict_batch(inputs, tmp_path / "one", work(model_file, median=3), jobs=1, progress=False)
    import cv2

    threads = os.environ.get("OMP_NUM_THREADS"), cv2.getNumThreads()
    two = predict_batch(inputs, tmp_path / "two", work(model_file, median=3), jobs=2, progress=False)
    assert (os.environ.get("OMP_NUM_THREADS"), cv2.getNumThreads()) == threads  # the lane here limited them
    assert one.count("done") == two.count("done") == 1
    assert tables(tmp_path / "one") == tables(tmp_path / "two")
    assert calls == [(183, 2, 96)] and real(183, 2, 96) == [(0, 96), (96, 183)]  # cut once, at frame 96


def test_one_network_fed_by_cutting_workers_equals_a_network_in_each(tree, model_file, reference, tmp_path,
                                                                     monkeypatch):
    from poseau.infer.central import Central

    scored_here, real = [], Central.scored
    monkeypatch.setattr(Central, "scored", lambda self, cut: scored_here.append(len(cut.rows)) or real(self, cut))
    summary = predict_batch(gather_inputs([tree], recursive=True), tmp_path / "tree", work(model_file), jobs=2,
                            inference="central", progress=False)
    assert summary.count("done") == 3 and summary.count("failed") == 1
    assert tables(tmp_path / "tree") == tables(reference[0])
    assert sorted(scored_here) == [72, 72, 183]  # each good input's faces, cut by a worker, scored here
    monkeypatch.setattr(batch, "MIN_PIECE", 40)  # and a long video alone, in two pieces
    inputs = gather_inputs([VIDEOS / "liveportrait__d12.mp4"])
    one = predict_batch(inputs, tmp_path / "one", work(model_file, median=3), jobs=1, progress=False)
    two = predict_batch(inputs, tmp_path / "two", work(model_file, median=3), jobs=2, inference="central",
                        progress=False)
    assert one.count("done") == two.count("done") == 1
    assert tables(tmp_path / "one") == tables(tmp_path / "two")
    assert sorted(scored_here[3:]) == [87, 96]  # its two pieces


def test_one_network_for_all_workers_is_the_default_on_a_gpu(model_file):
    assert batch._central("auto", work(model_file, device="cuda")) and batch._central("auto", work(model_file,
                                                                                                   device="mps"))
    assert not batch._central("auto", work(model_file)) and batch._central("central", work(model_file))
    assert not batch._central("workers", work(model_file, device="cuda"))


def test_a_ray_run_equals_the_local_one(tree, model_file, reference, tmp_path):
    ray = pytest.importorskip("ray")
    from poseau.infer.ray_engine import RayEngine

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        engine = RayEngine(work(model_file), "auto", jobs=2)
        summary = predict_batch(gather_inputs([tree], recursive=True), tmp_path, work(model_file), jobs=2,
                                engine=engine, progress=False)
    finally:
        ray.shutdown()
    assert summary.count("done") == 3 and summary.count("failed") == 1
    assert tables(tmp_path) == tables(reference[0])
