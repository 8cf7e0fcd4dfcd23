"""A process that spreads work over processes limits each to one thread in every native pool, the OpenMP
runtime that yuface bundles included (loaded first, so that the limit reaches it)."""

import json
import os
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


def test_predict_asks_for_sleeping_openmp_threads_before_openmp_loads_unless_told_otherwise(tmp_path):
    """Checked in a fresh process: the policy is read once, when an OpenMP runtime loads (predict's is yuface's
    bundled libgomp: it no longer imports torch)."""
    code = ("import os, sys\n"
            "seen = []\n"
            "class Watch:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'yuface' and not seen:\n"
            "            seen.append(os.environ.get('OMP_WAIT_POLICY'))\n"
            "sys.meta_path.insert(0, Watch())\n"
            "from poseau.cli import main\n"
            "main(['-q', 'predict', 'missing.mp4', '--out', sys.argv[1]])\n"
            "print(seen)\n")
    for given, expected in ((None, "PASSIVE"), ("ACTIVE", "ACTIVE")):
        env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | (
            {"OMP_WAIT_POLICY": given} if given else {})
        out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "out")], capture_output=True, text=True,
                             env=env, cwd=tmp_path).stdout.strip()
        assert out == repr([expected])  # the policy in place when yuface was first imported


def test_thread_limits_are_put_back_after_work_done_in_this_process():
    pytest.importorskip("yuface")
    code = ("import json, os; import cv2; from threadpoolctl import threadpool_info\n"
            "from poseau.threads import limit_threads, thread_limits_kept, _load_bundled\n"
            "_load_bundled()\n"
            "def now(): return [sorted((i['filepath'], i['num_threads']) for i in threadpool_info()), "
            "cv2.getNumThreads(), os.environ.get('OMP_NUM_THREADS'), os.environ.get('MKL_NUM_THREADS')]\n"
            "before = now()\n"
            "with thread_limits_kept():\n"
            "    limit_threads(1)\n"
            "    inside = now()\n"
            "print(json.dumps([before, inside, now()]))")
    before, inside, after = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                      check=True, env={"PATH": "", "OMP_NUM_THREADS": "2"}).stdout)
    assert inside != before and inside[2:] == ["1", "1"]  # limited inside the block
    assert after == before and before[3] is None  # then as before, the unset variable unset again
