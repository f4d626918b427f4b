"""The runs the GAN chapters share, so that each is trained once and served from the cache.

Chapter 2's paper-default run *is* Table 1's ProbeGAN-robust row (same config, same key).
"""
from __future__ import annotations

import dataclasses

import torch

from . import data as datamod
from .baselines import biggan_am, method_config, sample_embedding
from .chapter import Chapter
from .classify import TrainedClassifier, load_or_train_classifier
from .probegan import ProbeGANResult, load_or_train_gan, sample

__all__ = ["classifiers", "gan", "probe", "target_samples", "am_samples", "real_target_images"]


def classifiers(ch: Chapter, progress: bool = True) -> dict[str, TrainedClassifier]:
    """Chapter 1's regular and robust classifiers and the judge, from the cache (or trained)."""
    return {kind: load_or_train_classifier(ch.profile.classifier_config(kind, ch.dataset, ch.seed), ch.run_dir,
                                           ch.data_dir, ch.device, progress)
            for kind in ("regular", "robust", "eval")}


def gan(ch: Chapter, train: datamod.ImageSet, nets: dict[str, TrainedClassifier], method: str,
        kind: str | None = "robust", seed: int = 0, progress: bool = True, **changes) -> ProbeGANResult:
    """The generator of ``method`` (see :data:`probelib.baselines.METHODS`) probing the ``kind``
    classifier, for seed ``seed``; ``changes`` override the profile's trainer settings."""
    cfg = method_config(method, dataclasses.replace(ch.profile.probegan, seed=seed), **changes)
    clf = nets[kind] if (kind is not None and cfg.lambda_cls > 0) else None
    tag = "-".join(f"{k}={v}" for k, v in sorted(changes.items()))
    name = f"gan-{method}" + (f"-{kind}" if clf else "") + (f"-{tag}" if tag else "") + f"-s{seed}"
    return load_or_train_gan(name, cfg, train, clf.model if clf else None, clf.path.stem if clf else None,
                             ch.target, ch.run_dir, ch.device, progress)


def probe(ch: Chapter, name: str, images: datamod.ImageSet, classifier: TrainedClassifier, target: int | str,
          seed: int = 0, progress: bool = True, **changes) -> ProbeGANResult:
    """ProbeGAN on a derived image set (chapters 4–5): the target is dropped from ``images``,
    ``classifier`` is probed, ``profile.shortcut.probe_steps`` generator steps; cached as
    ``gan-<name>-s<seed>`` (the key also holds the data's name and the classifier's file).
    ``changes`` replace fields of the profile's :class:`ProbeGANConfig` (``steps`` included)."""
    cfg = dataclasses.replace(ch.profile.probegan, **{"seed": seed, "steps": ch.profile.shortcut.probe_steps,
                                                      **changes})
    return load_or_train_gan(f"gan-{name}-s{seed}", cfg, images, classifier.model, classifier.path.stem, target,
                             ch.run_dir, ch.device, progress)


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
    full = datamod.load(ch.dataset, "all", ch.data_dir)
    return datamod.only_class(full, ch.target).images

