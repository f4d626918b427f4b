"""The cached runs the chapters share (classifiers, judges, GANs), so that each is trained once and
served from the cache.

Chapter 2's paper-default run *is* Table 1's ProbeGAN-robust row (same config, same key).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import torch
from torch import nn

from .. import data as datamod
from ..train.baselines import biggan_am, method_config, sample_embedding
from ..train.classifier import TrainedClassifier, load_or_train_classifier
from ..train.panel import load_or_fit_hog_judge
from ..train.gans import ProbeGANResult, sample
from .chapter import Chapter
from ..train.jobs import ClassifierJob, GanJob, prefetch_classifiers, train_or_load

__all__ = ["classifiers", "panel", "judges", "DEV", "Planned", "planned", "planned_probe", "job", "train", "train_probes",
           "target_samples", "am_samples", "real_target_images"]

KINDS = ("regular", "robust", "eval")
DEV = "dev: VGG"  # the development judge's column name: sweeps and recipe choices looked at it


def classifiers(ch: Chapter, progress: bool = True) -> dict[str, TrainedClassifier]:
    """Chapter 1's regular and robust classifiers and the judge, trained on every class of the
    chapter's data set (from the cache, or trained now)."""
    train, test = ch.load("train"), ch.load("test")
    # on Slurm every missing classifier is a job of its own first; locally this does nothing
    prefetch_classifiers([ClassifierJob(ch.profile.classifier_config(kind, ch.seed), train, test,
                                        f"{ch.dataset} {kind}") for kind in KINDS], ch.run_dir)
    return {kind: load_or_train_classifier(ch.profile.classifier_config(kind, ch.seed), train, test, ch.run_dir,
                                           ch.device, progress, name=f"{ch.dataset} {kind}")
            for kind in KINDS}


def panel(ch: Chapter, train: datamod.ImageSet | None = None, test: datamod.ImageSet | None = None,
          augment: bool = True, progress: bool = True) -> dict[str, nn.Module]:
    """The reporting panel for the chapter's data (or ``train`` / ``test``): a small ViT and a HOG +
    logistic-regression judge, trained on every class with their own seeds (cached); ``augment``
    off also drops the HOG judge's mirrored and shifted copies (chapter 7's spectrograms). Chapters
    report with it; no sweep, benchmark or recipe choice ever looks at it (its own settings were
    chosen on real images only, by ``benchmarks/panel_judges.py``)."""
    train = ch.load("train") if train is None else train
    test = ch.load("test") if test is None else test
    P = ch.profile.panel
    vit_cfg = dataclasses.replace(P.vit, seed=P.vit.seed + ch.seed, augment=augment and P.vit.augment)
    prefetch_classifiers([ClassifierJob(vit_cfg, train, test, "panel ViT")], ch.run_dir)
    vit = load_or_train_classifier(vit_cfg, train, test, ch.run_dir, ch.device, progress, name="panel ViT").model
    hog, _ = load_or_fit_hog_judge(train, ch.run_dir, test, c=P.hog_c, seed=P.hog_seed + ch.seed, name="panel HOG",
                                   cells=P.hog_cells, rff=P.hog_rff, flip=augment and P.hog_flip,
                                   shifted=P.hog_shifted if augment else 0,
                                   orientations=P.hog_orientations, pixels=P.hog_pixels, gamma=P.hog_gamma)
    return {"panel: ViT": vit, "panel: HOG": hog.to(ch.device)}


def judges(ch: Chapter, nets: dict[str, TrainedClassifier], **panel_kwargs) -> dict[str, nn.Module]:
    """The development judge (``nets["eval"]``, column :data:`DEV`) and the reporting panel."""
    return {DEV: nets["eval"].model, **panel(ch, **panel_kwargs)}


@dataclass(frozen=True)
class Planned:
    """One GAN a chapter trains, named before anything trains: what its cache entry is made of and
    what it costs. A chapter's ``plan(ch)`` lists them; :func:`train` trains or loads them in one
    call; ``python -m probelib.run --estimate`` sums every chapter's plan (a GAN two chapters
    plan, e.g. chapter 2's 1/C row and Table 1's ProbeGAN-robust, is counted once)."""

    row: str  # the chapter's name for it (a table row, a setting, a probe)
    method: str  # a key of probelib.train.baselines.METHODS
    kind: str | None  # the probed classifier: "regular", "robust", or None (no classifier loss)
    seed: int
    target: int  # the absent class's index (a chapter resolves names once, in setup)
    absent: tuple[int, ...] = ()  # further absent classes, sorted indices
    changes: tuple[tuple[str, object], ...] = ()  # trainer settings that differ from the profile's, sorted
    steps: int = 0  # generator steps
    data: str = ""  # "" for the chapter's data set, else the derived image set's name (its probes)
    resolution: int = 32  # image side in pixels (the estimate scales the step by pixel count)
    label: str = field(default="", compare=False)  # how the run cache names it (progress lines, logs)

    @property
    def key(self) -> tuple:
        """What makes two planned GANs the same GAN (the row's name does not)."""
        return (self.data, self.method, self.kind, self.seed, self.target, self.absent, self.changes, self.steps)


def planned(ch: Chapter, row: str, method: str, kind: str | None = "robust", seed: int = 0,
            absent: tuple[int, ...] = (), target: int | None = None, **changes) -> Planned:
    """The GAN of ``method`` probing the ``kind`` classifier for ``seed`` on the chapter's data, its
    target ``target`` (default the chapter's), ``absent`` classes missing besides it, ``changes``
    over the profile's trainer."""
    cfg = method_config(method, ch.profile.probegan, **changes)
    kind = kind if cfg.lambda_cls > 0 else None
    tag = "-".join(f"{k}={v}" for k, v in sorted(changes.items()))
    label = f"{method}" + (f"-{kind}" if kind else "") + (f"-{tag}" if tag else "") + f"-s{seed}"
    return Planned(row, method, kind, seed, ch.target if target is None else target, tuple(sorted(absent)),
                   tuple(sorted(changes.items())), cfg.steps, label=label)


def planned_probe(ch: Chapter, row: str, data: str, target: int, seed: int = 0, steps: int | None = None,
                  resolution: int = 32, **changes) -> Planned:
    """A probe on a derived image set (chapters 4, 5, 7, 9): ``data`` names the set."""
    steps = ch.profile.shortcut.probe_steps if steps is None else steps
    return Planned(row, "probegan", "robust", seed, target, (), tuple(sorted(changes.items())), steps, data,
                   resolution, label=f"{data}-s{seed}")


def job(ch: Chapter, train: datamod.ImageSet, nets: dict[str, TrainedClassifier], p: Planned) -> GanJob:
    """The training job of a planned GAN on the chapter's data ``train`` probing ``nets[p.kind]``."""
    changes = dict(p.changes)
    if p.absent:
        changes["targets"] = p.absent
    cfg = method_config(p.method, dataclasses.replace(ch.profile.probegan, seed=p.seed), **changes)
    clf = nets[p.kind].model if p.kind is not None else None
    return GanJob(cfg, train, clf, p.target, p.label or p.row)


def train(ch: Chapter, train: datamod.ImageSet, nets: dict[str, TrainedClassifier], plan: list[Planned]
          ) -> dict[Planned, ProbeGANResult]:
    """Every planned GAN, trained now (``profile.gan_workers`` side by side on a CPU) or read from the
    cache, in plan order: ``{planned: result}``."""
    return _trained(ch, plan, [job(ch, train, nets, p) for p in plan])


def train_probes(ch: Chapter, plan: list[Planned],
                 inputs: dict[str, tuple[datamod.ImageSet, TrainedClassifier]]) -> dict[Planned, ProbeGANResult]:
    """Every planned probe on a derived image set (:func:`planned_probe`), trained now or read from
    the cache: ``inputs[p.data]`` is the probe's image set and the classifier it probes."""
    jobs = []
    for p in plan:
        images, classifier = inputs[p.data]
        cfg = dataclasses.replace(ch.profile.probegan, **{"seed": p.seed, "steps": p.steps, **dict(p.changes)})
        jobs.append(GanJob(cfg, images, classifier.model, p.target, p.label or p.row))
    return _trained(ch, plan, jobs)


def _trained(ch: Chapter, plan: list[Planned], jobs: list[GanJob]) -> dict[Planned, ProbeGANResult]:
    workers = ch.profile.gan_workers if ch.device.type == "cpu" else 1
    return dict(zip(plan, train_or_load(jobs, ch.run_dir, workers, str(ch.device))))


def target_samples(result: ProbeGANResult, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` generated images of the target class: ``(n, C, H, W)``."""
    return sample(result.generator, result.target, n, seed=seed)


def am_samples(ch: Chapter, prior: ProbeGANResult, classifier: TrainedClassifier, n: int, seed: int = 0,
               progress: bool = True) -> tuple[torch.Tensor, float]:
    """BigGAN-AM: search ``prior``'s embedding space for the target of ``classifier``; ``n`` samples
    and the classifier's own mean target probability."""
    cfg = dataclasses.replace(ch.profile.am, seed=seed)
    result = biggan_am(prior.generator, classifier.model, ch.target, cfg, progress=progress)
    return sample_embedding(prior.generator, result.embedding, n, seed=seed), result.target_prob


def real_target_images(ch: Chapter) -> torch.Tensor:
    """Every real image of the target class (train and test): for evaluation only."""
    return datamod.only_class(ch.load("all"), ch.target).images
