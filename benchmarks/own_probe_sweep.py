"""Chapter 9's probe recipe: which stand-in model and trainer settings let `probelib.probe` draw
the held-out class, and how many steps it needs — judged by a *development* judge only.

    .venv/bin/python benchmarks/own_probe_sweep.py --job N --out FILE [--run-dir runs]
    .venv/bin/python benchmarks/own_probe_sweep.py --list

Reads chapter 9's stand-in folder (``<run-dir>/own-model/images`` and ``test``, written by the
chapter on `cpu`), trains (or loads from the run cache) the job's stand-in torchvision model
exactly as the chapter does, then one probe GAN with the `cpu` probe trainer and the job's
changes, scoring a copy of its EMA generator at each milestone. The development judge is the
book's VGG-style architecture with its own seed (4000), trained on all ten classes of the
folder's *training* images; the report's judge (seed 1000, trained on the seen classes plus the
reference) is never read here. Metrics: the judge's recognition, KID and coverage against the
test folder's target images, and the probe's pixel spread. One JSON line per milestone.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import time
from pathlib import Path

import torch

import probelib as pl
from probelib import core, data, measure
from probelib.book import profiles
from probelib.book.chapters import probe_your_model
from probelib.probing import settings, spread, trainer_config
from probelib.train.classifier import ClassifierConfig, load_or_train_classifier

TARGET = "horse"
MILESTONES = (400, 550, 700)
DEV_JUDGE = ClassifierConfig(arch="evalnet", width=32, epochs=6, batch_size=128, seed=4000)
# (stand-in model changes, trainer changes, seed)
# job "chapter": the chapter's own probes (seeds 0 and 1, 700 steps) read from the run cache
JOBS = [
    ({}, {}, "chapter"),  # the chapter's settings until 2026-12-02 (regular resnet18)
    ({"adv_eps": 2.0, "adv_steps": 1}, {}, 0),  # a robust stand-in (fast adversarial training)
    ({"adv_eps": 2.0, "adv_steps": 1}, {}, 1),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--job", type=int)
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--out", default="own_probe_sweep.jsonl")
    parser.add_argument("--run-dir", default="runs")
    parser.add_argument("--milestones", default=",".join(map(str, MILESTONES)))
    args = parser.parse_args()
    if args.list:
        for i, job in enumerate(JOBS):
            print(i, job)
        return
    torch.set_num_threads(1)
    model_changes, changes, seed = JOBS[args.job]
    milestones = [int(m) for m in args.milestones.split(",")]
    O = dataclasses.replace(profiles.get("cpu").own_model, **model_changes)
    home = Path(args.run_dir) / "own-model"
    folder = data.read_folder(data.scan_folder(home / "images"), O.size)
    test = data.read_folder(data.scan_folder(home / "test"), O.size)
    start = time.perf_counter()
    model, record = probe_your_model.train_torchvision(O.arch, folder, args.run_dir, epochs=O.epochs, seed=0,
                                                adv_eps=O.adv_eps, adv_steps=O.adv_steps, progress=False)
    model_seconds = record["seconds"]
    acc = pl.models.accuracy(model, test.images, test.labels)
    judge = load_or_train_classifier(DEV_JUDGE, folder, None, args.run_dir, "cpu", False, name="dev judge").model
    t = folder.classes.index(TARGET)
    gan_data = folder.subset(folder.labels != t)
    real = test.images[test.labels == t]
    adapter = pl.ClassifierAdapter(model, size=O.size).eval()
    for p in adapter.parameters():
        p.requires_grad_(False)
    s = settings("cpu")

    def score(fake, step, seed_, seconds_per_step):
        dev = measure.judge_metrics(judge, fake, real, t)
        own = float((pl.models.predict(adapter, fake).argmax(1) == t).float().mean())
        core.record({"job": args.job, "model changes": model_changes, "changes": changes, "seed": seed_, "step": step,
                     "model test accuracy (%)": round(100 * acc, 1), "model seconds": round(model_seconds, 1),
                     "s_per_step": seconds_per_step, "own top-1 (%)": 100 * own,
                     "spread": spread(fake, gan_data), "dev judge": DEV_JUDGE.seed,
                     **{k: dev[k] for k in ("recognition (%)", "KID", "coverage", "precision", "recall")},
                     "elapsed s": round(time.perf_counter() - start, 1)}, args.out)

    if seed == "chapter":  # exactly the chapter's call, so the cached GANs are found
        report = pl.probe(adapter, home / "images", TARGET, resolution=O.size, profile="cpu", run_dir=args.run_dir,
                          seeds=(0, 1), progress=False)
        for seed_, fake, sps in zip(report.seeds, report.fakes, report.seconds_per_step):
            score(fake, report.steps, seed_, sps)
        return
    cfg = dataclasses.replace(trainer_config(s, O.size, 3, max(milestones), seed), **changes)
    trainer = pl.train.ProbeGANTrainer(cfg, gan_data, adapter, t, device="cpu")
    for m in milestones:
        trainer.run(until=m, progress=False)
        G = copy.deepcopy(trainer.G_ema)
        pl.train.standing_stats(G, trainer.training_labels, batch_size=cfg.batch_size, seed=seed)
        score(pl.train.sample(G, t, s.n_samples, seed=seed), m, seed, trainer.seconds / trainer.step)


if __name__ == "__main__":
    main()
