"""Seconds per ProbeGAN training step (D steps + G step, classifier in the loop), by hand.

    .venv/bin/python benchmarks/probegan_step.py [--device cpu|cuda] [--steps 3] [--out FILE]

Two settings: the paper's scale (ch = 64, 32×32×3, batch 64, 4 D steps per G step, a
ResNet classifier of width 64) and the `cpu` profile's trainer on Animal-MNIST-sized input.
One JSON line per setting, stamped with the date, machine and command (``--out`` appends them).
"""
from __future__ import annotations

import argparse
import dataclasses

import torch
import timing  # benchmarks/timing.py, beside this script

import probelib as pl
from probelib import core, data, models
from probelib.book import profiles


def seconds_per_step(cfg: pl.ProbeGANConfig, channels: int, clf_width: int, device, steps: int) -> float:
    g = torch.Generator().manual_seed(0)
    images = data.ImageSet(torch.rand(640, channels, 32, 32, generator=g) * 2 - 1, torch.arange(10).repeat(64),
                      tuple("abcdefghij"), "random", "train")
    clf = models.build_classifier("resnet", channels, 10, clf_width)
    trainer = pl.train.ProbeGANTrainer(cfg, images, clf, 7, device=device)
    return timing.seconds_per_step(trainer, steps, device)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default=None)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--out")
    args = parser.parse_args()
    device = core.pick_device(args.device)
    paper = pl.ProbeGANConfig(gan=pl.GANConfig(ch=64, channels=3), d_steps=4, batch_size=64)
    cpu = profiles.get("cpu").probegan
    for name, cfg, channels, width in (("paper scale: ch=64, 32x32x3, batch 64, 4 D steps", paper, 3, 64),
                                       ("cpu profile trainer, 32x32x1", dataclasses.replace(cpu), 1, 16)):
        core.record({"what": name, "steps": args.steps,
                     "seconds per step": seconds_per_step(cfg, channels, width, device, args.steps)}, args.out)


if __name__ == "__main__":
    main()
