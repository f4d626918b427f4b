"""The water detectors of chapter 5 and group accuracy for the Waterbirds setting.

Three judges of "does this generated image show the correlated background?", from the
strictest to the most direct: a classifier of single 8×8 windows trained on background
photographs alone (:func:`water_share`, with :func:`train_patch_background`), the blue − red
:func:`tint`, and :func:`water_colour` (dark-blue pixels no bird of the data can have).
"""
from __future__ import annotations

import time
from pathlib import Path

import torch
import torch.nn.functional as F

from ..core.cache import load_or_train
from ..data.imageset import SIZE
from ..data.waterbirds import BACKGROUNDS, LIGHT_BIRDS, PLACES, SpuriousSet, backgrounds, group_names
from ..models.judges import PatchBackground
from ..models.predict import predict

__all__ = ["WATER_VERSION", "train_patch_background", "water_share", "tint", "water_colour_mask", "water_colour",
           "group_accuracy"]

#: bumped whenever the window judge's training changes (part of its cache key)
WATER_VERSION = 1


def train_patch_background(run_dir: str | Path, n: int = 3000, patch: int = 8, steps: int = 1500, seed: int = 0,
                           size: int = SIZE) -> PatchBackground:
    """A :class:`PatchBackground` trained on random windows of ``n`` land and ``n`` water crops
    (:func:`backgrounds`, seeds apart from every data set of the chapter), cached in ``run_dir``."""
    config = {"n": n, "patch": patch, "steps": steps, "seed": seed, "size": size,
              "backgrounds": {k: list(v[0]) for k, v in BACKGROUNDS.items()}}

    def _train():
        start = time.perf_counter()
        torch.manual_seed(seed)
        x = torch.cat([backgrounds("land", n, seed=seed + 11, size=size),
                       backgrounds("water", n, seed=seed + 12, size=size)])
        y = torch.cat([torch.zeros(n), torch.ones(n)]).long()
        model, g = PatchBackground(patch), torch.Generator().manual_seed(seed)
        opt = torch.optim.Adam(model.parameters(), 1e-3)
        for _ in range(steps):
            idx = torch.randint(len(x), (128,), generator=g)
            r, c = (int(v) for v in torch.randint(0, size - patch + 1, (2,), generator=g))
            loss = F.cross_entropy(model(x[idx][:, :, r : r + patch, c : c + patch]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        return model.state_dict(), {"final_loss": float(loss.detach()), "seconds": time.perf_counter() - start}

    art = load_or_train("patch-background", config, _train, run_dir, version=WATER_VERSION, name="window judge")
    model = PatchBackground(patch)
    model.load_state_dict(art.tensors)
    return model.eval()


def _need_colour(images: torch.Tensor, who: str) -> None:
    if images.ndim != 4 or images.shape[1] != 3:
        raise ValueError(f"{who} needs colour images (N, 3, H, W), got {tuple(images.shape)}")


@torch.no_grad()
def water_share(model: PatchBackground, images: torch.Tensor, stride: int = 4) -> torch.Tensor:
    """Per image, the share of its ``patch``×``patch`` windows (every ``stride`` px) that ``model``
    calls water: ``(N,)`` in [0, 1]."""
    _need_colour(images, "water_share")
    p = model.patch
    windows = images.unfold(2, p, stride).unfold(3, p, stride)  # (N, 3, a, b, p, p)
    n, c, a, b = windows.shape[:4]
    logits = model(windows.permute(0, 2, 3, 1, 4, 5).reshape(-1, c, p, p))
    return (logits.argmax(1) == PLACES.index("water")).float().reshape(n, a * b).mean(1)


def tint(images: torch.Tensor) -> torch.Tensor:
    """Per image, the mean blue − red value: ``(N,)``. Water backgrounds are tinted blue, land
    backgrounds earthy, so it grades an image from land (negative) towards water (positive)."""
    _need_colour(images, "tint")
    return (images[:, 2] - images[:, 0]).flatten(1).mean(1)


def water_colour_mask(images: torch.Tensor, margin: float = 0.1,
                      birds: tuple[float, float] = LIGHT_BIRDS) -> torch.Tensor:
    """Per pixel, whether it is coloured like water and unlike any bird: ``(N, H, W)`` bool.

    A pixel counts when it is bluer than red by more than ``margin`` (water tints are blue, land
    tints earthy) *and* some channel is darker than the birds' lowest channel value ``birds[0]``
    (on the [0, 1] scale), so a light-blue bird never counts; only dark blue, as in the water
    photographs, does. It reads colour wherever it is painted, bird or background."""
    _need_colour(images, "water_colour")
    blue = images[:, 2] - images[:, 0] > margin
    dark = images.min(1).values < 2 * birds[0] - 1
    return blue & dark


def water_colour(images: torch.Tensor, margin: float = 0.1, birds: tuple[float, float] = LIGHT_BIRDS) -> torch.Tensor:
    """Per image, the share of its pixels that :func:`water_colour_mask` counts: ``(N,)`` in [0, 1]."""
    return water_colour_mask(images, margin, birds).float().flatten(1).mean(1)


def group_accuracy(model: torch.nn.Module, s: SpuriousSet) -> tuple[float, dict[str, float]]:
    """Test accuracy of ``model`` on ``s``: the average and one per group (named by
    :func:`group_names`), as fractions; the worst group is the minimum of the second."""
    hit = (predict(model, s.data.images).argmax(1) == s.data.labels).float()
    names = group_names(s.data.classes)
    return float(hit.mean()), {names[g]: float(hit[s.groups == g].mean()) for g in range(len(names))}
