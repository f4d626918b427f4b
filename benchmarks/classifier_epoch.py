"""Time one classifier epoch (regular, PGD-robust, the judge) and one PGD step, by hand (not a test).

    .venv/bin/python benchmarks/classifier_epoch.py [--profile cpu] [--device cpu] [--out FILE]

Prints one JSON line per measurement, stamped with the date, machine and command; ``--out``
appends them to a file (``benchmarks/measured/*.jsonl`` for the Results page).
"""
from __future__ import annotations

import argparse
import dataclasses
import time

import probelib as pl
from probelib import core, data
from probelib.book import profiles


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
    parser.add_argument("--out")
    args = parser.parse_args()
    device = core.pick_device(args.device)
    p = profiles.get(args.profile)
    train = data.load("animal-mnist", "train")
    for kind in ("regular", "robust", "eval"):
        cfg = dataclasses.replace(p.classifier_config(kind), epochs=1)
        start = time.perf_counter()
        model, _ = pl.train_classifier(cfg, train, device=device, progress=False)
        core.record({"what": f"one epoch, {kind} ({cfg.arch}, width {cfg.width})", "profile": p.name,
               "adv_steps": cfg.adv_steps if cfg.adv_eps else 0, "train_images": len(train),
               "seconds": time.perf_counter() - start}, args.out)
        if kind == "regular":
            x, y = train.images[:250].to(device), train.labels[:250].to(device)
            step = _time(lambda: pl.train.pgd_l2(model, x, y, p.robust_eps, steps=1))
            core.record({"what": "one PGD-L2 step on 250 images", "profile": p.name, "seconds": step}, args.out)


if __name__ == "__main__":
    main()
