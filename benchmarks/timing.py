"""What the step benchmarks share: a trainer's seconds per step after one warm-up step, with the
GPU synchronised around the timed steps (imported by the scripts beside it)."""
from __future__ import annotations

import time

import torch


def seconds_per_step(trainer, steps: int, device: torch.device) -> float:
    """Mean wall time of ``steps`` training steps of ``trainer`` (a ProbeGAN trainer) after one warm-up."""
    trainer.run(until=trainer.step + 1, progress=False)  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    start, first = time.perf_counter(), trainer.step
    trainer.run(until=first + steps, progress=False)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / steps
