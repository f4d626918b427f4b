"""Which settings give the reporting panel's judges (issue 32, item 4) at least 95 % top-1 on
real held-out Animal-MNIST, within the book's budget?

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/panel_judges.py {vit,hog} [--round 2] \
        --out benchmarks/measured/panel_judges_cpu.jsonl

Evidence: real images only. The training split is cut once into a fixed, class-stratified
validation part (10 % of each class, permutation seed 0) and the rest (90 %). Every candidate
below is trained on the 90 % with the profile's judge seed (ViT 2000, HOG 3000) and scored on the
validation part; neither the test split nor a generated image is looked at while choosing.

Selection rule (written before the sweep ran), per judge:
    the cheapest candidate whose validation top-1 is >= 96 % (a margin above the 95 % target),
    cost = its training (fitting) seconds on one CPU thread, measured here; a candidate is
    admissible only if that cost scaled to the full training split (x 1/0.9) stays <= 360 s
    (the book trains the panel once per chapter seed). If no admissible candidate reaches 96 %,
    the admissible one with the highest validation top-1 is chosen and the target is reported
    missed. Equal cost (within 1 s) -> the smaller model (fewer parameters / features).
Only then is the chosen candidate retrained on the whole training split, as the book trains it,
and its test top-1 (overall and per class) recorded: one row per candidate, then one ``chosen``
row, each stamped with date, machine and command.

The candidates are few on purpose (the machine is shared: seconds are measured under its load):
    vit: the `cpu` profile's ViT before this sweep (4×4 patches, width 48, 3 blocks, 10 epochs);
         the same for 30 epochs with label smoothing 0.1; a convolutional stem (two 3×3 stride-2
         convolutions, Xiao et al. 2021) at width 48, 3 blocks, 20 and 30 epochs; the stem at
         width 64, 4 blocks, 18 epochs. All with the trainer's shifts and flips, lr 2e-3.
    hog: the `cpu` profile's HOG judge before (cells of 8 px, linear, C = 0.2); cells of 4 and 8
         px concatenated; the same fitted on the images and their mirror images; the same through
         2,048 and 4,096 random Fourier features (Gaussian kernel, γ = 1 / descriptor length).

Round 2 (HOG; written after round 1 and before round 2 ran): round 1's best HOG judge reached
93.1 % on validation, short of 96 %, and 2,048 random features did worse than none, which reads
as the kernel model held back by round 1's L2 strength (C = 0.2 was the linear judge's). Round 2
keeps the cells of 4 and 8 px and the mirror images and tries weaker L2 (C = 1, 10), 8,192
features, and two further copies of each training image shifted by up to 2 px (``shifted=2``).
Its rows carry ``"round": 2``; the same rule picks among round 2's candidates and round 1's
choice (already measured: its row is reused, not rerun).

Round 3 (HOG; written after round 2 and before round 3 ran): round 2's best reached 94.0 % on
validation (8,192 features, C = 10) and every round-2 candidate fitted its training images
(99.99-100 %), so weaker L2 and shifted copies were not what was missing: the descriptor is.
Round 3 keeps round 2's choice (cells of 4 and 8 px, mirror images, 8,192 features, C = 10) and
changes only what is described: 18 orientation bins instead of 9; a third, finer HOG scale
(cells of 2 px); the silhouette itself averaged down to 16×16 (256 values) appended to the HOG
descriptor (still hand-made, non-neural features); 18 bins and the 16×16 silhouette together.
Same rule; rows tagged ``"round": 3``; round 2's choice reused.

Round 4 (HOG; written after round 3 and before round 4 ran): no round-3 descriptor beat round 2's
choice (best 92.8 % against 94.0 %), every fit still reached 100 % on its training images, and
the one setting never varied is the Gaussian kernel's width, fixed at γ = 1 / F (F = descriptor
length). Round 4 keeps round 2's choice and tries γ = 0.25, 0.5, 2 and 4 / F. Same rule; rows
tagged ``"round": 4``; round 3's choice (round 2's, reused there) reused.

Round 2 (ViT; written after round 1 and before round 2 ran): round 1's best ViT, the
convolutional stem at width 48 with 3 blocks, reached 95.5 % on validation after 30 epochs
(93.1 % after 20), short of 96 %; width 64 with 4 blocks for 18 epochs did no better than width 48
for 20. Round 2 keeps width 48 and the stem and spends the rest of the budget on epochs: 3 blocks
for 36 and 40 epochs, 2 blocks for 45. Same rule, same tag, round 1's choice reused.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time

import torch

from probelib import core, data
from probelib.train.classifier import ClassifierConfig, train_classifier
from probelib.train.panel import fit_hog_judge

VIT_SEED, HOG_SEED, TARGET, BUDGET_S, VAL_SHARE = 2000, 3000, 96.0, 360.0, 0.1

_VIT = ClassifierConfig(arch="vit", width=48, epochs=10, lr=2e-3, seed=VIT_SEED)
VIT = {
    "before: patch w48 d3 10 ep": _VIT,
    "patch w48 d3 30 ep ls0.1": dataclasses.replace(_VIT, epochs=30, label_smoothing=0.1),
    "conv w48 d3 20 ep ls0.1": dataclasses.replace(_VIT, stem="conv", epochs=20, label_smoothing=0.1),
    "conv w48 d3 30 ep ls0.1": dataclasses.replace(_VIT, stem="conv", epochs=30, label_smoothing=0.1),
    "conv w64 d4 18 ep ls0.1": dataclasses.replace(_VIT, stem="conv", width=64, depth=4, epochs=18,
                                                   label_smoothing=0.1),
}
HOG = {
    "before: cells 8, linear": {"c": 0.2, "cells": (8,), "rff": 0, "flip": False},
    "cells 4+8, linear": {"c": 0.2, "cells": (4, 8), "rff": 0, "flip": False},
    "cells 4+8, flips, linear": {"c": 0.2, "cells": (4, 8), "rff": 0, "flip": True},
    "cells 4+8, flips, rff 2048": {"c": 0.2, "cells": (4, 8), "rff": 2048, "flip": True},
    "cells 4+8, flips, rff 4096": {"c": 0.2, "cells": (4, 8), "rff": 4096, "flip": True},
}
HOG_ROUND2 = {
    "cells 4+8, flips, rff 4096, C 1": {"c": 1.0, "cells": (4, 8), "rff": 4096, "flip": True},
    "cells 4+8, flips, rff 4096, C 10": {"c": 10.0, "cells": (4, 8), "rff": 4096, "flip": True},
    "cells 4+8, flips, rff 8192, C 10": {"c": 10.0, "cells": (4, 8), "rff": 8192, "flip": True},
    "cells 4+8, flips, 2 shifted, rff 4096, C 10": {"c": 10.0, "cells": (4, 8), "rff": 4096, "flip": True,
                                                    "shifted": 2},
    "cells 4+8, flips, 2 shifted, rff 8192, C 10": {"c": 10.0, "cells": (4, 8), "rff": 8192, "flip": True,
                                                    "shifted": 2},
}
_CONV = dataclasses.replace(_VIT, stem="conv", label_smoothing=0.1)
VIT_ROUND2 = {
    "conv w48 d3 36 ep ls0.1": dataclasses.replace(_CONV, epochs=36),
    "conv w48 d3 40 ep ls0.1": dataclasses.replace(_CONV, epochs=40),
    "conv w48 d2 45 ep ls0.1": dataclasses.replace(_CONV, depth=2, epochs=45),
}
ROUND2 = {"hog": HOG_ROUND2, "vit": VIT_ROUND2}
_R3 = {"cells": (4, 8), "rff": 8192, "flip": True, "c": 10.0}
HOG_ROUND3 = {
    "cells 4+8, 18 bins, flips, rff 8192, C 10": {**_R3, "orientations": 18},
    "cells 2+4+8, flips, rff 8192, C 10": {**_R3, "cells": (2, 4, 8)},
    "cells 4+8 + pixels 16, flips, rff 8192, C 10": {**_R3, "pixels": 16},
    "cells 4+8, 18 bins + pixels 16, flips, rff 8192, C 10": {**_R3, "orientations": 18, "pixels": 16},
}
ROUND3 = {"hog": HOG_ROUND3, "vit": {}}
_R4 = {"cells": (4, 8), "rff": 8192, "flip": True, "c": 10.0}
HOG_ROUND4 = {f"cells 4+8, flips, rff 8192, C 10, gamma {g}/F": {**_R4, "gamma": g} for g in (0.25, 0.5, 2.0, 4.0)}
ROUND4 = {"hog": HOG_ROUND4, "vit": {}}


def split(train: data.ImageSet, share: float = VAL_SHARE, seed: int = 0) -> tuple[data.ImageSet, data.ImageSet]:
    """(rest, validation): ``share`` of each class's training images, chosen by a seeded permutation."""
    gen = torch.Generator().manual_seed(seed)
    val = []
    for k in range(train.num_classes):
        idx = torch.nonzero(train.labels == k).flatten()
        val.append(idx[torch.randperm(len(idx), generator=gen)[: round(share * len(idx))]])
    is_val = torch.zeros(len(train), dtype=torch.bool)
    is_val[torch.cat(val)] = True

    def part(mask):
        return dataclasses.replace(train, images=train.images[mask].contiguous(), labels=train.labels[mask],
                                   split=f"{train.split}-{'val' if mask is is_val else 'rest'}")
    return part(~is_val), part(is_val)


def fit(judge: str, cfg, train: data.ImageSet) -> tuple[torch.nn.Module, float, int, float]:
    """The judge trained on ``train``, its training seconds, its size (parameters or features)
    and its training top-1 (%; the ViT's over its last epoch, augmented)."""
    start = time.perf_counter()
    if judge == "vit":
        model, record = train_classifier(cfg, train, device="cpu", progress=False)
        size, train_acc = sum(p.numel() for p in model.parameters()), record["history"][-1]["train_acc"]
    else:
        model, record = fit_hog_judge(train, c=cfg["c"], seed=HOG_SEED, cells=cfg["cells"], rff=cfg["rff"],
                                 flip=cfg["flip"], shifted=cfg.get("shifted", 0),
                                 orientations=cfg.get("orientations", 9), pixels=cfg.get("pixels", 0),
                                 gamma=cfg.get("gamma", 1.0))
        size, train_acc = model.feature_dim, record["train_acc"]
    return model, time.perf_counter() - start, size, 100 * train_acc


def top1(model, images: data.ImageSet) -> tuple[float, dict[str, float]]:
    """Overall and per-class top-1 (%)."""
    with torch.no_grad():
        pred = torch.cat([model(x).argmax(1) for x in images.images.split(500)])
    right = (pred == images.labels).float()
    return 100 * float(right.mean()), {c: 100 * float(right[images.labels == k].mean())
                                       for k, c in enumerate(images.classes)}


def describe(cfg) -> dict:
    return dataclasses.asdict(cfg) if dataclasses.is_dataclass(cfg) else {k: list(v) if isinstance(v, tuple) else v
                                                                          for k, v in cfg.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("judge", choices=("vit", "hog"))
    parser.add_argument("--round", type=int, default=1, choices=(1, 2, 3, 4))
    parser.add_argument("--out")
    args = parser.parse_args()
    torch.set_num_threads(1)
    train, test = data.load("animal-mnist", "train"), data.load("animal-mnist", "test")
    rest, val = split(train)
    rounds = [VIT if args.judge == "vit" else HOG, ROUND2[args.judge], ROUND3[args.judge], ROUND4[args.judge]]
    candidates = {k: v for r in rounds[: args.round] for k, v in r.items()}
    rows = []
    if args.round > 1:  # the previous round's choice, as measured then (the file this script appends to)
        with open(args.out) as f:
            earlier = [json.loads(line) for line in f if line.strip()]
        before = next(r for r in earlier if r["judge"] == args.judge and "chosen" in r
                      and r.get("round", 1) == args.round - 1)
        rows.append(next(r for r in earlier if r["judge"] == args.judge and r.get("candidate") == before["chosen"]))
    tag = {"round": args.round} if args.round > 1 else {}
    for name, cfg in rounds[args.round - 1].items():
        model, seconds, size, train_acc = fit(args.judge, cfg, rest)
        acc, per_class = top1(model, val)
        rows.append(core.record({"judge": args.judge, **tag, "candidate": name, "config": describe(cfg),
                                 "val top-1 (%)": acc, "val per class (%)": per_class, "train s": seconds,
                                 "train top-1 (%)": train_acc, "train s, full split (est.)": seconds / (1 - VAL_SHARE),
                                 "size": size, "train images": len(rest), "val images": len(val)}, args.out))
    admissible = [r for r in rows if r["train s, full split (est.)"] <= BUDGET_S]
    good = [r for r in admissible if r["val top-1 (%)"] >= TARGET]
    if good:
        cheapest = min(r["train s"] for r in good)
        chosen = min((r for r in good if r["train s"] <= cheapest + 1.0), key=lambda r: r["size"])
    else:
        chosen = max(admissible or rows, key=lambda r: r["val top-1 (%)"])
    cfg = candidates[chosen["candidate"]]
    model, seconds, _, _ = fit(args.judge, cfg, train)
    acc, per_class = top1(model, test)
    core.record({"judge": args.judge, **tag, "chosen": chosen["candidate"], "config": describe(cfg),
                 "reached val target": bool(good), "val top-1 (%)": chosen["val top-1 (%)"],
                 "test top-1 (%)": acc, "test per class (%)": per_class, "train s (full split)": seconds,
                 "train images": len(train), "test images": len(test)}, args.out)


if __name__ == "__main__":
    main()
