"""Killing a command mid-run, for the tests that resume after a real SIGKILL."""

import os
import signal
import subprocess
import time


def kill_when(args: list[str], ready, timeout: float = 300, **popen) -> None:
    """Start ``args`` in its own session, SIGKILL it (and its children) once ``ready()`` is true."""
    proc = subprocess.Popen(args, start_new_session=True, **popen)
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None and not ready():
        time.sleep(0.01)
    assert proc.poll() is None, f"{' '.join(args[:4])} finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
