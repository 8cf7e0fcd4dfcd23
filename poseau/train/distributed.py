"""Data parallel training over processes started by `torchrun` (torch.distributed).

`torchrun --nproc_per_node N -m poseau train ...` sets RANK, LOCAL_RANK and WORLD_SIZE; each process
then holds a replica wrapped in DistributedDataParallel and reads 1/N of every batch. Each global batch
is cut into N equal slices, so that with the losses divided by the batch size the averaged gradient
equals the one-process gradient of the whole batch. Rank 0 alone writes files. Backend: NCCL on CUDA,
gloo on CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from poseau.models.devices import torch_device


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup(device: str) -> tuple[World, torch.device]:
    """Join the process group when started by torchrun; the device this process trains on."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size == 1:
        return World(), torch_device(device)
    world = World(int(os.environ["RANK"]), size, int(os.environ.get("LOCAL_RANK", "0")))
    dev = torch_device(device)
    if dev.type == "cuda":
        dev = torch.device("cuda", world.local_rank)
        torch.cuda.set_device(dev)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if dev.type == "cuda" else "gloo")
    return world, dev


def teardown(world: World) -> None:
    if world.size > 1 and dist.is_initialized():
        dist.destroy_process_group()


def barrier(world: World) -> None:
    if world.size > 1:
        dist.barrier()


def shard(items: list, world: World) -> list:
    """This process's contiguous share of ``items`` (a batch's indices, or the validation frames)."""
    per, extra = divmod(len(items), world.size)
    start = world.rank * per + min(world.rank, extra)
    return items[start:start + per + (world.rank < extra)]


def gather(obj, world: World) -> list:
    """Every process's ``obj``, in rank order."""
    if world.size == 1:
        return [obj]
    out = [None] * world.size
    dist.all_gather_object(out, obj)
    return out


def wrap(model: torch.nn.Module, world: World, device: torch.device) -> torch.nn.Module:
    """The model DDP-wrapped (only the parameters that require gradients are synchronised)."""
    if world.size == 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)
