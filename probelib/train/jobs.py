"""Cache misses as jobs: the GANs a chapter (or a probe) needs, trained side by side in
separate processes through ``submitit``'s local executor, written into the shared run cache
(atomically, as every artefact is); the caller then reads them from the cache.

On two CPU cores two GANs at one thread each train about 1.4× faster in total than one GAN at
two threads (small convolutions use a second thread poorly), so the `cpu` profile trains
``gan_workers = 2`` at a time. Every GAN is trained with **one** torch thread, in a worker or in
the chapter's own process alike, so its weights do not depend on how it was scheduled.
"""
from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..core.cache import artefact_path, keyed
from ..core.errors import UserError
from ..data.imageset import ImageSet, class_index
from .gans import ProbeGANResult, gan_key, load_or_train_gan
from .probegan import PROBEGAN_VERSION, ProbeGANConfig

__all__ = ["GanJob", "JobError", "gan_cached", "one_thread", "train_gan_job", "prefetch_gans"]


class JobError(UserError, RuntimeError):
    """A training job failed in its worker; the message names the job and the worker's error."""


@dataclass(frozen=True)
class GanJob:
    """One GAN to have in the cache: what :func:`~probelib.train.gans.load_or_train_gan` takes."""

    cfg: ProbeGANConfig
    images: ImageSet
    classifier: nn.Module | None
    target: int | str
    name: str


def gan_cached(job: GanJob, run_dir: str | Path) -> bool:
    """Whether the job's artefact is already in ``run_dir``'s cache."""
    key = gan_key(job.cfg, job.images, job.classifier, class_index(job.images, job.target))
    return artefact_path(run_dir, "gan", keyed("gan", PROBEGAN_VERSION, key)).exists()


@contextlib.contextmanager
def one_thread():
    """Run the block with one torch thread (and restore the count): GANs train this way."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train_gan_job(job: GanJob, run_dir: str | Path, device: str = "cpu", progress: bool = False) -> ProbeGANResult:
    """Train (or load) one GAN into ``run_dir``'s cache with one torch thread."""
    with one_thread():
        return load_or_train_gan(job.cfg, job.images, job.classifier, job.target, run_dir, device, progress=progress,
                                 name=job.name)


def _worker(job: GanJob, run_dir: str, device: str) -> str:
    return str(train_gan_job(job, run_dir, device).path)


def _last_error(text: str) -> str:
    """The worker's own exception line (``ValueError: ...``) out of submitit's report."""
    found = [line.strip() for line in text.splitlines() if re.match(r"\s*[A-Za-z_.]*(Error|Exception|Diverged)\b", line)]
    return found[-1] if found else text.strip().splitlines()[0]


def prefetch_gans(jobs: list[GanJob], run_dir: str | Path, workers: int, device: str = "cpu",
                  poll_s: float = 2.0, progress: bool = False) -> int:
    """Train every job whose GAN is not cached yet, ``workers`` at a time in local processes
    (``submitit.LocalExecutor``; logs in ``run_dir/jobs/``), or in this process when ``workers``
    is 1. Returns how many were trained; a failed job is a one-line :class:`JobError`."""
    todo = [j for j in jobs if not gan_cached(j, run_dir)]
    if workers <= 1 or len(todo) <= 1:
        for j in todo:
            train_gan_job(j, run_dir, device, progress)
        return len(todo)
    import submitit

    executor = submitit.LocalExecutor(folder=Path(run_dir) / "jobs")
    executor.update_parameters(timeout_min=24 * 60)
    running, queue = [], list(todo)
    while queue or running:
        while queue and len(running) < workers:
            job = queue.pop(0)
            running.append((job, executor.submit(_worker, job, str(run_dir), device)))
        time.sleep(poll_s)
        for job, handle in [r for r in running if r[1].done()]:
            running.remove((job, handle))
            try:
                handle.result()
            except Exception as err:  # noqa: BLE001 - the worker's error, whatever it is, in one line
                raise JobError(f"GAN job {job.name!r} failed in its worker: {_last_error(str(err))}; "
                               f"its log is in {Path(run_dir) / 'jobs'}") from None
    return len(todo)
