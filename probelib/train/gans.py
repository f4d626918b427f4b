"""Trained GANs: train one to the end (resuming from its checkpoints), serve it from the run
cache, recompute its batch-norm statistics, and sample it."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from ..core.cache import keyed, load_or_train
from ..core.device import pick_device
from ..core.hashing import config_hash, weights_hash
from ..data.imageset import ImageSet, require_index
from ..models.gan import Generator
from .probegan import PROBEGAN_VERSION, ProbeGANConfig, ProbeGANTrainer, absent_classes, config_key

__all__ = ["ProbeGANResult", "standing_stats", "sample", "train_probegan", "finish", "checkpoint_dir", "gan_key",
           "load_or_train_gan"]


@dataclass
class ProbeGANResult:
    """A trained generator (EMA weights, eval mode), its history and timings."""

    generator: Generator
    config: ProbeGANConfig
    history: list[dict]
    seconds_per_step: float
    target: int
    classes: tuple[str, ...]
    path: Path | None = None
    cache_hit: bool = False
    targets: tuple[int, ...] = ()  # every absent class, ``target`` first (``cfg.targets`` adds the others)

    def __post_init__(self):
        if not self.targets:
            self.targets = (self.target,)


@torch.no_grad()
def standing_stats(G: Generator, labels: Callable[[int, torch.Generator], torch.Tensor] | int, batches: int = 16,
                   batch_size: int = 64, seed: int = 0) -> None:
    """Recompute G's batch-norm running statistics as a plain average over ``batches`` batches.

    The EMA generator's weights differ from the raw ones, so the running statistics copied
    from the raw G do not fit them; BigGAN's "standing statistics" fix that. ``labels(n, g)``
    draws each batch's labels as the method trained them (``ProbeGANTrainer.training_labels``:
    NAIVE only the target, the seen-class prior only seen classes, ProbeGAN every class); an
    int ``C`` means uniform over C classes.
    """
    if isinstance(labels, int):
        num_classes = labels
        labels = lambda n, g: torch.randint(0, num_classes, (n,), generator=g)  # noqa: E731
    g = torch.Generator().manual_seed(seed)
    device = next(G.parameters()).device
    bns = [m for m in G.modules() if isinstance(m, nn.BatchNorm2d)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    G.train()
    for _ in range(batches):
        z = torch.randn(batch_size, G.z_dim, generator=g).to(device)
        y = labels(batch_size, g).to(device)
        G(z, y)
    for m, mom in zip(bns, saved):
        m.momentum = mom
    G.eval()


@torch.no_grad()
def sample(G: Generator, label: int | None, n: int, seed: int = 0, batch_size: int = 250,
           embedding: torch.Tensor | None = None) -> torch.Tensor:
    """``n`` images of class ``label`` from G in eval mode: ``(n, C, H, W)`` on CPU, seeded. With
    ``embedding`` (a class embedding ``(shared_dim,)``, BigGAN-AM's search result) instead of a label."""
    g = torch.Generator().manual_seed(seed)
    device = next(G.parameters()).device
    G.eval()
    out = []
    for i in range(0, n, batch_size):
        k = min(batch_size, n - i)
        z = torch.randn(k, G.z_dim, generator=g).to(device)
        if embedding is None:
            out.append(G(z, torch.full((k,), label, dtype=torch.long, device=device)).cpu())
        else:
            out.append(G(z, embedding=embedding.to(device).expand(k, -1)).cpu())
    return torch.cat(out)


def train_probegan(cfg: ProbeGANConfig, images: ImageSet, classifier: nn.Module | None, target: int,
                   device=None, checkpoint_dir: Path | None = None, progress: bool = True) -> ProbeGANResult:
    """Train (resuming from ``checkpoint_dir`` if it holds a checkpoint); return the EMA generator.
    ``target`` is a class index (``probelib.train_probegan`` also takes a name)."""
    trainer = ProbeGANTrainer(cfg, images, classifier, target, device=device, checkpoint_dir=checkpoint_dir)
    trainer.resume_latest()
    trainer.run(progress=progress)
    return finish(trainer)


def finish(trainer: ProbeGANTrainer) -> ProbeGANResult:
    """A trained trainer's result: its EMA generator with standing statistics, history, timing."""
    cfg = trainer.cfg
    standing_stats(trainer.G_ema, trainer.training_labels, batch_size=cfg.batch_size, seed=cfg.seed)
    return ProbeGANResult(trainer.G_ema, cfg, trainer.history, trainer.seconds / max(trainer.step, 1),
                          trainer.target, trainer.classes, targets=trainer.targets)


def checkpoint_dir(cfg: ProbeGANConfig, images: ImageSet, classifier: nn.Module | None, target: int,
                   run_dir: str | Path = "runs") -> Path:
    """Where the GAN of ``(cfg, images, classifier, target)`` keeps its training checkpoints."""
    key = gan_key(cfg, images, classifier, target)
    return Path(run_dir) / "checkpoints" / f"gan-{config_hash(keyed('gan', PROBEGAN_VERSION, key))}"


def gan_key(cfg: ProbeGANConfig, images: ImageSet, classifier: nn.Module | None, target: int) -> dict:
    """What a trained GAN depends on: the trainer config, the data's fingerprint, the target and
    the probed classifier's weights (a retrained classifier means a retrained GAN). ``target`` is
    a class index (a name is a one-line ``TypeError``), not among ``cfg.targets``."""
    absent = tuple(require_index(images, t) for t in absent_classes(cfg, target))  # checked, before any hashing
    return {**config_key(cfg), "data": images.fingerprint, "classes": list(images.classes),
            "n_images": len(images), "channels": images.channels, "target": absent[0],
            "classifier": weights_hash(classifier, digits=16) if classifier is not None else None}


def load_or_train_gan(
    cfg: ProbeGANConfig,
    images: ImageSet,
    classifier: nn.Module | None,
    target: int,
    run_dir: str | Path = "runs",
    device=None,
    progress: bool = True,
    name: str | None = None,
    trained: Callable[[], ProbeGANResult] | None = None,
) -> ProbeGANResult:
    """The EMA generator of ``(cfg, images, classifier, target)`` from the run cache, or trained now.

    ``target`` is a class index (a name is a one-line ``TypeError``; ``probelib.load_or_train_gan``,
    the public entry point, also takes a name). ``images`` is the *full* training set; the trainer
    itself drops the target class unless ``cfg.include_target``. The key (:func:`gan_key`,
    :data:`PROBEGAN_VERSION`) holds the classifier's weights hash, so a retrained classifier means
    a retrained GAN; ``name`` only labels the entry. Interrupted training resumes from ``run_dir/checkpoints/gan-<hash>/``.
    ``trained`` (a pack of GANs trained together, :func:`~probelib.train.jobs.train_pack`) gives
    the result of a miss instead of training it here.
    """
    key = gan_key(cfg, images, classifier, target)
    t = key["target"]
    ckpt = checkpoint_dir(cfg, images, classifier, t, run_dir)

    def _train():
        res = trained() if trained is not None else \
            train_probegan(cfg, images, classifier, t, device=device, checkpoint_dir=ckpt, progress=progress)
        record = {"history": res.history, "seconds_per_step": res.seconds_per_step, "steps": cfg.steps}
        return res.generator.state_dict(), record

    art = load_or_train("gan", key, _train, run_dir, version=PROBEGAN_VERSION, name=name)
    G = Generator(dataclasses.replace(cfg.gan, channels=images.channels), images.num_classes)
    G.load_state_dict(art.tensors, strict=True)
    G.to(pick_device(device)).eval()
    for p in G.parameters():
        p.requires_grad_(False)
    return ProbeGANResult(G, cfg, art.record["history"], art.record["seconds_per_step"], t, images.classes,
                          art.path, art.hit, (t, *cfg.targets))
