"""How stable is chapter 5's group DRO across data seeds, for a step size η and epoch count?

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/dro_eta.py DATA_SEED ETA EPOCHS [--out FILE]

Trains one group-DRO classifier on the Waterbirds analogue (``data.waterbirds.load_spurious`` with
``seed=DATA_SEED``, the `cpu` profile's classifier otherwise) and prints its average and per-group
test accuracy as a JSON line (appended to ``--out`` when given). Classifiers are cached in
``/tmp/dro_eta`` so that the book's run cache is never touched.
"""
from __future__ import annotations

import argparse
import dataclasses

import torch

import probelib as pl
from probelib import core, data, measure
from probelib.book import profiles


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_seed", type=int)
    parser.add_argument("eta", type=float)
    parser.add_argument("epochs", type=int)
    parser.add_argument("--out")
    args = parser.parse_args()
    torch.set_num_threads(1)
    S = profiles.get("cpu").shortcut
    tr, te = (data.waterbirds.load_spurious(s, None, seed=args.data_seed, scale=S.spurious_scale)
              for s in ("train", "test"))
    cfg = dataclasses.replace(S.classifier, epochs=args.epochs)
    net = pl.load_or_train_classifier(cfg, tr.data, te.data, "/tmp/dro_eta", "cpu", False, groups=tr.groups,
                                      dro_eta=args.eta, name="dro")
    average, per_group = measure.group_accuracy(net.model, te)
    core.record({"data_seed": args.data_seed, "eta": args.eta, "epochs": args.epochs, "average (%)": 100 * average,
           "groups (%)": {g: 100 * v for g, v in per_group.items()}, "worst group (%)": 100 * min(per_group.values()),
           "train min": net.record["seconds"] / 60}, args.out)


if __name__ == "__main__":
    main()
