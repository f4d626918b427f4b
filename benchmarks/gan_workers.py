"""How should two cores train the book's GANs: two worker processes of one torch thread each (the
`cpu` profile's ``gan_workers = 2``), or one process with two threads, one GAN after another?

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/gan_workers.py [--steps 40] [--rounds 3] [--out FILE]

Same work in each layout, the `cpu` profile's ProbeGAN trainer (32x32x1, ch 16, batch 32,
DiffAugment, ``benchmarks/fast_step.py``'s random image set) after 3 warm-up steps:

- ``1 process x 1 thread``: one GAN alone (what one worker would do on an idle machine);
- ``1 process x 2 threads``: one GAN, intra-op parallel (GANs one after another);
- ``2 processes x 1 thread``: two GANs at once, one per core (the book's layout).

Each worker times its own steps (wall and CPU seconds per step, warm-up excluded) and prints one
JSON line; the layouts run in turn, ``--rounds`` rounds (A B C A B C: a machine whose load drifts
moves all of them alike). Per layout: the median seconds per step of a worker and the throughput
in GAN steps per wall second (workers / their step time), and its ratio to the book's layout.
Run it on an idle machine: anything else running is measured with it (the load average before and
after is stored). One JSON line per layout (``core.record``) appended to ``--out`` (default
``benchmarks/measured/gan_workers_cpu.jsonl``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAYOUTS = {"1 process x 1 thread": (1, 1), "1 process x 2 threads": (1, 2), "2 processes x 1 thread": (2, 1)}


def worker(steps: int, threads: int, seed: int) -> dict:
    """Train the `cpu` trainer ``steps`` steps after 3 warm-up steps; its seconds per step."""
    import dataclasses

    import torch

    torch.set_num_threads(threads)
    sys.path.insert(0, str(HERE))
    from fast_step import _trainer  # the benchmark's random image set and probed classifier

    from probelib.book import profiles

    cfg = dataclasses.replace(profiles.get("cpu").probegan, steps=10**6)
    t = _trainer(cfg, 1, 16, torch.device("cpu"), seed=seed)
    t.run(until=3, progress=False)
    c0, w0 = time.process_time(), time.perf_counter()
    t.run(until=3 + steps, progress=False)
    return {"wall s per step": (time.perf_counter() - w0) / steps, "cpu s per step": (time.process_time() - c0) / steps,
            "threads": torch.get_num_threads()}


def layout(processes: int, threads: int, steps: int) -> list[dict]:
    """Start ``processes`` workers of ``threads`` threads at once; each one's timing."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", "--steps", str(steps), "--threads", str(threads),
                               "--seed", str(i)], stdout=subprocess.PIPE, text=True, env=env)
             for i in range(processes)]
    out = []
    for p in procs:
        stdout, _ = p.communicate()
        if p.returncode:
            raise SystemExit(f"a worker failed (exit {p.returncode})")
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default=str(HERE / "measured" / "gan_workers_cpu.jsonl"))
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.steps, a.threads, a.seed)), flush=True)
        return
    from probelib import core

    load = [os.getloadavg()[0]]
    runs = {name: [] for name in LAYOUTS}
    for _ in range(a.rounds):
        for name, (procs, threads) in LAYOUTS.items():
            runs[name].append(layout(procs, threads, a.steps))
    load.append(os.getloadavg()[0])
    rate = {name: statistics.median(sum(1 / w["wall s per step"] for w in r) for r in rs) for name, rs in runs.items()}
    book = "2 processes x 1 thread"
    for name, rs in runs.items():
        procs, threads = LAYOUTS[name]
        walls = [w["wall s per step"] for r in rs for w in r]
        cpus = [w["cpu s per step"] for r in rs for w in r]
        row = {"what": f"cpu profile trainer, 32x32x1: {name}", "layout": name, "processes": procs,
               "threads per process": threads, "steps": a.steps, "rounds": a.rounds,
               "wall s per step (median of workers)": statistics.median(walls),
               "cpu s per step (median of workers)": statistics.median(cpus),
               "GAN steps per wall second (median of rounds)": rate[name],
               f"throughput / {book}": rate[name] / rate[book],
               "wall s per step (each worker, each round)": walls,
               "load average (1 min, before / after)": load, "cores": os.cpu_count()}
        core.record(row, a.out)
        print(f"[bench] {name}: {statistics.median(walls):.3f} s per step per worker, "
              f"{rate[name]:.2f} GAN steps per second ({rate[name] / rate[book]:.2f}x the book's layout)", flush=True)


if __name__ == "__main__":
    main()
