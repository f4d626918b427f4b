"""The runs the GAN chapters share, so that each is trained once and served from the cache.

Chapter 2's paper-default run *is* Table 1's ProbeGAN-robust row (same config, same key).
"""
from __future__ import annotations

import dataclasses

import torch
from torch import nn

from .. import data as datamod
from ..train.baselines import biggan_am, method_config, sample_embedding
from ..train.classifier import TrainedClassifier, load_or_train_classifier
from ..train.panel import load_or_fit_hog_judge
from ..train.gans import ProbeGANResult, sample
from .chapter import Chapter
from ..train.jobs import ClassifierJob, GanJob, prefetch_classifiers, prefetch_gans, train_gan_job

__all__ = ["classifiers", "panel", "judges", "DEV", "DILUTION_PAPER", "DILUTION_SINGLE", "dilution_settings",
           "dilution_seeds", "gan_job", "gan", "probe_job", "probe", "prefetch",
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
    logistic-regression judge, trained on every class with their own seeds (cached). Chapters
    report with it; no sweep, benchmark or recipe choice ever looks at it."""
    train = ch.load("train") if train is None else train
    test = ch.load("test") if test is None else test
    P = ch.profile.panel
    vit_cfg = dataclasses.replace(P.vit, seed=P.vit.seed + ch.seed, augment=augment and P.vit.augment)
    prefetch_classifiers([ClassifierJob(vit_cfg, train, test, "panel ViT")], ch.run_dir)
    vit = load_or_train_classifier(vit_cfg, train, test, ch.run_dir, ch.device, progress, name="panel ViT").model
    hog, _ = load_or_fit_hog_judge(train, ch.run_dir, test, c=P.hog_c, seed=P.hog_seed + ch.seed, name="panel HOG")
    return {"panel: ViT": vit, "panel: HOG": hog.to(ch.device)}


def judges(ch: Chapter, nets: dict[str, TrainedClassifier], **panel_kwargs) -> dict[str, nn.Module]:
    """The development judge (``nets["eval"]``, column :data:`DEV`) and the reporting panel."""
    return {DEV: nets["eval"].model, **panel(ch, **panel_kwargs)}


#: chapter 2's names for the paper's recipe and the paper's single fake batch
DILUTION_PAPER = "1/C, λg = 1, no DiffAugment, lr 2e-4"
DILUTION_SINGLE = "1/C, single batch"


def dilution_settings(P) -> dict[str, dict]:
    """Chapter 2's settings of ProbeGAN-robust: ``{name: trainer changes}``, the book's recipe at
    1/C first, then the target shares of ``P.dilution_fractions``, no Dc, the single batch and
    the paper's own recipe."""
    out = {"1/C (paper)": {}}
    out.update({f"{f:g}": {"target_fraction": f} for f in P.dilution_fractions})
    out["no Dc (1/C)"] = {"use_dc": False}
    out[DILUTION_SINGLE] = {"dc_own_batch": False}  # the paper's form: Dc scores the seen part of Du's batch
    out[DILUTION_PAPER] = {"lambda_cls": 1.0, "diffaug": False, "lr_g": 2e-4, "lr_d": 2e-4}  # the paper's recipe
    return out


def dilution_seeds(ch: Chapter) -> dict[str, list[int]]:
    """The seeds of each of chapter 2's settings (``seeds_main`` at 1/C, ``seeds_ablation`` else)."""
    P = ch.profile
    return {name: [ch.seed + i for i in range(P.seeds_main if name == "1/C (paper)" else P.seeds_ablation)]
            for name in dilution_settings(P)}


def gan_job(ch: Chapter, train: datamod.ImageSet, nets: dict[str, TrainedClassifier], method: str,
            kind: str | None = "robust", seed: int = 0, **changes) -> GanJob:
    """The GAN of ``method`` (see :data:`probelib.train.baselines.METHODS`) probing the ``kind``
    classifier for seed ``seed`` as a job; ``changes`` override the profile's trainer settings."""
    cfg = method_config(method, dataclasses.replace(ch.profile.probegan, seed=seed), **changes)
    clf = nets[kind] if (kind is not None and cfg.lambda_cls > 0) else None
    tag = "-".join(f"{k}={v}" for k, v in sorted(changes.items()))
    name = f"{method}" + (f"-{kind}" if clf else "") + (f"-{tag}" if tag else "") + f"-s{seed}"
    return GanJob(cfg, train, clf.model if clf else None, ch.target, name)


def gan(ch: Chapter, train: datamod.ImageSet, nets: dict[str, TrainedClassifier], method: str,
        kind: str | None = "robust", seed: int = 0, progress: bool = True, **changes) -> ProbeGANResult:
    """The trained GAN of :func:`gan_job` (from the cache, or trained now with one thread)."""
    return train_gan_job(gan_job(ch, train, nets, method, kind, seed, **changes), ch.run_dir, str(ch.device))


def probe_job(ch: Chapter, name: str, images: datamod.ImageSet, classifier: TrainedClassifier, target: int | str,
              seed: int = 0, **changes) -> GanJob:
    """ProbeGAN on a derived image set (chapters 4–5, 7) as a job: the target is dropped from
    ``images``, ``classifier`` is probed, ``profile.shortcut.probe_steps`` generator steps unless
    ``changes`` (fields of the profile's :class:`~probelib.train.probegan.ProbeGANConfig`) say
    otherwise; ``name`` labels the cache entry."""
    cfg = dataclasses.replace(ch.profile.probegan, **{"seed": seed, "steps": ch.profile.shortcut.probe_steps,
                                                      **changes})
    return GanJob(cfg, images, classifier.model, target, f"{name}-s{seed}")


def probe(ch: Chapter, name: str, images: datamod.ImageSet, classifier: TrainedClassifier, target: int | str,
          seed: int = 0, progress: bool = True, **changes) -> ProbeGANResult:
    """The trained probe of :func:`probe_job` (from the cache, or trained now with one thread)."""
    return train_gan_job(probe_job(ch, name, images, classifier, target, seed, **changes), ch.run_dir,
                         str(ch.device))


def prefetch(ch: Chapter, jobs: list[GanJob]) -> int:
    """Train the jobs' GANs that are not cached yet, ``profile.gan_workers`` at a time on a CPU
    (one at a time on a GPU); the chapter then reads them from the cache. Returns how many."""
    workers = ch.profile.gan_workers if ch.device.type == "cpu" else 1
    return prefetch_gans(jobs, ch.run_dir, workers, str(ch.device))


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
