"""Training images per second for each backbone at 112 and 224 pixels, from memory and from the store.

Renders a small synthetic dataset and prepares it at each size (not timed). Then, per backbone and size,
in one process, it times the training loop's `train_one_epoch` (pose-invariant model, one AU, SGD):
  in memory   batches of tensors already in memory: the baseline (ratio 1.00)
  store       the same batches read from the frame store through FrameDataset and a DataLoader
The ratio store / in memory says what reading the store costs. One warm-up step is not timed.
Usage: python benchmarks/train_speed.py [--face-model NPZ] [--steps 4] [--batch 16] [--workers 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, default_collate

from poseau.config import ModelConfig, PrepareConfig, SynthConfig, TrainConfig
from poseau.constants import AUS
from poseau.data.dataset import FrameDataset
from poseau.data.store import prepare
from poseau.models.model import AUModel
from poseau.synth.generate import synthesize
from poseau.train.distributed import World
from poseau.train.loop import train_one_epoch
from poseau.train.optim import make_optimizer


def images_per_second(model: AUModel, batches, images: int) -> float:
    """Time `train_one_epoch` over ``batches`` (a list of batches, or a DataLoader)."""
    optimizer = make_optimizer(model, TrainConfig())
    start = time.perf_counter()
    train_one_epoch(model, model, batches, optimizer, "regress", 0.05, [AUS.index("AU12")], torch.device("cpu"),
                    World())
    return images / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--face-model")
    parser.add_argument("--steps", type=int, default=4, help="timed training steps per measurement")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers for the store")
    parser.add_argument("--sizes", default="112,224")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    n = (args.steps + 1) * args.batch

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = synthesize(SynthConfig(train_subjects=1, valid_subjects=0, frames=max(4, n // 9 + 1)), tmp / "data",
                          face_model=args.face_model, workers=2, contact_sheet=False, progress=False)
        print(f"threads {torch.get_num_threads()}, batch {args.batch}, {args.steps} timed steps, "
              f"{args.workers} loader workers")
        print(f"{'backbone':20s} {'size':>4s} {'in memory':>10s} {'store':>10s} {'ratio':>6s}")
        for size in sizes:
            store = prepare(PrepareConfig(root=str(data), size=size), tmp / f"s{size}", workers=2, progress=False)
            dataset = FrameDataset(store, list(range(n)))
            batches = [list(range(i, i + args.batch)) for i in range(args.batch, n, args.batch)]
            in_memory = [default_collate([dataset[i] for i in b]) for b in batches]
            warm_up = [default_collate([dataset[i] for i in range(args.batch)])]
            timed = args.steps * args.batch
            for backbone in ("efficientnet_lite0", "vgg16"):
                torch.manual_seed(0)
                model = AUModel(ModelConfig(backbone=backbone, size=size), weights=None)
                images_per_second(model, warm_up, args.batch)
                memory = images_per_second(model, in_memory, timed)
                loader = DataLoader(dataset, batch_sampler=batches, num_workers=args.workers)
                from_store = images_per_second(model, loader, timed)
                print(f"{backbone:20s} {size:4d} {memory:10.1f} {from_store:10.1f} {from_store / memory:6.2f}",
                      flush=True)


if __name__ == "__main__":
    main()
