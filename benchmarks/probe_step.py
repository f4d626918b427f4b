"""Seconds per ProbeGAN training step of `probelib.probe` at 32, 64 and 128 pixels, by hand.

    .venv/bin/python benchmarks/probe_step.py [--profile cpu] [--device cpu|cuda] [--steps 3] [--out FILE]

The probe's trainer for each resolution (BigGAN's architecture; narrowed on the `cpu` profile)
on random colour images of 10 classes, a ResNet classifier of width 16 in the loop, one torch
thread per GAN as the probe trains them. One JSON line per resolution, stamped with the date,
machine and command (``--out`` appends them; the Results page shows the stored ones).
"""
from __future__ import annotations

import argparse
import contextlib

import torch
import timing  # benchmarks/timing.py, beside this script

from probelib import core, data, models
from probelib.probing import settings, trainer_config
from probelib.train.jobs import one_thread
from probelib.train.probegan import ProbeGANTrainer


def seconds_per_step(res: int, profile: str, device, steps: int) -> tuple[float, int, int]:
    g = torch.Generator().manual_seed(0)
    images = data.ImageSet(torch.rand(320, 3, res, res, generator=g) * 2 - 1, torch.arange(10).repeat(32),
                           tuple("abcdefghij"), "random", "train")
    cfg = trainer_config(settings(profile), res, 3)
    clf = models.build_classifier("resnet", 3, 10, 16)
    trainer = ProbeGANTrainer(cfg, images, clf, 7, device=device)
    sps = timing.seconds_per_step(trainer, steps, device)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    return sps, count(trainer.G), count(trainer.D)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--device", default=None)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--out")
    args = parser.parse_args()
    device = core.pick_device(args.device)
    for res in (32, 64, 128):
        with one_thread() if device.type == "cpu" else contextlib.nullcontext():
            sps, g, d = seconds_per_step(res, args.profile, device, args.steps)
        core.record({"what": f"probe trainer, {res}×{res}×3, {args.profile} profile", "resolution": res,
                          "G parameters": g, "D parameters": d, "steps": args.steps, "seconds per step": sps,
                     "torch threads": 1 if device.type == "cpu" else None}, args.out)


if __name__ == "__main__":
    main()
