"""Time one classifier epoch (regular and PGD-robust) and one PGD step, by hand (not a test).

    .venv/bin/python benchmarks/classifier_epoch.py [--profile cpu] [--device cpu]

Prints a small table; results go into the README by hand, with the machine they ran on.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import time

import torch

from probelib import data, profiles
from probelib.attacks import pgd_l2
from probelib.classify import pick_device, train_classifier


def _time(fn, repeats: int = 3) -> float:
    fn()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--device", default=None)
    args = parser.parse_args()
    device = pick_device(args.device)
    p = profiles.get(args.profile)
    train = data.load(p.classifier.dataset, "train")
    print(f"device {device}, {os.cpu_count()} cores, torch {torch.__version__}, profile {p.name}, "
          f"{len(train)} training images")
    for kind in ("regular", "robust", "eval"):
        cfg = dataclasses.replace(p.classifier_config(kind), epochs=1)
        start = time.perf_counter()
        model, _ = train_classifier(cfg, train, device=device, progress=False)
        print(f"one epoch, {kind:8s} ({cfg.arch}, width {cfg.width}, adv_steps {cfg.adv_steps if cfg.adv_eps else 0}):"
              f" {time.perf_counter() - start:6.1f} s")
        if kind == "regular":
            x, y = train.images[:250].to(device), train.labels[:250].to(device)
            step = _time(lambda: pgd_l2(model, x, y, p.robust_eps, steps=1))
            print(f"one PGD-L2 step on 250 images: {step * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
