"""Training classifiers: regular, PGD-robust (Madry et al. 2018) or group DRO (Sagawa et al.
2019), and serving them from the run cache.

:func:`load_or_train_classifier` is the one entry point: given a config and the training
:class:`~probelib.data.ImageSet`, it returns the cached classifier or trains and caches it.
Its key holds the config, the data's fingerprint (pixels and labels, not a name), the DRO
groups' fingerprint and :data:`CLASSIFIER_VERSION`.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ..core.cache import Artefact, CacheError, load_or_train
from ..core.device import pick_device
from ..core.hashing import tensor_fingerprint
from ..core.progress import quiet
from ..data.imageset import ImageSet
from ..models.classifiers import build_classifier
from ..models.predict import accuracy
from . import losses
from .attacks import pgd_l2
from .augment import random_shift_flip

__all__ = ["ClassifierConfig", "CLASSIFIER_VERSION", "TrainedClassifier", "train_classifier",
           "load_or_train_classifier"]

#: bumped whenever :func:`train_classifier` changes what it trains (part of every classifier's key)
CLASSIFIER_VERSION = 1


@dataclass(frozen=True)
class ClassifierConfig:
    """Everything that determines a trained classifier besides its data."""

    arch: str = "resnet"  # "resnet" (the probed classifier) or "evalnet" (the judge)
    width: int = 16  # channels of the first stage; later stages double it
    epochs: int = 6
    batch_size: int = 128
    lr: float = 3e-3  # AdamW, one-cycle schedule
    weight_decay: float = 5e-4
    augment: bool = True  # random shifts of up to 2 px and horizontal flips
    adv_eps: float = 0.0  # PGD-L2 training radius in [-1, 1] pixel units; 0 = regular training
    adv_steps: int = 5  # PGD steps per training batch when adv_eps > 0
    train_limit: int = 0  # use only the first N training images (0 = all); smoke profile only
    seed: int = 0
    # added later: part of a key only when set, so every earlier classifier keeps its key
    depth: int = 0  # arch "vit" only: transformer blocks (0 = the ViT's default, 3)
    stem: str = ""  # arch "vit" only: "conv" (two stride-2 convolutions) or "" (4×4 patches)
    label_smoothing: float = 0.0  # of the cross-entropy (ERM only)


#: :class:`ClassifierConfig` fields added after keys were pinned, with the value that leaves them out of a key
_LATER_FIELDS = {"depth": 0, "stem": "", "label_smoothing": 0.0}


@dataclass
class TrainedClassifier:
    """A trained classifier (in eval mode, frozen), its config, its training record, and its file."""

    model: nn.Module
    config: ClassifierConfig
    record: dict
    path: Path
    cache_hit: bool


def train_classifier(
    cfg: ClassifierConfig, train: ImageSet, device=None, progress: bool = True,
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
    model = build_classifier(cfg.arch, train.channels, train.num_classes, cfg.width, cfg.depth,
                             cfg.stem).to(device)
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
                loss = F.cross_entropy(logits, y, label_smoothing=cfg.label_smoothing)
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


def _key(cfg: ClassifierConfig, train: ImageSet, groups: torch.Tensor | None, dro_eta: float) -> dict:
    dro = groups is not None and dro_eta > 0
    fields = {k: v for k, v in dataclasses.asdict(cfg).items() if _LATER_FIELDS.get(k, object()) != v}
    return {**fields, "data": train.fingerprint, "in_channels": train.channels,
            "classes": list(train.classes), "train_images": len(train),
            "objective": f"group-dro(eta={dro_eta})" if dro else "erm",
            "groups": tensor_fingerprint(groups) if dro else None}


def load_or_train_classifier(
    cfg: ClassifierConfig,
    train: ImageSet,
    test: ImageSet | None = None,
    run_dir: str | Path = "runs",
    device=None,
    progress: bool = True,
    groups: torch.Tensor | None = None,
    dro_eta: float = 0.0,
    name: str | None = None,
) -> TrainedClassifier:
    """The classifier of ``cfg`` trained on ``train`` (every class: the probed classifier knows
    the target; only the GAN's image set lacks it), from ``run_dir``'s cache or trained now.

    ``test`` only adds its accuracy to a new entry's record; ``groups`` and ``dro_eta`` switch
    to group DRO; ``name`` labels the entry (not part of its key)."""
    device = pick_device(device)

    def _train():
        model, record = train_classifier(cfg, train, device=device, progress=progress, groups=groups,
                                         dro_eta=dro_eta)
        if test is not None:
            record["test_acc"] = accuracy(model, test.images, test.labels, device=device)
        return model.state_dict(), record

    art = load_or_train("classifier", _key(cfg, train, groups, dro_eta), _train, run_dir,
                        version=CLASSIFIER_VERSION, name=name)
    result = _frozen(art, cfg, train)
    result.model.to(device)
    return result


def _frozen(art: Artefact, cfg: ClassifierConfig, train: ImageSet) -> TrainedClassifier:
    model = build_classifier(cfg.arch, train.channels, train.num_classes, cfg.width, cfg.depth, cfg.stem)
    try:
        model.load_state_dict(art.tensors, strict=True)
    except RuntimeError as err:
        raise CacheError(f"checkpoint {art.path} does not fit a {cfg.arch} model; delete it and rerun") from err
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)  # frozen: the chapters probe it, never train it
    return TrainedClassifier(model, cfg, art.record, art.path, art.hit)
