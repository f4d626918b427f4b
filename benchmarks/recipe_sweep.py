"""How do ProbeGAN and NAIVE compare as training gets longer? A sweep of the trainer recipe, at the
`cpu` profile's model scale, meant for a GPU (runs on the CPU too, slowly).

    .venv/bin/python benchmarks/recipe_sweep.py --job 0 --out sweep.jsonl [--budget 420]
    .venv/bin/python benchmarks/recipe_sweep.py --list

Each job trains one GAN (method, probed classifier, seed, trainer changes) on Animal-MNIST
with horse absent and scores a copy of its EMA generator at each milestone (700, 1500, 3000,
6000, 10000 steps) with the book's judge: recognition, intra-FID (judge features) and
diversity on 500 samples, exactly as chapter 3 does. The trainer has no step-dependent
schedule, so the score at a milestone is the score of a run that stopped there. A wall-clock
budget stops a job early; the milestones reached are written as JSON lines.
The classifiers come from the run cache (``runs/cache``), trained by chapter 1 on `cpu`.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import time

import torch

import probelib as pl
from probelib import core, data, measure
from probelib.book import profiles

MILESTONES = (700, 1500, 3000, 6000, 10000)
# (method, probed classifier, seed, trainer changes)
JOBS = [
    ("probegan", "robust", 0, {}),
    ("probegan", "robust", 1, {}),
    ("probegan", "robust", 2, {}),
    ("naive", "robust", 0, {}),
    ("naive", "robust", 1, {}),
    ("naive", "robust", 2, {}),
    ("probegan", "regular", 0, {}),
    ("naive", "regular", 0, {}),
    ("probegan", "robust", 0, {"lambda_cls": 1.0}),
    ("probegan", "robust", 0, {"batch_size": 64}),
    ("probegan", "robust", 0, {"d_steps": 2}),
    ("biggan-all", None, 0, {}),
    ("probegan", "robust", 0, {"lr_g": 6e-4, "lr_d": 6e-4}),
    ("naive", "robust", 0, {"lr_g": 6e-4, "lr_d": 6e-4}),
    ("probegan", "robust", 1, {"lr_g": 6e-4, "lr_d": 6e-4}),
    ("naive", "robust", 1, {"lr_g": 6e-4, "lr_d": 6e-4}),
    ("probegan", "robust", 2, {"lr_g": 6e-4, "lr_d": 6e-4}),
    ("naive", "robust", 2, {"lr_g": 6e-4, "lr_d": 6e-4}),
]
# jobs 0-11 were stored (recipe_sweep_h200.jsonl) when the cpu profile's learning rate was 2e-4, so
# their empty `changes` meant lr 2e-4; every row now records the learning rate it trained with


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--job", type=int)
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--out", default="sweep.jsonl")
    parser.add_argument("--budget", type=float, default=420.0, help="wall seconds for this job")
    parser.add_argument("--device", default=None)
    parser.add_argument("--run-dir", default="runs")
    parser.add_argument("--milestones", default=",".join(map(str, MILESTONES)), help="comma-separated steps")
    args = parser.parse_args()
    if args.list:
        for i, job in enumerate(JOBS):
            print(i, job)
        return
    start = time.perf_counter()
    milestones = [int(m) for m in args.milestones.split(",")]
    torch.set_num_threads(1)
    method, kind, seed, changes = JOBS[args.job]
    P = profiles.get("cpu")
    device = core.pick_device(args.device)
    train = data.load("animal-mnist", "train")
    nets = {k: pl.load_or_train_classifier(P.classifier_config(k, 0), train, None, args.run_dir, "cpu", False)
            for k in ("regular", "robust", "eval")}
    judge = nets["eval"].model.eval()  # the development judge: the only one a sweep may look at
    full = data.load("animal-mnist", "all")
    target = train.classes.index("horse")
    real = data.only_class(full, target).images
    cfg = pl.train.method_config(method, dataclasses.replace(P.probegan, seed=seed, steps=max(milestones)), **changes)
    clf = nets[kind].model if (kind and cfg.lambda_cls > 0) else None
    trainer = pl.train.ProbeGANTrainer(cfg, train, clf, target, device=device)
    for m in milestones:
        trainer.run(until=m, progress=False)
        G = copy.deepcopy(trainer.G_ema)
        pl.train.standing_stats(G, trainer.training_labels, batch_size=cfg.batch_size, seed=seed)
        fake = pl.train.sample(G, target, P.n_samples, seed=seed)
        core.record({"job": args.job, "method": method, "kind": kind, "seed": seed, "changes": changes,
                     "lr": cfg.lr_g, "trainer version": pl.train.PROBEGAN_VERSION, "step": m,
                     "s_per_step": trainer.seconds / trainer.step, "device": str(device),
                     **measure.judge_metrics(judge, fake, real, target)}, args.out)
        elapsed = time.perf_counter() - start
        nxt = next((n for n in milestones if n > m), None)
        if nxt is not None and elapsed + (nxt - m) * trainer.seconds / trainer.step * 1.1 > args.budget:
            print(f"job {args.job}: stopping at step {m}, step {nxt} would not fit into {args.budget:.0f} s", flush=True)
            break

if __name__ == "__main__":
    main()
