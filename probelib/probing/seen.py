"""Does the GAN draw the seen classes? The check a probe passes before its target is read.

A probe's target images are evidence of what the classifier memorised only if the GAN learned
to draw: a generator that has not learned any seen class draws the target as a smear, which a
classifier may still call the target with certainty (the probe's classifier loss pushes it
there). So before the report reads the probe it asks, per **seen** class ``c`` (classes whose
real images the GAN had):

- ``top-1 (%)``: how many of ``n_fakes`` generated images of ``c`` the classifier calls ``c``;
- ``KID``: the kernel inception distance (:func:`probelib.measure.fid.kid`, in the classifier's
  penultimate features — the adapter's ``features()``, else its logits — scaled so that a real
  feature vector has unit mean square) between them and up to ``n_real`` real images of ``c``;
- ``KID ratio``: that KID over the KID between the real images of ``c`` and those of the seen
  class nearest to it. Below 1 the fakes of ``c`` are closer to ``c`` than another real class
  is; the ratio does not depend on the feature space's scale, so one threshold serves any
  classifier (a plain KID threshold would not).

:class:`SeenRule` turns the medians over seen classes into the verdict "the GAN draws the seen
classes" (``median top-1 >= min_top1`` and ``median KID ratio <= max_kid_ratio``); the values
were chosen by ``benchmarks/probe_stop_sweep.py`` (see :mod:`probelib.probing.settings`).
Nothing here reads a target image.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn

from ..data.imageset import ImageSet
from ..measure.fid import kid
from ..models.predict import predict
from ..train.gans import sample, standing_stats

__all__ = ["SeenRule", "SeenCheck", "class_features", "generator_for_check"]


@dataclass(frozen=True)
class SeenRule:
    """When does a GAN draw the seen classes? Medians over the seen classes of the classifier's
    top-1 on each class's fakes and of each class's KID ratio (see the module doc)."""

    min_top1: float = 50.0  # %: median over seen classes of the classifier's top-1 on that class's fakes
    max_kid_ratio: float = 1.0  # median over seen classes of KID(fakes, real) / KID(nearest other class, real)
    n_fakes: int = 100  # generated images per seen class
    n_real: int = 200  # real images per seen class (at most)

    def passes(self, check: dict) -> bool:
        """Whether medians ``{"median top-1 (%)", "median KID ratio"}`` say the GAN draws the seen classes."""
        return check["median top-1 (%)"] >= self.min_top1 and check["median KID ratio"] <= self.max_kid_ratio

    def describe(self) -> str:
        return (f"median over seen classes of the classifier's top-1 on that class's generated images >= "
                f"{self.min_top1:g} % and median KID ratio (KID of the generated images against the class's "
                f"real ones over the KID between the class and its nearest other real class) <= "
                f"{self.max_kid_ratio:g}")


@torch.no_grad()
def class_features(classifier: nn.Module, images: torch.Tensor, batch: int = 250) -> torch.Tensor:
    """The classifier's penultimate features of ``images`` (its ``features()`` if it has one,
    else its logits), ``(N, F)`` on CPU."""
    device = next(classifier.parameters()).device
    f = getattr(classifier, "features", None)
    run = f if callable(f) else classifier
    return torch.cat([run(images[i:i + batch].to(device)).flatten(1).float().cpu()
                      for i in range(0, len(images), batch)]) if len(images) else torch.empty(0, 0)


def _kid(a: torch.Tensor, b: torch.Tensor, seed: int = 0) -> float:
    """KID between two sets of feature vectors (the global random state is left as it was)."""
    size = min(len(a), len(b))
    return kid(a, b, nn.Identity(), subset_size=size, subsets=20, seed=seed)[0]


class SeenCheck:
    """The seen-class check of one classifier on one image set: the real side (features per seen
    class, their scale, each class's distance to its nearest other class) is computed once, so
    :meth:`measure` (hand-made fakes) and :meth:`__call__` (a generator) are cheap enough to run
    every few hundred training steps."""

    def __init__(self, classifier: nn.Module, data: ImageSet, seen: list[int], rule: SeenRule = SeenRule()):
        if len(seen) < 2:
            raise ValueError("the seen-class check needs at least two seen classes")
        self.classifier, self.data, self.seen, self.rule = classifier, data, list(seen), rule
        feats = {c: class_features(classifier, data.images[data.labels == c][:rule.n_real]) for c in seen}
        everything = torch.cat(list(feats.values()))
        self.scale = float(everything.pow(2).mean().sqrt().clamp_min(1e-8))  # unit mean square
        self.real = {c: f / self.scale for c, f in feats.items()}
        self.between = {c: min(_kid(self.real[o], self.real[c]) for o in seen if o != c) for c in seen}

    def measure(self, fakes: dict[int, torch.Tensor]) -> dict:
        """The check on generated images ``{seen class: (n, C, H, W)}``: a row per class, the
        medians and the verdict ``draws``."""
        rows = []
        for c in self.seen:
            x = fakes[c]
            top1 = 100 * float((predict(self.classifier, x).argmax(1) == c).float().mean())
            k = _kid(class_features(self.classifier, x) / self.scale, self.real[c])
            rows.append({"class": self.data.classes[c], "top-1 (%)": top1, "KID": k,
                         "KID ratio": k / max(self.between[c], 1e-6)})
        top1 = float(torch.tensor([r["top-1 (%)"] for r in rows]).median())
        ratio = float(torch.tensor([r["KID ratio"] for r in rows]).median())
        out = {"per class": rows, "median top-1 (%)": top1, "median KID ratio": ratio}
        return {**out, "draws": self.rule.passes(out)}

    def __call__(self, generator: nn.Module, seed: int = 0) -> dict:
        """The check on ``rule.n_fakes`` images of each seen class drawn from ``generator``."""
        return self.measure({c: sample(generator, c, self.rule.n_fakes, seed=seed + 7919 * c) for c in self.seen})


def generator_for_check(trainer) -> nn.Module:
    """A copy of ``trainer``'s EMA generator with the standing statistics :func:`~probelib.train.gans.finish`
    gives the final one, leaving the trainer (weights, random state) untouched: checking a GAN
    mid-training does not change how it trains."""
    G = copy.deepcopy(trainer.G_ema)
    standing_stats(G, trainer.training_labels, batch_size=trainer.cfg.batch_size, seed=trainer.cfg.seed)
    return G
