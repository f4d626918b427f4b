"""Training a probe's GAN until it draws the seen classes, within a budget.

A fixed number of steps fits the data it was tuned on; on a user's folder it may stop a GAN that
has not learned to draw anything yet. So :func:`probelib.probe` (without ``steps=``) trains with a
stopping rule: every ``check_every`` steps (and at the budget, ``cfg.steps``) the seen-class
check (:class:`~probelib.probing.seen.SeenCheck`) reads a copy of the EMA generator, and training
stops at the first check that passes, or at the budget. The check never touches the trainer's
weights or random state, and training continues with ``run(until=...)`` from where it stopped,
so a GAN stopped at step ``k`` is the GAN of ``k`` uninterrupted steps; a checkpoint is written
at each check, with the checks so far beside it (``checks.json``), so an interrupted run resumes
there. The checkpoints are keyed without the budget, so raising the budget goes on from where the
smaller one stopped instead of starting again.

The result is cached (kind ``probe-gan``) under the GAN's key plus the rule, with the steps it
trained and every check it made.
"""
from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from tqdm.auto import tqdm

from ..core.cache import artefact_path, atomic_write, keyed, load_or_train
from ..core.device import pick_device
from ..core.hashing import config_hash
from ..core.progress import quiet
from ..models.gan import Generator
from ..train.gans import ProbeGANResult, finish, gan_key
from ..train.jobs import GanJob, executor_settings, one_thread, run_calls
from ..train.jobs import _travelling as travelling
from ..train.probegan import NOT_TRAJECTORY, ProbeGANTrainer
from .seen import SeenCheck, SeenRule, generator_for_check

__all__ = ["StopRule", "STOP_VERSION", "train_until_drawn", "stopped_cached", "load_or_train_stopped",
           "train_or_load_stopped"]

#: bumped whenever what a stopped run computes changes (the check, where it is made); part of the key
STOP_VERSION = 1


@dataclass(frozen=True)
class StopRule:
    """Train until the seen classes are drawn (``seen``), checking every ``check_every`` steps;
    the budget is the trainer config's ``steps``."""

    check_every: int
    seen: SeenRule = SeenRule()

    def describe(self, budget: int) -> str:
        return (f"a check every {self.check_every} steps, at most {budget} steps; the GAN draws the seen classes "
                f"when the {self.seen.describe()}")


def train_until_drawn(trainer: ProbeGANTrainer, check: Callable[[ProbeGANTrainer], dict], every: int,
                      progress: bool = True, passes: Callable[[dict], bool] | None = None) -> dict:
    """Train ``trainer`` from its step, calling ``check(trainer)`` every ``every`` steps and at its
    budget (``cfg.steps``), and stop at the first check that passes (``passes(check)``, default:
    its ``draws``), or at the budget. With a ``checkpoint_dir`` the trainer checkpoints at each
    check and the checks go to ``checks.json`` beside it: a resumed run reads the ones it made
    and decides them again with ``passes`` (so a stricter rule trains on from the same
    checkpoints). Returns ``{"steps", "reached", "budget", "check every", "checks": [{"step",
    **check, "draws"}]}``."""
    passes = passes or (lambda c: bool(c["draws"]))
    budget = trainer.cfg.steps
    checks = [{**c, "draws": passes(c)} for c in _read_checks(trainer)]
    bar = tqdm(total=budget, initial=trainer.step, desc="ProbeGAN (until drawn)", disable=quiet(progress))
    try:
        while True:
            due = trainer.step > 0 and (trainer.step % every == 0 or trainer.step == budget)
            if due and not any(c["step"] == trainer.step for c in checks):
                found = {"step": trainer.step, **check(trainer)}
                checks.append({**found, "draws": passes(found)})
                _write_checks(trainer, checks)
                bar.set_postfix(drawn=checks[-1]["draws"])
            reached = bool(checks) and checks[-1]["step"] == trainer.step and checks[-1]["draws"]
            if reached or trainer.step >= budget:
                return {"steps": trainer.step, "reached": reached, "budget": budget, "check every": every,
                        "checks": checks}
            trainer.run(until=min(budget, (trainer.step // every + 1) * every), progress=False,
                        on_step=lambda _t: bar.update(1))
            if trainer.checkpoint_dir is not None:
                trainer.save_checkpoint()
    finally:
        bar.close()


def _read_checks(trainer) -> list[dict]:
    path = trainer.checkpoint_dir / "checks.json" if trainer.checkpoint_dir is not None else None
    if path is None or not path.exists():
        return []
    return [c for c in json.loads(path.read_text()) if c["step"] <= trainer.step]


def _write_checks(trainer, checks: list[dict]) -> None:
    if trainer.checkpoint_dir is not None:
        trainer.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(checks, default=float)
        atomic_write(trainer.checkpoint_dir / "checks.json", lambda tmp: Path(tmp).write_text(text))


def _key(job: GanJob, rule: StopRule) -> dict:
    return {**gan_key(job.cfg, job.images, job.classifier, job.target),
            "stop": {"check_every": rule.check_every, **dataclasses.asdict(rule.seen)}}


def _checkpoints(job: GanJob, rule: StopRule, run_dir: str | Path) -> Path:
    """Where a stopped run of ``job`` keeps its checkpoints and checks: keyed by the GAN's
    trajectory (not its budget: a run goes on under a larger one), the checks' interval and sample
    sizes, not by the thresholds (a run goes on under a stricter one)."""
    seen = rule.seen
    gan = {k: v for k, v in gan_key(job.cfg, job.images, job.classifier, job.target).items()
           if k not in NOT_TRAJECTORY}
    key = {**gan,
           "checks": {"every": rule.check_every, "n_fakes": seen.n_fakes, "n_real": seen.n_real}}
    return Path(run_dir) / "checkpoints" / f"probe-gan-{config_hash(keyed('probe-gan', STOP_VERSION, key))}"


def stopped_cached(job: GanJob, rule: StopRule, run_dir: str | Path) -> bool:
    """Whether the stopped GAN of ``job`` under ``rule`` is in ``run_dir``'s cache."""
    return artefact_path(run_dir, "probe-gan", keyed("probe-gan", STOP_VERSION, _key(job, rule))).exists()


def load_or_train_stopped(job: GanJob, rule: StopRule, run_dir: str | Path = "runs", device=None,
                          progress: bool = True) -> tuple[ProbeGANResult, dict]:
    """The GAN of ``job`` trained until it draws the seen classes (``rule``) or to its budget,
    from the cache or trained now (one torch thread, resuming from its checkpoints): the result
    and the stopping record (:func:`train_until_drawn`)."""
    key, ckpt = _key(job, rule), _checkpoints(job, rule, run_dir)
    seen = sorted(int(c) for c in job.images.labels.unique().tolist() if c not in (job.target, *job.cfg.targets))

    def _train():
        with one_thread():
            trainer = ProbeGANTrainer(job.cfg, job.images, job.classifier, job.target, device=device,
                                      checkpoint_dir=ckpt)
            trainer.resume_latest()
            checker = SeenCheck(trainer.classifier, job.images, seen, rule.seen)
            stop = train_until_drawn(trainer, lambda t: _brief(checker(generator_for_check(t), seed=t.cfg.seed)),
                                     rule.check_every, progress, passes=rule.seen.passes)
            res = finish(trainer)
        return res.generator.state_dict(), {"history": res.history, "seconds_per_step": res.seconds_per_step,
                                            "steps": stop["steps"], "stopping": stop}

    art = load_or_train("probe-gan", key, _train, run_dir, version=STOP_VERSION, name=job.name)
    G = Generator(dataclasses.replace(job.cfg.gan, channels=job.images.channels), job.images.num_classes)
    G.load_state_dict(art.tensors, strict=True)
    G.to(pick_device(device)).eval()
    for p in G.parameters():
        p.requires_grad_(False)
    result = ProbeGANResult(G, job.cfg, art.record["history"], art.record["seconds_per_step"], job.target,
                            job.images.classes, art.path, art.hit, (job.target, *job.cfg.targets))
    return result, art.record["stopping"]


def _brief(check: dict) -> dict:
    """A check as the stopping record keeps it: the medians and each class's numbers."""
    return {"median top-1 (%)": check["median top-1 (%)"], "median KID ratio": check["median KID ratio"],
            "per class": check["per class"]}


def _worker(job: GanJob, rule: StopRule, run_dir: str, device: str) -> str:
    if job.rebuild is not None:
        job = dataclasses.replace(job, classifier=job.rebuild())
    return str(load_or_train_stopped(job, rule, run_dir, device, progress=False)[0].path)


def train_or_load_stopped(jobs: list[GanJob], rule: StopRule, run_dir: str | Path, workers: int,
                          device: str = "cpu", progress: bool = False, where=None
                          ) -> list[tuple[ProbeGANResult, dict]]:
    """Every job's stopped GAN, in order: the ones not cached yet trained side by side in local
    processes (``workers`` at a time, as :func:`~probelib.train.jobs.prefetch_gans` trains fixed-step
    GANs; ``where``: Slurm) or here, then each read from the cache."""
    where = executor_settings() if where is None else where
    todo = [j for j in jobs if not stopped_cached(j, rule, run_dir)]
    remote = device
    if where.kind == "slurm":
        remote = "cuda" if int(dict(where.slurm).get("gpus_per_node", 1)) > 0 else "cpu"
        here, sent = [], [(j, travelling(j)) for j in todo]
    elif workers > 1 and len(todo) > 1 and str(device).startswith("cpu"):
        here, sent = [], [(j, travelling(j)) for j in todo]
    else:
        here, sent = todo, []
    stay = [j for j, t in sent if t is None]
    if stay:  # as prefetch_gans says it
        model = getattr(stay[0].classifier, "model", stay[0].classifier)  # inside an adapter: the user's model
        print(f"[probelib] note: the classifier ({type(model).__name__}) cannot be sent to a worker "
              f"process; {len(stay)} GAN(s) train here, one after another (pass a rebuild, e.g. a "
              "probelib.probing.ClassifierSpec, to train them side by side)", file=sys.stderr, flush=True)
    here += stay
    for j in here:
        load_or_train_stopped(j, rule, run_dir, device, progress)
    calls = [(f"GAN job {t.name!r}", _worker, (t, rule, str(run_dir), remote)) for _, t in sent if t is not None]
    if calls:
        run_calls(calls, Path(run_dir) / "jobs", workers, where)
    return [load_or_train_stopped(j, rule, run_dir, device, progress) for j in jobs]
