"""Cache misses as jobs: the GANs a chapter (or a probe) needs, trained side by side in
separate processes through ``submitit``'s local executor, written into the shared run cache
(atomically, as every artefact is); the caller then reads them from the cache.

On two CPU cores two GANs at one thread each train about 1.4× faster in total than one GAN at
two threads (small convolutions use a second thread poorly), so the `cpu` profile trains
``gan_workers = 2`` at a time. Every GAN is trained with **one** torch thread, in a worker or in
the chapter's own process alike, so its weights do not depend on how it was scheduled.

**Where the jobs run** is the caller's environment's choice (so a papermill kernel inherits
it from ``python -m probelib.run --executor ...``): ``PROBELIB_EXECUTOR`` = ``local`` (the
default: processes on this machine, ``workers`` at a time) or ``slurm`` (one submitit job per
cache miss on a Slurm cluster, at most ``PROBELIB_MAX_JOBS`` at once, default 16, with the
submitit parameters of ``PROBELIB_SLURM``, a JSON object such as ``{"slurm_partition": "gpu",
"gpus_per_node": 1, "timeout_min": 240}``), or the :class:`ExecutorSettings` a caller passes. The
run directory must then be on a file system the nodes share; the cache's atomic writes make
concurrent jobs safe.

**What travels**: a job is pickled to its worker. A job with a ``rebuild`` (a picklable callable,
such as :class:`probelib.probing.ClassifierSpec`) travels without its live classifier, which
the worker builds again; one whose classifier cannot be pickled (TorchScript, an exported
program) and has no ``rebuild`` trains in the caller's process, with a one-line note.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from ..core.cache import artefact_path, keyed
from ..core.errors import UserError
from ..data.imageset import ImageSet, require_index
from .classifier import CLASSIFIER_VERSION, ClassifierConfig, load_or_train_classifier
from .classifier import _key as classifier_key
from .gans import ProbeGANResult, checkpoint_dir, finish, gan_key, load_or_train_gan
from .pack import SHARED, PackedTrainer
from .probegan import PROBEGAN_VERSION, ProbeGANConfig, ProbeGANTrainer, absent_classes

__all__ = ["GanJob", "JobError", "ExecutorSettings", "executor_settings", "gan_cached", "one_thread", "train_gan_job",
           "prefetch_gans", "train_or_load", "pack_enabled", "pack_groups", "train_pack", "run_calls", "ClassifierJob",
           "classifier_cached", "prefetch_classifiers", "EXECUTORS"]

#: where cache misses can run
EXECUTORS = ("local", "slurm")


class JobError(UserError, RuntimeError):
    """A training job failed in its worker; the message names the job and the worker's error."""


@dataclass(frozen=True)
class GanJob:
    """One GAN to have in the cache: what :func:`~probelib.train.gans.load_or_train_gan` takes.
    ``target`` is a class index (a name is a one-line ``TypeError``: resolve it once, where it
    enters, with :func:`~probelib.data.imageset.class_index`). ``rebuild``: a picklable callable
    that builds ``classifier`` again (the same weights) in a worker, so the job travels without it."""

    cfg: ProbeGANConfig
    images: ImageSet
    classifier: nn.Module | None
    target: int
    name: str
    rebuild: Callable[[], nn.Module] | None = None

    def __post_init__(self):
        for t in absent_classes(self.cfg, self.target):
            require_index(self.images, t)


@dataclass(frozen=True)
class ExecutorSettings:
    """Where training jobs run: ``kind`` (``local`` or ``slurm``), at most ``max_jobs`` at once
    (``None``: the caller's ``workers`` locally, 16 on Slurm), and submitit's Slurm parameters."""

    kind: str = "local"
    max_jobs: int | None = None
    slurm: tuple[tuple[str, object], ...] = ()


def executor_settings(env: dict | None = None) -> ExecutorSettings:
    """The :class:`ExecutorSettings` of ``PROBELIB_EXECUTOR``, ``PROBELIB_MAX_JOBS`` and
    ``PROBELIB_SLURM`` (one-line :class:`JobError` for a bad value)."""
    env = os.environ if env is None else env
    kind = env.get("PROBELIB_EXECUTOR", "local") or "local"
    if kind not in EXECUTORS:
        raise JobError(f"unknown executor {kind!r} (PROBELIB_EXECUTOR); choose one of: {', '.join(EXECUTORS)}")
    raw = env.get("PROBELIB_MAX_JOBS")
    try:
        max_jobs = int(raw) if raw else None
        if max_jobs is not None and max_jobs < 1:
            raise ValueError
    except ValueError:
        raise JobError(f"PROBELIB_MAX_JOBS={raw!r}: give a whole number of jobs, at least 1") from None
    try:
        slurm = json.loads(env.get("PROBELIB_SLURM") or "{}")
        if not isinstance(slurm, dict):
            raise ValueError
    except ValueError:
        raise JobError('PROBELIB_SLURM must be a JSON object of submitit parameters, e.g. '
                       '{"slurm_partition": "gpu", "gpus_per_node": 1}') from None
    return ExecutorSettings(kind, max_jobs, tuple(sorted(slurm.items())))


def _executor(settings: ExecutorSettings, folder: Path):
    import submitit

    if settings.kind == "slurm":
        executor = submitit.AutoExecutor(folder=folder, cluster="slurm")
        executor.update_parameters(**{"timeout_min": 24 * 60, "gpus_per_node": 1, "cpus_per_task": 4,
                                      **dict(settings.slurm)})
        return executor
    executor = submitit.LocalExecutor(folder=folder)
    executor.update_parameters(timeout_min=24 * 60)
    return executor


def gan_cached(job: GanJob, run_dir: str | Path) -> bool:
    """Whether the job's artefact is already in ``run_dir``'s cache."""
    key = gan_key(job.cfg, job.images, job.classifier, job.target)
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


@dataclass(frozen=True)
class ClassifierJob:
    """One classifier to have in the cache: what
    :func:`~probelib.train.classifier.load_or_train_classifier` takes (ERM)."""

    cfg: ClassifierConfig
    train: ImageSet
    test: ImageSet | None
    name: str


def classifier_cached(job: ClassifierJob, run_dir: str | Path) -> bool:
    """Whether the classifier job's artefact is already in ``run_dir``'s cache."""
    key = keyed("classifier", CLASSIFIER_VERSION, classifier_key(job.cfg, job.train, None, 0.0))
    return artefact_path(run_dir, "classifier", key).exists()


def _classifier_worker(job: ClassifierJob, run_dir: str, device: str) -> str:
    return str(load_or_train_classifier(job.cfg, job.train, job.test, run_dir, device, progress=False,
                                        name=job.name).path)


def prefetch_classifiers(jobs: list[ClassifierJob], run_dir: str | Path, poll_s: float = 2.0) -> int:
    """On Slurm (``PROBELIB_EXECUTOR=slurm``), train every classifier not cached yet as a job of
    its own (at most ``PROBELIB_MAX_JOBS`` at once) and return how many; locally nothing (0): the
    caller trains them in its own process, as the `cpu` book always has (with its thread count,
    so cached classifiers keep their weights)."""
    where = executor_settings()
    todo = [j for j in jobs if not classifier_cached(j, run_dir)]
    if where.kind != "slurm" or not todo:
        return 0
    device = "cuda" if int(dict(where.slurm).get("gpus_per_node", 1)) > 0 else "cpu"
    calls = [(f"classifier job {j.name!r}", _classifier_worker, (j, str(run_dir), device)) for j in todo]
    run_calls(calls, Path(run_dir) / "jobs", 1, where, poll_s)
    return len(todo)


def pack_enabled(device: str, env: dict | None = None) -> bool:
    """Whether local cache misses of one shape train as one pack (:mod:`~probelib.train.pack`):
    ``PROBELIB_PACK`` = ``auto`` (the default: on CUDA, where K small GANs fill a GPU that one
    leaves idle; not on CPU, whose cores one GAN per process already fills), ``1`` or ``0``."""
    value = (os.environ if env is None else env).get("PROBELIB_PACK", "auto").strip().lower()
    if value not in ("auto", "1", "0"):
        raise UserError(f"PROBELIB_PACK={value!r}; use auto, 1 or 0")
    return value == "1" or (value == "auto" and str(device).startswith("cuda"))


def pack_groups(jobs: list[GanJob]) -> list[list[GanJob]]:
    """Jobs grouped by what a pack's members must share (:data:`~probelib.train.pack.SHARED`,
    the image set, the classifier object), in their first job's order."""
    groups: dict[tuple, list[GanJob]] = {}
    for j in jobs:
        key = (tuple(getattr(j.cfg, f) for f in SHARED), j.cfg.steps, j.cfg.checkpoint_every,
               j.images.fingerprint, id(j.classifier))
        groups.setdefault(key, []).append(j)
    return list(groups.values())


def train_pack(jobs: list[GanJob], run_dir: str | Path, device: str = "cpu") -> int:
    """Train ``jobs`` (one shape: :func:`pack_groups`) as one pack in this process and cache each
    under its own key, as if trained alone; checkpoints every ``checkpoint_every`` steps into
    each GAN's own folder, so an interrupted pack resumes (members at different steps train alone)."""
    with one_thread():  # as every GAN job (on CUDA it changes nothing)
        return _train_pack(jobs, run_dir, device)


def _train_pack(jobs: list[GanJob], run_dir: str | Path, device: str) -> int:
    trainers = []
    for j in jobs:
        t = ProbeGANTrainer(j.cfg, j.images, j.classifier, j.target, device=device,
                            checkpoint_dir=checkpoint_dir(j.cfg, j.images, j.classifier, j.target, run_dir))
        t.resume_latest()
        trainers.append(t)
    if len({t.step for t in trainers}) > 1:
        for j in jobs:
            train_gan_job(j, run_dir, device)
        return len(jobs)
    pack, cfg = PackedTrainer(trainers), trainers[0].cfg
    while pack.step < cfg.steps:
        pack.run(until=min(cfg.steps, (pack.step // cfg.checkpoint_every + 1) * cfg.checkpoint_every))
        for t in trainers:
            t.save_checkpoint()
    for j, t in zip(jobs, trainers):
        result = finish(t)
        load_or_train_gan(j.cfg, j.images, j.classifier, j.target, run_dir, device, progress=False, name=j.name,
                          trained=lambda result=result: result)
    return len(jobs)


def _worker(job: GanJob, run_dir: str, device: str) -> str:
    if job.rebuild is not None:
        job = dataclasses.replace(job, classifier=job.rebuild())
    return str(train_gan_job(job, run_dir, device).path)


def _travelling(job: GanJob, pickles: dict | None = None) -> GanJob | None:
    """``job`` as it is sent to a worker: without its classifier when it has a ``rebuild``, as
    it is when its classifier pickles, ``None`` when it cannot travel (``pickles``: the answer
    per classifier, remembered across the jobs that share one)."""
    if job.rebuild is not None:
        return dataclasses.replace(job, classifier=None)
    if job.classifier is None:
        return job
    pickles = {} if pickles is None else pickles
    if id(job.classifier) not in pickles:
        import cloudpickle  # what submitit pickles jobs with

        try:
            cloudpickle.dumps(job.classifier)
            pickles[id(job.classifier)] = True
        except Exception:  # noqa: BLE001 - whatever refuses to pickle (TorchScript, exported programs) stays here
            pickles[id(job.classifier)] = False
    return job if pickles[id(job.classifier)] else None


def _last_error(text: str) -> str:
    """The worker's own exception line (``ValueError: ...``) out of submitit's report."""
    found = [line.strip() for line in text.splitlines() if re.match(r"\s*[A-Za-z_.]*(Error|Exception|Diverged)\b", line)]
    return found[-1] if found else text.strip().splitlines()[0]


def prefetch_gans(jobs: list[GanJob], run_dir: str | Path, workers: int, device: str = "cpu",
                  poll_s: float = 2.0, progress: bool = False, where: ExecutorSettings | None = None) -> int:
    """Train every job whose GAN is not cached yet, ``workers`` at a time in local processes
    (``submitit.LocalExecutor``; logs in ``run_dir/jobs/``), or in this process when ``workers``
    is 1; or, with ``PROBELIB_EXECUTOR=slurm`` (:func:`executor_settings`; ``where`` overrides the
    environment), as Slurm jobs through submitit, each on a GPU node (``device`` there: ``cuda``).
    A job that cannot travel (see the module doc) trains in this process. Returns how many were
    trained; a failed job is a one-line :class:`JobError`."""
    where = executor_settings() if where is None else where
    todo = [j for j in jobs if not gan_cached(j, run_dir)]
    if where.kind == "local" and pack_enabled(device) and len(todo) > 1:
        for group in pack_groups(todo):
            train_pack(group, run_dir, device) if len(group) > 1 else train_gan_job(group[0], run_dir, device)
        return len(todo)
    if where.kind == "local" and (workers <= 1 or len(todo) <= 1):
        for j in todo:
            train_gan_job(j, run_dir, device, progress)
        return len(todo)
    if not todo:
        return 0
    pickles: dict = {}
    sent = [(j, _travelling(j, pickles)) for j in todo]
    stay = [j for j, t in sent if t is None]
    if stay:
        model = getattr(stay[0].classifier, "model", stay[0].classifier)  # inside an adapter: the user's model
        print(f"[probelib] note: the classifier ({type(model).__name__}) cannot be sent to a worker "
              f"process; {len(stay)} GAN(s) train here, one after another (pass a rebuild, e.g. a "
              "probelib.probing.ClassifierSpec, to train them side by side)", file=sys.stderr, flush=True)
        for j in stay:
            train_gan_job(j, run_dir, device, progress)
    if where.kind == "slurm":
        gpus = int(dict(where.slurm).get("gpus_per_node", 1))
        device = "cuda" if gpus > 0 else "cpu"
    calls = [(f"GAN job {t.name!r}", _worker, (t, str(run_dir), device)) for _, t in sent if t is not None]
    if calls:
        run_calls(calls, Path(run_dir) / "jobs", workers, where, poll_s)
    return len(todo)


def train_or_load(jobs: list[GanJob], run_dir: str | Path, workers: int, device: str = "cpu",
                  poll_s: float = 2.0, progress: bool = False, where: ExecutorSettings | None = None
                  ) -> list[ProbeGANResult]:
    """Every job's GAN, in order: the ones not cached yet trained side by side as
    :func:`prefetch_gans` trains them (``where``: see there), then each loaded from ``run_dir``'s
    cache onto ``device`` (a cached one is read, never retrained or rewritten), so a caller names
    each GAN once."""
    prefetch_gans(jobs, run_dir, workers, device, poll_s=poll_s, progress=progress, where=where)
    return [train_gan_job(j, run_dir, device) for j in jobs]


def run_calls(calls: list[tuple[str, Callable, tuple]], folder: str | Path, workers: int,
              where: ExecutorSettings | None = None, poll_s: float = 2.0) -> list:
    """Run each ``(name, function, args)`` as a submitit job — local processes, ``workers`` at a
    time (``where.max_jobs`` caps it), or Slurm jobs (``where.max_jobs``, default 16, at once) —
    logs in ``folder``; return their results in order. A failed call is a one-line
    :class:`JobError` naming it and the worker's own error, its files left in ``folder``; a call
    that succeeded leaves only its logs (:func:`_drop_pickles`). (What the chapters' GAN jobs and
    ``benchmarks/shortcut_sweep.py --jobs`` both run on.)"""
    where = executor_settings() if where is None else where
    executor = _executor(where, Path(folder))
    if where.kind == "slurm":
        workers = where.max_jobs or 16
    elif where.max_jobs:
        workers = min(workers, where.max_jobs)
    results: dict[int, object] = {}
    running, queue = [], list(enumerate(calls))
    while queue or running:
        while queue and len(running) < max(workers, 1):
            i, (name, fn, args) = queue.pop(0)
            running.append((i, name, executor.submit(fn, *args)))
        time.sleep(poll_s)
        for i, name, handle in [r for r in running if r[2].done()]:
            running.remove((i, name, handle))
            try:
                results[i] = handle.result()
            except Exception as err:  # noqa: BLE001 - the worker's error, whatever it is, in one line
                raise JobError(f"{name} failed in its worker: {_last_error(str(err))}; "
                               f"its log is in {Path(folder)}") from None
            _drop_pickles(handle)
    return [results[i] for i in range(len(calls))]


def _drop_pickles(handle) -> None:
    """Delete a finished job's submitit pickles — the call with its arguments (a GAN job's image
    set and classifier: tens of MB each) and its result, already read — and keep its logs. A job
    object without submitit's ``paths`` (another executor's) has nothing of ours to delete."""
    paths = getattr(handle, "paths", None)
    for path in (paths.submitted_pickle, paths.result_pickle) if paths is not None else ():
        Path(path).unlink(missing_ok=True)
