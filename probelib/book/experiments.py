"""The runs the GAN chapters share, so that each is trained once and served from the cache.

Chapter 2's paper-default run *is* Table 1's ProbeGAN-robust row (same config, same key).
"""
from __future__ import annotations

import dataclasses

import torch

from .. import data as datamod
from ..train.baselines import biggan_am, method_config, sample_embedding
from ..train.classifier import TrainedClassifier, load_or_train_classifier
from ..train.gans import ProbeGANResult, load_or_train_gan, sample
from .chapter import Chapter

__all__ = ["classifiers", "gan", "probe", "target_samples", "am_samples", "real_target_images"]

KINDS = ("regular", "robust", "eval")


def classifiers(ch: Chapter, progress: bool = True) -> dict[str, TrainedClassifier]:
    """Chapter 1's regular and robust classifiers and the judge, trained on every class of the
    chapter's data set (from the cache, or trained now)."""
    train, test = ch.load("train"), ch.load("test")
    return {kind: load_or_train_classifier(ch.profile.classifier_config(kind, ch.seed), train, test, ch.run_dir,
                                           ch.device, progress, name=f"{ch.dataset} {kind}")
            for kind in KINDS}


def gan(ch: Chapter, train: datamod.ImageSet, nets: dict[str, TrainedClassifier], method: str,
        kind: str | None = "robust", seed: int = 0, progress: bool = True, **changes) -> ProbeGANResult:
    """The generator of ``method`` (see :data:`probelib.train.baselines.METHODS`) probing the
    ``kind`` classifier, for seed ``seed``; ``changes`` override the profile's trainer settings."""
    cfg = method_config(method, dataclasses.replace(ch.profile.probegan, seed=seed), **changes)
    clf = nets[kind] if (kind is not None and cfg.lambda_cls > 0) else None
    tag = "-".join(f"{k}={v}" for k, v in sorted(changes.items()))
    name = f"{method}" + (f"-{kind}" if clf else "") + (f"-{tag}" if tag else "") + f"-s{seed}"
    return load_or_train_gan(cfg, train, clf.model if clf else None, ch.target, ch.run_dir, ch.device, progress,
                             name=name)


def probe(ch: Chapter, name: str, images: datamod.ImageSet, classifier: TrainedClassifier, target: int | str,
          seed: int = 0, progress: bool = True, **changes) -> ProbeGANResult:
    """ProbeGAN on a derived image set (chapters 4–5, 7): the target is dropped from ``images``,
    ``classifier`` is probed, ``profile.shortcut.probe_steps`` generator steps. ``changes``
    replace fields of the profile's :class:`~probelib.train.probegan.ProbeGANConfig` (``steps``
    included); ``name`` labels the cache entry."""
    cfg = dataclasses.replace(ch.profile.probegan, **{"seed": seed, "steps": ch.profile.shortcut.probe_steps,
                                                      **changes})
    return load_or_train_gan(cfg, images, classifier.model, target, ch.run_dir, ch.device, progress,
                             name=f"{name}-s{seed}")


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
