"""One thread per process in every native thread pool, for work spread over processes (prepare's workers).

A limit reaches only the libraries loaded when it is set: yuface runs YuNet on a copy of libgomp bundled in its
wheel, loaded when the detector is first made, so a limit set before that left two OpenMP threads per worker
spinning in libgomp's barrier against each other's (face detection 15-25x slower on 2 cores). So the native
libraries are loaded first, then limited, and the environment says the same to any library loaded later.
"""

from __future__ import annotations

import importlib
import os

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
BUNDLED_OPENMP = ("yuface",)  # packages that load their own OpenMP runtime


def single_threaded() -> None:
    """Limit this process to one thread in OpenMP, BLAS and OpenCV, those bundled in wheels included."""
    import cv2
    from threadpoolctl import threadpool_limits

    os.environ.update(dict.fromkeys(THREAD_VARIABLES, "1"))
    for name in BUNDLED_OPENMP:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    threadpool_limits(1)
    cv2.setNumThreads(1)
