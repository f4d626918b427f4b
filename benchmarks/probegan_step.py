"""Seconds per ProbeGAN training step (D steps + G step, classifier in the loop), by hand.

    .venv/bin/python benchmarks/probegan_step.py [--device cpu|cuda] [--steps 3]

Two settings: the paper's scale (ch = 64, 32×32×3, batch 64, 4 D steps per G step, a
ResNet classifier of width 64) and the `cpu` profile's trainer on Animal-MNIST-sized input.
Results go into the README by hand, with the machine they ran on.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import time

import torch

from probelib import profiles
from probelib.classify import pick_device
from probelib.data import ImageSet
from probelib.models import build_classifier
from probelib.models.gan import GANConfig
from probelib.probegan import ProbeGANConfig, ProbeGANTrainer


def seconds_per_step(cfg: ProbeGANConfig, channels: int, clf_width: int, device, steps: int) -> float:
    g = torch.Generator().manual_seed(0)
    images = ImageSet(torch.rand(640, channels, 32, 32, generator=g) * 2 - 1, torch.arange(10).repeat(64),
                      tuple("abcdefghij"), "random", "train")
    clf = build_classifier("resnet", channels, 10, clf_width)
    trainer = ProbeGANTrainer(cfg, images, clf, 7, device=device)
    trainer.run(until=1, progress=False)  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    trainer.run(until=1 + steps, progress=False)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default=None)
    parser.add_argument("--steps", type=int, default=3)
    args = parser.parse_args()
    device = pick_device(args.device)
    print(f"device {device} ({torch.cuda.get_device_name(0) if device.type == 'cuda' else f'{os.cpu_count()} cores'}),"
          f" torch {torch.__version__}")
    paper = ProbeGANConfig(gan=GANConfig(ch=64, channels=3), d_steps=4, batch_size=64)
    cpu = profiles.get("cpu").probegan
    for name, cfg, channels, width in (("paper scale: ch=64, 32x32x3, batch 64, 4 D steps", paper, 3, 64),
                                       ("cpu profile trainer, 32x32x1", dataclasses.replace(cpu), 1, 16)):
        print(f"{name}: {seconds_per_step(cfg, channels, width, device, args.steps):.3f} s per step")


if __name__ == "__main__":
    main()
