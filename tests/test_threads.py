"""A process that spreads work over processes limits each to one thread in every native pool, the OpenMP
runtime that yuface bundles included (loaded first, so that the limit reaches it)."""

import json
import subprocess
import sys

import pytest


def test_single_threaded_reaches_every_thread_pool_loaded_or_bundled():
    pytest.importorskip("yuface")
    code = ("import json; from threadpoolctl import threadpool_info; from poseau.threads import single_threaded; "
            "single_threaded(); import cv2; "
            "print(json.dumps([[i['filepath'], i['num_threads']] for i in threadpool_info()] + [cv2.getNumThreads()]))")
    out = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                    env={"PATH": "", "OMP_NUM_THREADS": "2"}).stdout)
    pools, opencv = out[:-1], out[-1]
    assert any("yuface" in path for path, _ in pools)  # the bundled libgomp was loaded, then limited
    assert all(n == 1 for _, n in pools) and opencv == 1
