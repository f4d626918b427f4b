"""The fast step and the pack, measured: seconds per ProbeGAN step for each speed setting, and of
K GANs packed into one model (torch.func), by hand.

    .venv/bin/python benchmarks/fast_step.py [--device cpu|cuda] [--steps 5] [--paper-steps 1]
                                             [--ks 1,4,8,16] [--skip-paper] [--out FILE]
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/fast_step.py --ab plain,compile --threads 1 --repeats 7

Step variants (``probelib.train.speed``), each on the `cpu` profile's trainer (32x32x1, ch 16, batch
32, DiffAugment) and at the paper's scale (ch 64, 32x32x3, batch 64, 4 D steps): ``plain`` (the
default on CPU), ``fused-adam``, ``bfloat16`` (autocast, the penalty in float32), ``compile``
(inductor on G, D's forward and the classifier; the penalty eager), and on CUDA ``fast`` (all of
them with cudnn.benchmark). The compiled variant's warm-up (compilation) is reported apart.

Pack: K = --ks `cpu`-profile GANs (seeds 0..K-1) as one :class:`probelib.train.pack.PackedTrainer`:
seconds per pack step and per GAN, against K = 1 alone (the plain trainer).

``--ab A,B,...``: the `cpu` profile's trainer in each variant, built once and warmed up (compiled),
then timed side by side in the same process, ``--repeats`` rounds of ``--steps`` steps, the variants
in turn within each round (A B A B ...: a machine whose load drifts moves all of them alike); per
variant the CPU seconds (``time.process_time``, what one thread costs when GANs run side by side)
and wall seconds per generator step, min and median over the rounds, and the ratio to the first
variant round by round.

One JSON line per measurement (``core.record``: date, machine, command), appended to ``--out``
(default ``benchmarks/measured/fast_step_<device>.jsonl``).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time
from pathlib import Path

import torch

import probelib as pl
from probelib import core, data, models
from probelib.book import profiles
from probelib.train import speed
from probelib.train.pack import PackedTrainer

HERE = Path(__file__).resolve().parent


def _setting(name: str, device: torch.device):
    """(precision, StepSettings) of a variant."""
    return {"plain": ("float32", speed.StepSettings()),
            "fused-adam": ("float32", speed.StepSettings(fused_adam=True)),
            "bfloat16": ("bfloat16", speed.StepSettings()),
            "compile": ("float32", speed.StepSettings(compile="inductor")),
            "compile-bfloat16": ("bfloat16", speed.StepSettings(compile="inductor")),
            "fast": ("bfloat16", speed.StepSettings(fused_adam=True, cudnn_benchmark=True))}[name]


def _trainer(cfg, channels: int, width: int, device, step=None, seed: int = 0):
    g = torch.Generator().manual_seed(0)
    images = data.ImageSet(torch.rand(640, channels, 32, 32, generator=g) * 2 - 1, torch.arange(10).repeat(64),
                           tuple("abcdefghij"), "random", "train")
    torch.manual_seed(0)
    clf = models.build_classifier("resnet", channels, 10, width)
    return pl.train.ProbeGANTrainer(dataclasses.replace(cfg, seed=seed), images, clf, 7, device=device, step=step)


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def _time(run, steps: int, device) -> tuple[float, float]:
    """(warm-up seconds, mean seconds per step over ``steps``)."""
    _sync(device)
    start = time.perf_counter()
    run(1)
    _sync(device)
    warm = time.perf_counter() - start
    start = time.perf_counter()
    run(steps)
    _sync(device)
    return warm, (time.perf_counter() - start) / steps


def variants(device, steps: int, paper_steps: int, skip_paper: bool, out: str) -> None:
    cpu = dataclasses.replace(profiles.get("cpu").probegan, steps=10**6)
    paper = pl.ProbeGANConfig(gan=pl.GANConfig(ch=64, channels=3), d_steps=4, batch_size=64, steps=10**6)
    names = ["plain", "fused-adam", "bfloat16", "compile"] + (["fast"] if device.type == "cuda" else [])
    settings = [("cpu profile trainer, 32x32x1", cpu, 1, 16, steps)]
    if not skip_paper:
        settings.append(("paper scale: ch=64, 32x32x3, batch 64, 4 D steps", paper, 3, 64, paper_steps))
    for what, cfg, channels, width, n in settings:
        for name in names:
            precision, step = _setting(name, device)
            t = _trainer(dataclasses.replace(cfg, precision=precision), channels, width, device, step)
            common = {"what": f"{what}: {name}", "variant": name, "steps": n, "device": str(device),
                      "threads": torch.get_num_threads(), "torch": torch.__version__}
            try:
                warm, sec = _time(lambda k, t=t: t.run(until=t.step + k, progress=False), n, device)
            except Exception as err:  # noqa: BLE001 - a variant that fails here is a result too
                line = str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__
                core.record({**common, "failed": f"{type(err).__name__}: {line}"}, out)
                print(f"[bench] {what}: {name}: FAILED ({type(err).__name__}: {line})", flush=True)
                continue
            core.record({**common, "seconds per step": sec, "warm-up seconds": warm}, out)
            print(f"[bench] {what}: {name}: {sec:.4f} s per step (warm-up {warm:.1f} s)", flush=True)


def side_by_side(device, names: list[str], steps: int, repeats: int, out: str) -> None:
    """The `cpu` profile's trainer in each variant of ``names``, timed in turn, ``repeats`` rounds."""
    cfg = dataclasses.replace(profiles.get("cpu").probegan, steps=10**6)
    trainers, warm = {}, {}
    for name in names:
        precision, step = _setting(name, device)
        trainers[name] = _trainer(dataclasses.replace(cfg, precision=precision), 1, 16, device, step)
        start = time.process_time()
        trainers[name].run(until=2, progress=False)  # compiles, where the variant compiles
        warm[name] = time.process_time() - start
    cpu = {n: [] for n in names}
    wall = {n: [] for n in names}
    load = os.getloadavg()[0]
    for _ in range(repeats):
        for name, t in trainers.items():
            _sync(device)
            c0, w0 = time.process_time(), time.perf_counter()
            t.run(until=t.step + steps, progress=False)
            _sync(device)
            cpu[name].append((time.process_time() - c0) / steps)
            wall[name].append((time.perf_counter() - w0) / steps)
    base, load = names[0], [load, os.getloadavg()[0]]  # the machine's 1-minute load, before and after
    for name in names:
        ratio = [a / b for a, b in zip(cpu[name], cpu[base])]
        row = {"what": f"cpu profile trainer, 32x32x1, side by side: {name}", "variant": name, "vs": base,
               "steps": steps, "repeats": repeats, "device": str(device), "threads": torch.get_num_threads(),
               "torch": torch.__version__,
               "cpu seconds per step (min)": min(cpu[name]),
               "cpu seconds per step (median)": statistics.median(cpu[name]),
               "wall seconds per step (min)": min(wall[name]),
               "wall seconds per step (median)": statistics.median(wall[name]),
               f"cpu time / {base} (median of rounds)": statistics.median(ratio),
               "warm-up cpu seconds (2 steps)": warm[name], "cpu seconds per step (rounds)": cpu[name],
               "load average (1 min, before / after)": load, "cores": os.cpu_count()}
        core.record(row, out)
        print(f"[bench] {name}: {min(cpu[name]):.4f} / {statistics.median(cpu[name]):.4f} cpu s per step "
              f"(min / median), {statistics.median(ratio):.3f}x {base}; warm-up {warm[name]:.1f} cpu s",
              flush=True)


def packs(device, steps: int, ks: list[int], out: str) -> None:
    cfg = dataclasses.replace(profiles.get("cpu").probegan, steps=10**6)
    alone = _trainer(cfg, 1, 16, device)
    _, one = _time(lambda k: alone.run(until=alone.step + k, progress=False), steps, device)
    core.record({"what": "pack: cpu profile trainer alone (K = 1, plain)", "K": 1, "seconds per step": one,
                 "seconds per GAN step": one, "device": str(device), "threads": torch.get_num_threads()}, out)
    shared = alone.classifier
    for k in ks:
        members = [_trainer(cfg, 1, 16, device, seed=s) for s in range(k)]
        for m in members:  # one classifier object for the pack (the same weights: seed 0 above)
            m.classifier = shared
        pack = PackedTrainer(members)
        warm, sec = _time(lambda n: pack.run(until=pack.step + n), steps, device)
        core.record({"what": f"pack of K = {k} cpu-profile GANs", "K": k, "seconds per step": sec,
                     "seconds per GAN step": sec / k, "vs one alone": sec / one, "warm-up seconds": warm,
                     "device": str(device), "threads": torch.get_num_threads()}, out)
        print(f"[bench] pack K={k}: {sec:.4f} s per pack step, {sec / k:.4f} per GAN ({sec / one:.2f}x one alone)",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default=None)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--paper-steps", type=int, default=1)
    parser.add_argument("--ks", default="1,4,8,16")
    parser.add_argument("--skip-paper", action="store_true")
    parser.add_argument("--skip-variants", action="store_true")
    parser.add_argument("--out")
    parser.add_argument("--ab", help="variants timed side by side (first = the baseline), e.g. plain,compile")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--threads", type=int, help="torch threads (the book runs GANs side by side on one each)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = core.pick_device(args.device)
    out = args.out or str(HERE / "measured" / f"fast_step_{device.type}.jsonl")
    if args.ab:
        side_by_side(device, args.ab.split(","), args.steps, args.repeats, out)
        return
    if not args.skip_variants:
        variants(device, args.steps, args.paper_steps, args.skip_paper, out)
    packs(device, args.steps, [int(k) for k in args.ks.split(",") if k], out)


if __name__ == "__main__":
    main()
