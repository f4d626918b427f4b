"""When has a probe's GAN learned to draw? The sweep that chose the stopping rule of
:func:`probelib.probe` (``probelib/probing/settings.py``: ``seen``, ``check_every`` and the
budget ``trainer.steps``), and the acceptance run of that rule on a folder it never saw.

    .venv/bin/python benchmarks/probe_stop_sweep.py sweep --data animal-mnist --max-steps 1500  # stopped at 850 (note 1)
    .venv/bin/python benchmarks/probe_stop_sweep.py sweep --data digits-on-photos --max-steps 1000  # stopped at 400 (note 2)
    .venv/bin/python benchmarks/probe_stop_sweep.py choose        # applies the rule below to the stored rows
    .venv/bin/python benchmarks/probe_stop_sweep.py accept --work /tmp/accept   # the acceptance run

Note 1. The stored animal-mnist run was stopped after its check at step 850 to free the machine: steps
2-5 of the rule read nothing of a run after both its first drawn check (450) and its first
passing check, which it had reached. Its rows are those of the uninterrupted run up to there.
Note 2. The digits-on-photos run was stopped after its check at step 400 (4.6 s per step on the
loaded machine): from step 250 on, its GAN fooled the small CNN (median top-1 81-100 %) while
drawing nothing of the seen classes (median KID ratio 12-262; the development judge 29-64 %).
Stopped, it counts as a run that never passes (rule, step 5: with its ``--max-steps``, 1000,
the largest budget it could have given) and, never drawn, constrains step 3 at every check it
made; a later check could only have lowered ``max_kid_ratio`` by passing before the development
judge reached 80 %, which a GAN that far off would first have to come back from.

**The rule, written down before any run (2026-12-06).**

1. *Runs.* One ProbeGAN per sweep data set, the `cpu` probe trainer (:mod:`probelib.probing.settings`),
   seed 0, one torch thread, trained to ``--max-steps``; every ``--every`` (50) steps the
   seen-class check (:class:`probelib.probing.seen.SeenCheck`: the probed classifier's top-1 on
   100 generated images of each seen class, and their KID ratio) on a copy of the EMA generator,
   and the same check in the features of a *development judge* (EvalNet, width 32, seed 4000,
   trained on the data set's seen classes only). Sweep data sets: ``animal-mnist`` (the book's
   data: grey, 32 px, the book's regular ResNet, target ``horse``) and ``digits-on-photos``
   (generated here: scikit-learn's digits 0-5, each in a colour of its own on a tinted crop of
   a bundled photograph, 64 px, 300 images per class, a small plain CNN trained here, target
   ``3``). The acceptance folder (``animals-on-photos``) is never swept, and no image of any
   target is read by the sweep.
2. *Truth.* The GAN draws the seen classes from the first check at which the development
   judge's median top-1 over seen classes is at least 80 % (``first drawn``).
3. *The threshold.* ``min_top1`` = 50 % (not swept: the verdict's floor, most of a class's
   fakes called that class). ``max_kid_ratio`` = the largest value of 0.05, 0.10, ..., 1.00 for
   which no check of any sweep run passes (probed classifier: median top-1 >= 50 % and median
   KID ratio <= the value) before that run's ``first drawn`` (a run never drawn: at no check).
4. *How often.* ``check_every`` = the smallest multiple of 25 (at least 50) at which one check
   costs at most 10 % of the training between two checks (measured check seconds over seconds
   per step, on the 64-px run).
5. *The budget.* The `cpu` budget = 1.5 x the largest step at which a sweep run first passes the
   chosen rule, rounded up to a multiple of ``check_every``, and at least 700 (the fixed count
   it replaces); a run that never passes counts with its ``--max-steps``.

Rows (one per check) go to ``measured/probe_stop_cpu.jsonl`` with date, machine and command
(:func:`probelib.core.stamp.record`); ``choose`` prints the settings the rule gives.

**Acceptance** (``accept``): the folder ``animals-on-photos`` (Animal-MNIST silhouettes bear,
bird, cow, elephant, giraffe, sheep, each in a colour of its own on tinted photograph crops,
64 px, 300 per class; target ``elephant``), a small plain CNN trained on it
(``probe_stop_sweep:small_cnn``), and real target images from the test split as
``--reference`` (evaluation only). Two probes through the command line: ``--steps 700`` (the fixed
count before the rule) and the rule; each report's seen-class check, steps and independent
judge go to ``measured/probe_stop_accept_cpu.jsonl``.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "measured" / "probe_stop_cpu.jsonl"
ACCEPT_OUT = ROOT / "benchmarks" / "measured" / "probe_stop_accept_cpu.jsonl"
DEV_JUDGE_SEED = 4000
TRUTH_TOP1 = 80.0  # the development judge's median seen-class top-1 from which the GAN draws (rule, step 2)
GRID = tuple(round(0.05 * i, 2) for i in range(1, 21))  # max_kid_ratio candidates (rule, step 3)
MIN_TOP1 = 50.0
DIGIT_CLASSES = ("0", "1", "2", "3", "4", "5")
ANIMALS = ("bear", "bird", "cow", "elephant", "giraffe", "sheep")
SWEEP = {"animal-mnist": "horse", "digits-on-photos": "3"}
ACCEPT = ("animals-on-photos", "elephant")


# ---------------------------------------------------------------- generated folders
def _on_photos(glyphs: torch.Tensor, n: int, size: int, seed: int, flip: bool = True) -> torch.Tensor:
    """``n`` composites of grey glyphs ``(m, 1, h, w)`` (drawn with replacement) on tinted photo
    crops: each glyph at a random size (45-80 % of the side) and place, in a light colour of any
    hue, over a crop of a bundled photograph of either family (mirrored half the time when
    ``flip``): ``(n, 3, size, size)`` in [-1, 1]."""
    from probelib.data.waterbirds import backgrounds

    rng = np.random.default_rng(seed)
    land, water = backgrounds("land", n, seed, size), backgrounds("water", n, seed + 1, size)
    out = torch.where(torch.from_numpy(rng.random(n) < 0.5).view(n, 1, 1, 1), land, water)
    for k in range(n):
        g = glyphs[rng.integers(len(glyphs))][None]
        side = int(rng.integers(int(0.45 * size), int(0.8 * size) + 1))
        alpha = F.interpolate((g + 1) / 2, size=(side, side), mode="bilinear", antialias=True,
                              align_corners=False)[0].clamp(0, 1) * 0.9
        if rng.random() < 0.5 and flip:
            alpha = alpha.flip(-1)
        r, c = rng.integers(0, size - side + 1), rng.integers(0, size - side + 1)
        colour = torch.from_numpy(rng.uniform(0.5, 1.0, 3)).float().view(3, 1, 1) * 2 - 1
        patch = out[k, :, r:r + side, c:c + side]
        out[k, :, r:r + side, c:c + side] = patch + alpha * (colour - patch)
    return out


def generated(name: str, split: str, per_class: int = 300, size: int = 64):
    """The generated data set ``name`` (``digits-on-photos`` or ``animals-on-photos``) for
    ``split``: ``per_class`` composites per class, from that split's glyphs only."""
    from probelib import data

    source, classes = ("digits", DIGIT_CLASSES) if name == "digits-on-photos" else ("animal-mnist", ANIMALS)
    base = data.load(source, split)
    xs, ys = [], []
    for i, c in enumerate(classes):
        glyphs = base.images[base.labels == base.classes.index(c)]
        seed = 1000 * (1 + i) + (0 if split == "train" else 500_000)
        xs.append(_on_photos(glyphs, per_class, size, seed, flip=source != "digits"))
        ys.append(torch.full((per_class,), i))
    return data.ImageSet(torch.cat(xs), torch.cat(ys), classes, f"{name}-{size}px", split)


def write_folder(images, root: Path, classes: tuple[str, ...] | None = None) -> Path:
    """``images`` as PNG files ``root/<class>/<i>.png``."""
    from PIL import Image

    for c in classes or images.classes:
        d = root / c
        d.mkdir(parents=True, exist_ok=True)
        x = images.images[images.labels == images.classes.index(c)]
        arr = ((x + 1) * 127.5).round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()
        for i, a in enumerate(arr):
            Image.fromarray(a).save(d / f"{i:04d}.png")
    return root


# ---------------------------------------------------------------- the user's small CNN
def small_cnn(num_classes: int = 6) -> nn.Module:
    """A plain small CNN as a user might train one (64-px RGB in [-1, 1])."""
    def block(i, o):
        return [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2)]

    return nn.Sequential(*block(3, 32), *block(32, 64), *block(64, 128), nn.Conv2d(128, 128, 3, padding=1),
                         nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, num_classes))


def train_small_cnn(train, path: Path, epochs: int = 12, seed: int = 0) -> tuple[nn.Module, dict]:
    """``small_cnn`` trained on ``train`` (Adam, random 4-px shifts), cached as safetensors at
    ``path``; a killed training resumes from its last epoch (``<path>.epoch.pt``)."""
    from safetensors.torch import load_file, save_file

    torch.manual_seed(seed)
    model = small_cnn(train.num_classes)
    meta, partial = path.with_suffix(".json"), path.with_suffix(".epoch.pt")
    if path.exists() and meta.exists():
        model.load_state_dict(load_file(str(path)))
        return model.eval(), json.loads(meta.read_text())
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    start, g, first, spent = time.perf_counter(), torch.Generator().manual_seed(seed), 0, 0.0
    if partial.exists():
        state = torch.load(partial, weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        g.set_state(state["rng"])
        first, spent = int(state["epoch"]), float(state["seconds"])
    path.parent.mkdir(parents=True, exist_ok=True)
    for epoch in range(first, epochs):
        model.train()
        order = torch.randperm(len(train), generator=g)
        for i in range(0, len(order), 64):
            x, y = train.images[order[i:i + 64]], train.labels[order[i:i + 64]]
            dx, dy = (int(v) for v in torch.randint(-4, 5, (2,), generator=g))
            x = torch.roll(x, (dx, dy), (2, 3))
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "rng": g.get_state(), "epoch": epoch + 1,
                    "seconds": spent + time.perf_counter() - start}, partial)
    model.eval()
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    record = {"epochs": epochs, "seconds": round(spent + time.perf_counter() - start, 1)}
    meta.write_text(json.dumps(record))
    partial.unlink(missing_ok=True)
    return model, record


# ---------------------------------------------------------------- the sweep
def _setup(name: str, run_dir: str):
    """(images, test images, the probed classifier, target index) of a sweep data set."""
    import probelib as pl
    from probelib.book import profiles
    from probelib.train.classifier import load_or_train_classifier

    if name == "animal-mnist":
        train, test = pl.data.load("animal-mnist", "train"), pl.data.load("animal-mnist", "test")
        cfg = profiles.get("cpu").classifier_config("regular", seed=0)
        model = load_or_train_classifier(cfg, train, test, run_dir, "cpu", False, name="regular").model
    else:
        train, test = generated(name, "train"), generated(name, "test", per_class=60)
        model, _ = train_small_cnn(train, Path(run_dir) / "probe-stop" / f"{name}-small-cnn.safetensors")
    return train, test, model, train.classes.index(SWEEP.get(name, ACCEPT[1]))


def _grid_png(G, seen, path: Path, n: int = 8) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from probelib.train.gans import sample

    rows = [sample(G, c, n, seed=1) for c in seen]
    fig, axes = plt.subplots(len(rows), n, figsize=(n * 0.8, len(rows) * 0.8), squeeze=False)
    for i, r in enumerate(rows):
        x = ((r + 1) / 2).clamp(0, 1).permute(0, 2, 3, 1).numpy()
        for j in range(n):
            axes[i, j].axis("off")
            axes[i, j].imshow(x[j][..., 0] if x.shape[-1] == 1 else x[j], cmap="gray", vmin=0, vmax=1)
    fig.savefig(path, dpi=60, bbox_inches="tight")
    plt.close(fig)


def sweep(args) -> None:
    import probelib as pl
    from probelib.core.stamp import record
    from probelib.probing import settings, trainer_config
    from probelib.probing.seen import SeenCheck, SeenRule, generator_for_check
    from probelib.train.classifier import ClassifierConfig, load_or_train_classifier

    torch.set_num_threads(1)
    train, test, model, t = _setup(args.data, args.run_dir)
    acc = pl.models.accuracy(model, test.images, test.labels)
    seen_data = train.subset(train.labels != t)  # nothing of the target, anywhere below
    judge_cfg = ClassifierConfig(arch="evalnet", width=32, epochs=6, batch_size=128, seed=DEV_JUDGE_SEED)
    judge = load_or_train_classifier(judge_cfg, seen_data, None, args.run_dir, "cpu", False, name="dev judge").model
    adapter = pl.ClassifierAdapter(model).eval()
    for p in adapter.parameters():
        p.requires_grad_(False)
    seen = [c for c in range(train.num_classes) if c != t]
    own, dev = SeenCheck(adapter, seen_data, seen, SeenRule()), SeenCheck(judge, seen_data, seen, SeenRule())
    res = int(train.images.shape[-1])
    cfg = trainer_config(settings("cpu"), res, train.channels, args.max_steps, args.seed)
    ckpt = Path(args.run_dir) / "probe-stop" / f"checkpoints-{args.data}-s{args.seed}-{args.max_steps}"
    trainer = pl.train.ProbeGANTrainer(cfg, train, adapter, t, device="cpu", checkpoint_dir=ckpt)
    trainer.resume_latest()  # a killed sweep goes on from its last check
    grids = Path(args.grids) / args.data
    grids.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for step in range(0, args.max_steps + 1, args.every):
        if step < trainer.step or 0 < step == trainer.step:  # checked before the sweep was stopped
            continue
        trainer.run(until=step, progress=False)
        if step > 0:
            trainer.save_checkpoint()
        tick = time.perf_counter()
        G = generator_for_check(trainer)
        a, b = own(G), dev(G)
        check_s = time.perf_counter() - tick
        _grid_png(G, seen, grids / f"step-{step:05d}.png")
        record({"data": args.data, "resolution": res, "channels": train.channels, "target": train.classes[t],
                "seed": args.seed, "step": step, "model test accuracy (%)": round(100 * acc, 1),
                "s_per_step": trainer.seconds / max(trainer.step, 1), "check s": round(check_s, 2),
                "own median top-1 (%)": a["median top-1 (%)"], "own median KID ratio": a["median KID ratio"],
                "dev median top-1 (%)": b["median top-1 (%)"], "dev median KID ratio": b["median KID ratio"],
                "own per class": a["per class"], "dev per class": b["per class"],
                "elapsed s": round(time.perf_counter() - start, 1)}, args.out)


# ---------------------------------------------------------------- the rule applied
def choose(args) -> dict:
    """The settings rule steps 2-5 give on the stored rows."""
    rows = [json.loads(line) for line in Path(args.out).read_text().splitlines() if line.strip()]
    runs: dict[tuple, list[dict]] = {}
    for r in rows:
        runs.setdefault((r["data"], r["seed"]), []).append(r)
    for key in runs:
        runs[key] = sorted({r["step"]: r for r in runs[key]}.values(), key=lambda r: r["step"])  # last row per step
    first_drawn = {k: next((r["step"] for r in v if r["dev median top-1 (%)"] >= TRUTH_TOP1), math.inf)
                   for k, v in runs.items()}

    def passes(r, ratio):
        return r["own median top-1 (%)"] >= MIN_TOP1 and r["own median KID ratio"] <= ratio

    ok = [g for g in GRID if not any(passes(r, g) and r["step"] < first_drawn[k] for k, v in runs.items() for r in v)]
    ratio = max(ok) if ok else min(GRID)
    wide = [v for (d, _), v in runs.items() if v and v[0]["resolution"] >= 64] or list(runs.values())
    check_s = float(np.median([r["check s"] for v in wide for r in v]))
    step_s = float(np.median([v[-1]["s_per_step"] for v in wide]))
    every = max(50, 25 * math.ceil(10 * check_s / step_s / 25))
    first_pass = {k: next((r["step"] for r in v if passes(r, ratio)), None) for k, v in runs.items()}
    max_steps = {(r["data"], r["seed"]): _max_steps(r) for v in runs.values() for r in v}
    worst = max((p if p is not None else max_steps[k]) for k, p in first_pass.items())
    budget = max(700, every * math.ceil(1.5 * worst / every))
    out = {"max_kid_ratio": ratio, "min_top1": MIN_TOP1, "check_every": every, "budget": budget,
           "first drawn (dev judge)": {f"{d} s{s}": v for (d, s), v in first_drawn.items()},
           "first pass (rule)": {f"{d} s{s}": v for (d, s), v in first_pass.items()},
           "check s (median, 64 px)": check_s, "s per step (64 px)": step_s}
    print(json.dumps(out, indent=2, default=str))
    return out


def _max_steps(row: dict) -> int:
    """The ``--max-steps`` a stored row's sweep was started with (its command), else its step."""
    words = row.get("command", "").split()
    return int(words[words.index("--max-steps") + 1]) if "--max-steps" in words else int(row["step"])


# ---------------------------------------------------------------- acceptance
def accept(args) -> None:
    from probelib.core.stamp import record

    work = Path(args.work)
    name, target = ACCEPT
    train = generated(name, "train")
    if not (work / "images").exists():
        write_folder(train, work / "images")
        ref = generated(name, "test", per_class=200)
        write_folder(ref, work / "reference", classes=(target,))
    test = generated(name, "test", per_class=60)
    model, rec = train_small_cnn(train, work / "small_cnn.safetensors")
    import probelib as pl

    acc = pl.models.accuracy(model, test.images, test.labels)
    if args.only in (None, "fixed 700"):
        _fixed_into_cache(work, target, args.run_dir)
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'benchmarks'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    budget = ["--max-steps", str(args.max_steps)] if args.max_steps else []
    for label, extra in (("fixed 700", ["--steps", "700"]), ("rule", budget)):
        if args.only and label != args.only:
            continue
        out = work / f"report-{label.replace(' ', '-')}"
        cmd = [sys.executable, "-m", "probelib", "probe", "--classifier", "probe_stop_sweep:small_cnn", "--weights",
               str(work / "small_cnn.safetensors"), "--images", str(work / "images"), "--target", target,
               "--reference", str(work / "reference" / target), "--out", str(out), "--run-dir", args.run_dir,
               "--device", "cpu", *extra]
        start = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        (work / f"{out.name}.log").write_text(proc.stdout + proc.stderr)
        summary = json.loads((out / "config.json").read_text())["summary"] if proc.returncode == 0 else {}
        record({"data": name, "target": target, "run": label, "return code": proc.returncode,
                "model test accuracy (%)": round(100 * acc, 1), "model": rec,
                "last line": (proc.stdout.strip().splitlines() or [""])[-1],
                "lines": [line for line in proc.stdout.splitlines() if line.startswith("[probelib]")],
                **{k: summary.get(k) for k in ("steps", "steps trained", "stopping", "seen classes",
                                                "classifier on its probe", "independent judge", "spread")},
                "wall s": round(time.perf_counter() - start, 1)}, args.accept_out)


def _fixed_into_cache(work: Path, target: str, run_dir: str, steps: int = 700, every: int = 50) -> None:
    """Today's fixed-step probe GAN of the acceptance folder, trained here with a checkpoint every
    ``every`` steps (this machine's jobs get stopped now and then; the `cpu` trainer checkpoints
    every 350) and put in the run cache under exactly the key ``probe(..., steps=700)`` asks for,
    which then reads it: the same GAN as an uninterrupted run (resumes are bit-identical)."""
    import dataclasses

    import probelib as pl
    from probelib.data import read_folder, scan_folder
    from probelib.probing import ClassifierSpec, pick_resolution, settings, trainer_config
    from probelib.train.gans import checkpoint_dir, finish, load_or_train_gan

    torch.set_num_threads(1)
    scan = scan_folder(work / "images")
    res = pick_resolution(scan.median_side)
    data = read_folder(scan, res, skip=(target,))
    classifier = ClassifierSpec("probe_stop_sweep:small_cnn", str(work / "small_cnn.safetensors")).load().eval()
    for p in classifier.parameters():
        p.requires_grad_(False)
    cfg = dataclasses.replace(trainer_config(settings("cpu"), res, data.channels, steps, 0), targets=())
    t = data.classes.index(target)
    if pl.train.jobs.gan_cached(pl.train.jobs.GanJob(cfg, data, classifier, t, "fixed"), run_dir):
        return
    ckpt = checkpoint_dir(cfg, data, classifier, t, run_dir)
    trainer = pl.train.ProbeGANTrainer(cfg, data, classifier, t, device="cpu", checkpoint_dir=ckpt)
    trainer.resume_latest()
    while trainer.step < steps:
        trainer.run(until=min(steps, (trainer.step // every + 1) * every), progress=False)
        trainer.save_checkpoint()
    result = finish(trainer)
    load_or_train_gan(cfg, data, classifier, t, run_dir, "cpu", progress=False, name=f"probe-{target}-s0",
                      trained=lambda: result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sweep")
    s.add_argument("--data", choices=tuple(SWEEP), required=True)
    s.add_argument("--max-steps", type=int, default=1500)
    s.add_argument("--every", type=int, default=50)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--grids", default="/tmp/probe-stop-grids")
    c = sub.add_parser("choose")
    a = sub.add_parser("accept")
    a.add_argument("--work", default="/tmp/probe-stop-accept")
    a.add_argument("--only", choices=("fixed 700", "rule"))
    a.add_argument("--max-steps", type=int, help="the rule run's budget (default: the profile's)")
    a.add_argument("--accept-out", default=str(ACCEPT_OUT))
    for p in (s, c, a):
        p.add_argument("--out", default=str(OUT))
        p.add_argument("--run-dir", default=str(ROOT / "runs"))
    args = parser.parse_args()
    {"sweep": sweep, "choose": choose, "accept": accept}[args.command](args)


if __name__ == "__main__":
    main()
