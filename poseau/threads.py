"""Thread counts that add up: each process of a pool limited to its share of the cores in every native thread
pool, and face detection on one thread beside the network's.

A limit reaches only the libraries loaded when it is set: yuface runs YuNet on a copy of libgomp bundled in its
wheel, loaded when the detector is first made, so a limit set before that left two OpenMP threads per worker
spinning in libgomp's barrier against each other's (face detection 15-25x slower on 2 cores). So the native
libraries are loaded first, then limited, and the environment says the same to any library loaded later.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
BUNDLED_OPENMP = ("yuface",)  # packages that load their own OpenMP runtime


def passive_waiting() -> None:
    """OpenMP threads that sleep at a barrier instead of spinning, unless OMP_WAIT_POLICY says otherwise; read
    when an OpenMP runtime loads, so set before torch and yuface are imported. Two `poseau predict` side by side
    on 2 cores took 5.6-9.2 s with spinning threads and 3.6-4.4 s with sleeping ones (liveportrait__d12.mp4,
    4 runs each), one alone 3.1-3.9 s either way."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def cores() -> int:
    """The cores this process may run on (its CPU affinity, as a scheduler's allocation sets it)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _load_bundled() -> None:
    for name in BUNDLED_OPENMP:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def limit_threads(threads: int) -> None:
    """Limit this process to ``threads`` threads in OpenMP, BLAS, OpenCV and torch (if loaded or loaded later),
    those bundled in wheels included; face detection's own OpenMP runtime to one thread."""
    import cv2
    from threadpoolctl import ThreadpoolController

    os.environ.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
    _load_bundled()
    ThreadpoolController().limit(limits=threads)
    one_detector_thread()
    cv2.setNumThreads(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(threads)


@contextmanager
def thread_limits_kept() -> Iterator[None]:
    """The thread counts (the environment's, every native thread pool's, OpenCV's and torch's) put back as they
    were after the block: a library caller's process is not left limited by work done in it (batch's lane)."""
    import cv2
    from threadpoolctl import ThreadpoolController

    environment = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    pools = {lib.filepath: lib.num_threads for lib in ThreadpoolController().lib_controllers}
    opencv = cv2.getNumThreads()
    torch = sys.modules["torch"].get_num_threads() if "torch" in sys.modules else None
    try:
        yield
    finally:
        for name, value in environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for lib in ThreadpoolController().lib_controllers:
            if lib.filepath in pools:
                lib.set_num_threads(pools[lib.filepath])
        cv2.setNumThreads(opencv)
        if torch is not None:
            sys.modules["torch"].set_num_threads(torch)


def one_detector_thread() -> None:
    """Face detection's bundled OpenMP runtime on one thread: its threads otherwise spin beside the network's
    (one predict of a 1008-frame video used 15% less CPU time for the same wall time)."""
    from threadpoolctl import ThreadpoolController

    _load_bundled()
    for lib in ThreadpoolController().lib_controllers:
        if any(f"{name}.libs" in lib.filepath for name in BUNDLED_OPENMP):
            lib.set_num_threads(1)


def single_threaded() -> None:
    """One thread per process in every native thread pool (prepare's workers)."""
    limit_threads(1)
