"""`poseau predict --ray`: the same work as on one machine's worker processes (poseau.infer.batch), as tasks of
Ray actors on a Ray cluster, each actor a worker that loads the model once.

Every node must see the inputs and the output folder at the same paths (a shared file system), as a
scheduler's nodes do; the outputs, records and run table are the local run's. An actor that dies is restarted
by Ray and its task retried once, as a dead local worker's inputs are.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import time

from poseau.errors import PoseauError
from poseau.infer import workers


class _Actor:
    def __init__(self, work: workers.Work, threads: int):
        workers.start_worker(work, threads)

    def run(self, fn, *args):
        return fn(*args)


class RayEngine:
    """``jobs`` actors (default: the cluster's CPUs) of ``cpus`` CPUs each, on the cluster at ``address``
    ("auto": the one this machine belongs to; "local": a new one on this machine alone), or on the Ray instance
    this process already started."""

    def __init__(self, work: workers.Work, address: str = "auto", jobs: int | None = None, cpus: int = 1):
        try:
            import ray
        except ImportError:
            raise PoseauError("--ray needs Ray: pip install 'poseau[ray]'") from None
        if not ray.is_initialized():
            try:
                ray.init(address=None if address == "local" else address, log_to_driver=False,
                         include_dashboard=False)
            except ConnectionError as exc:
                raise PoseauError(f"--ray {address}: no Ray cluster there ({exc}); --ray local starts one "
                                  "on this machine") from None
        self.ray = ray
        jobs = jobs or max(1, int(ray.cluster_resources().get("CPU", 1)) // cpus)
        actor = ray.remote(num_cpus=cpus, max_restarts=1, max_task_retries=1)(_Actor)
        self.actors = [actor.remote(work, cpus) for _ in range(jobs)]
        self.idle = collections.deque(self.actors)

    def submit(self, fn, *args) -> cf.Future:
        """The task on an idle actor (one frees as its last task's future is done)."""
        while not self.idle:
            time.sleep(0.01)
        actor = self.idle.popleft()
        future = actor.run.remote(fn, *args).future()
        future.add_done_callback(lambda _: self.idle.append(actor))
        return future

    def restart(self) -> None:
        pass  # Ray restarts a dead actor itself

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
