"""Chapter 9's stand-in for a user: an image folder written from the bundled data, and a
torchvision model trained on it and saved to disk, so the chapter can load it back the way a
user's model arrives and probe it with :func:`probelib.probe`."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from tqdm.auto import tqdm

from ..core.cache import atomic_write, load_or_train
from ..core.progress import quiet
from ..data.imageset import ImageSet
from ..train.attacks import pgd_l2
from ..train.augment import random_shift_flip

__all__ = ["write_folder", "train_torchvision", "OWN_MODEL_VERSION"]

#: bumped whenever :func:`train_torchvision` changes what it trains (part of its cache key)
OWN_MODEL_VERSION = 1


def write_folder(data: ImageSet, root: str | Path, size: int = 64, per_class: int | None = None,
                 classes: tuple[str, ...] | None = None, first: int = 0) -> Path:
    """Write ``data`` as ``root/<class>/<i>.png`` (RGB, resized to ``size``×``size`` bicubic), at
    most ``per_class`` images per class, only ``classes`` (default: all), numbered from ``first``
    (so two image sets can share a folder). Idempotent: a folder whose files are all there is
    left as it is."""
    root = Path(root)
    x = ((data.images.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    if x.shape[1] == 1:
        x = x.repeat(1, 3, 1, 1)
    for c, name in enumerate(data.classes):
        if classes is not None and name not in classes:
            continue
        idx = torch.nonzero(data.labels == c).flatten()[:per_class]
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for k, i in enumerate(idx.tolist()):
            path = folder / f"{first + k:05d}.png"
            if path.exists():
                continue
            im = Image.fromarray(x[i].permute(1, 2, 0).numpy()).resize((size, size), Image.BICUBIC)
            atomic_write(path, lambda tmp, im=im: im.save(tmp, format="PNG"))
    return root


def train_torchvision(name: str, train: ImageSet, run_dir: str | Path, epochs: int = 3, batch_size: int = 64,
                      lr: float = 1e-3, seed: int = 0, device=None, progress: bool = True, adv_eps: float = 0.0,
                      adv_steps: int = 1) -> tuple[nn.Module, dict]:
    """``torchvision.models.<name>(num_classes=…)`` trained from scratch on ``train`` (images in
    [-1, 1] fed as they are; shifts and flips; AdamW, one-cycle), cached; returns the model (eval
    mode) and its record. ``adv_eps > 0``: adversarial training on PGD-L2 images of radius
    ``adv_eps`` ([-1, 1] pixel units) found in ``adv_steps`` steps from a random start (one step:
    the fast adversarial training of Wong et al. 2020, with an L2 ball)."""
    import torchvision

    device = torch.device(device or "cpu")
    key = {"arch": name, "data": train.fingerprint, "classes": list(train.classes), "epochs": epochs,
           "batch_size": batch_size, "lr": lr, "seed": seed}
    if adv_eps > 0:  # only then: a regular model keeps the key it had before adversarial training existed
        key.update(adv_eps=adv_eps, adv_steps=adv_steps)

    def _train():
        torch.manual_seed(seed)
        g = torch.Generator().manual_seed(seed)
        model = torchvision.models.get_model(name, weights=None, num_classes=train.num_classes).to(device)
        steps = epochs * ((len(train) + batch_size - 1) // batch_size)
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=5e-4)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
        history, start = [], time.perf_counter()
        model.train()
        for epoch in tqdm(range(epochs), desc=f"train {name}", disable=quiet(progress)):
            order, total, correct = torch.randperm(len(train), generator=g), 0.0, 0
            for i in range(0, len(train), batch_size):
                idx = order[i:i + batch_size]
                x = random_shift_flip(train.images[idx], g, max_shift=len(train.images[0, 0]) // 16).to(device)
                y = train.labels[idx].to(device)
                if adv_eps > 0:
                    model.eval()  # the attack reads running BN statistics, not the batch's
                    x = pgd_l2(model, x, y, adv_eps, adv_steps, random_start=True, generator=g)
                    model.train()
                logits = model(x)
                loss = F.cross_entropy(logits, y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                total += float(loss.detach()) * len(y)
                correct += int((logits.argmax(1) == y).sum())
            history.append({"epoch": epoch + 1, "loss": total / len(train), "train_acc": correct / len(train)})
        return model.state_dict(), {"history": history, "seconds": time.perf_counter() - start}

    art = load_or_train("torchvision-classifier", key, _train, run_dir, version=OWN_MODEL_VERSION, name=name)
    model = torchvision.models.get_model(name, weights=None, num_classes=train.num_classes)
    model.load_state_dict(art.tensors)
    return model.eval(), art.record
