"""Training and evaluating classifiers: regular, PGD-robust (Madry et al. 2018), the judge.

``load_or_train_classifier(cfg, ...)`` is the one entry point the chapters use: it serves
a classifier from the run cache, or trains it and caches it (safetensors + JSON).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from . import data as datamod
from .cache import quiet
from . import losses
from .attacks import pgd_l2
from .cache import CacheError, load_or_train
from .models import build_classifier
from .profiles import ClassifierConfig

__all__ = [
    "TrainedClassifier",
    "pick_device",
    "random_shift_flip",
    "train_classifier",
    "load_or_train_classifier",
    "load_or_train_on",
    "predict",
    "accuracy",
    "robust_accuracy",
]


def pick_device(device=None) -> torch.device:
    """``device`` if given, else CUDA when available, else CPU (chosen per call, no globals)."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class TrainedClassifier:
    """A trained classifier (in eval mode), its config, its training record, and its file."""

    model: nn.Module
    config: ClassifierConfig
    record: dict
    path: Path
    cache_hit: bool


def random_shift_flip(x: torch.Tensor, generator: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """Shift each image by up to ``max_shift`` pixels (edge padding) and flip half of them."""
    b, _, h, w = x.shape
    shifts = torch.randint(-max_shift, max_shift + 1, (b, 2), generator=generator).to(x)
    theta = torch.zeros(b, 2, 3, dtype=x.dtype, device=x.device)
    theta[:, 0, 0] = 1.0
    theta[:, 1, 1] = 1.0
    theta[:, 0, 2] = 2.0 * shifts[:, 0] / w
    theta[:, 1, 2] = 2.0 * shifts[:, 1] / h
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="nearest", padding_mode="border", align_corners=False)
    flip = (torch.rand(b, generator=generator) < 0.5).to(x.device).view(-1, 1, 1, 1)
    return torch.where(flip, x.flip(-1), x)


def train_classifier(
    cfg: ClassifierConfig, train: datamod.ImageSet, device=None, progress: bool = True,
    groups: torch.Tensor | None = None, dro_eta: float = 0.0,
) -> tuple[nn.Module, dict]:
    """Train a classifier from scratch; PGD-L2 adversarial training when ``cfg.adv_eps > 0``;
    online group DRO (Sagawa et al. 2019) when ``groups`` (one id per training image) and
    ``dro_eta > 0`` are given, else plain ERM.

    Returns the model (eval mode) and a record: per-epoch loss and accuracy (and the group
    weights under DRO), seconds.
    """
    device = pick_device(device)
    dro = groups is not None and dro_eta > 0
    if groups is not None and len(groups) != len(train):
        raise ValueError(f"groups has {len(groups)} ids for {len(train)} training images")
    if dro:
        n_groups = int(groups.max()) + 1
        q = torch.full((n_groups,), 1.0 / n_groups, device=device)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    model = build_classifier(cfg.arch, train.channels, train.num_classes, cfg.width).to(device)
    x_all, y_all = train.images, train.labels
    g_all = groups if groups is not None else torch.zeros_like(y_all)
    if cfg.train_limit:
        keep = torch.randperm(len(y_all), generator=gen)[: cfg.train_limit]
        x_all, y_all, g_all = x_all[keep], y_all[keep], g_all[keep]
    steps_per_epoch = (len(y_all) + cfg.batch_size - 1) // cfg.batch_size
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch)
    history, start = [], time.perf_counter()
    label = f"{cfg.arch} {'robust ε=' + str(cfg.adv_eps) if cfg.adv_eps else 'regular'}{' group-DRO' if dro else ''}"
    for epoch in tqdm(range(cfg.epochs), desc=f"train {label}", disable=quiet(progress)):
        order = torch.randperm(len(y_all), generator=gen)
        total_loss, correct = 0.0, 0
        for i in range(steps_per_epoch):
            idx = order[i * cfg.batch_size : (i + 1) * cfg.batch_size]
            x, y = x_all[idx].to(device), y_all[idx].to(device)
            if cfg.augment:
                x = random_shift_flip(x, gen)
            if cfg.adv_eps > 0:
                model.eval()  # attack with frozen BN statistics, then train on the attacked batch
                x = pgd_l2(model, x, y, cfg.adv_eps, cfg.adv_steps, random_start=True, generator=gen)
                model.train()
            logits = model(x)
            if dro:
                loss, q = losses.group_dro(F.cross_entropy(logits, y, reduction="none"),
                                           g_all[idx].to(device), q, dro_eta)
            else:
                loss = F.cross_entropy(logits, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += float(loss.detach()) * len(y)
            correct += int((logits.argmax(1) == y).sum())
        history.append({"epoch": epoch + 1, "loss": total_loss / len(y_all), "train_acc": correct / len(y_all)})
        if dro:
            history[-1]["group_weights"] = [round(float(v), 4) for v in q]
    model.eval()
    return model, {"history": history, "seconds": time.perf_counter() - start, "device": str(device)}


def _cache_config(cfg: ClassifierConfig, train: datamod.ImageSet) -> dict:
    return {
        "kind": "classifier",
        **dataclasses.asdict(cfg),
        "in_channels": train.channels,
        "classes": list(train.classes),
        "train_images": len(train),
    }


def load_or_train_classifier(
    cfg: ClassifierConfig,
    run_dir: str | Path = "runs",
    data_dir: str | Path | None = None,
    device=None,
    progress: bool = True,
) -> TrainedClassifier:
    """The classifier for ``cfg``, from ``run_dir``'s cache or trained now (and cached).

    Always trained on the *full* training split of ``cfg.dataset`` (every class): the probed
    classifier knows the target class; only the GAN's image set will lack it.
    """
    device = pick_device(device)
    train = datamod.load(cfg.dataset, "train", data_dir)
    config = _cache_config(cfg, train)

    def _train():
        model, record = train_classifier(cfg, train, device=device, progress=progress)
        test = datamod.load(cfg.dataset, "test", data_dir)
        record["test_acc"] = accuracy(model, test.images, test.labels, device=device)
        return model.state_dict(), record

    name = f"classifier-{cfg.arch}-{'robust' if cfg.adv_eps else 'regular'}"
    art = load_or_train(name, config, _train, run_dir)
    result = _frozen(art, cfg, train)
    result.model.to(device)
    return result


def load_or_train_on(
    name: str,
    cfg: ClassifierConfig,
    train: datamod.ImageSet,
    test: datamod.ImageSet | None = None,
    run_dir: str | Path = "runs",
    device=None,
    progress: bool = True,
    groups: torch.Tensor | None = None,
    dro_eta: float = 0.0,
) -> TrainedClassifier:
    """A classifier trained on the given ``train`` set (a derived data set: colour, markers,
    composites), cached under ``name``. The cache key holds ``train.name`` (which names every
    transform applied), its size, and the objective (ERM or group DRO with ``dro_eta``)."""
    device = pick_device(device)
    config = {**_cache_config(cfg, train), "data": train.name,
              "objective": f"group-dro(eta={dro_eta})" if (groups is not None and dro_eta > 0) else "erm"}

    def _train():
        model, record = train_classifier(cfg, train, device=device, progress=progress, groups=groups, dro_eta=dro_eta)
        if test is not None:
            record["test_acc"] = accuracy(model, test.images, test.labels, device=device)
        return model.state_dict(), record

    art = load_or_train(name, config, _train, run_dir)
    result = _frozen(art, cfg, train)
    result.model.to(device)
    return result


def _frozen(art, cfg: ClassifierConfig, train: datamod.ImageSet) -> TrainedClassifier:
    model = build_classifier(cfg.arch, train.channels, train.num_classes, cfg.width)
    try:
        model.load_state_dict(art.tensors, strict=True)
    except RuntimeError as err:
        raise CacheError(f"checkpoint {art.path} does not fit a {cfg.arch} model; delete it and rerun") from err
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)  # frozen: the chapters probe it, never train it
    return TrainedClassifier(model, cfg, art.record, art.path, art.hit)


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 500, device=None) -> torch.Tensor:
    """Logits ``(N, num_classes)`` on CPU, computed in batches on ``device``."""
    device = pick_device(device) if device is not None else next(model.parameters()).device
    out = [model(images[i : i + batch_size].to(device)).cpu() for i in range(0, len(images), batch_size)]
    return torch.cat(out) if out else torch.empty(0)


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, device=None) -> float:
    """Top-1 accuracy of ``model`` on ``images``."""
    return float((predict(model, images, device=device).argmax(1) == labels).float().mean())


def robust_accuracy(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    eps: float,
    steps: int,
    batch_size: int = 250,
    device=None,
) -> float:
    """Top-1 accuracy under an untargeted PGD-L2 attack of radius ``eps`` (``steps`` steps)."""
    device = next(model.parameters()).device if device is None else pick_device(device)
    correct = 0
    for i in range(0, len(labels), batch_size):
        x, y = images[i : i + batch_size].to(device), labels[i : i + batch_size].to(device)
        x_adv = pgd_l2(model, x, y, eps, steps)
        with torch.no_grad():
            correct += int((model(x_adv).argmax(1) == y).sum())
    return correct / max(len(labels), 1)
