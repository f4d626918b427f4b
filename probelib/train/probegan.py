"""The ProbeGAN trainer (Zhang et al., AAAI 2022, eq. 1) and its variants.

One loop covers ProbeGAN and every GAN baseline; what differs is the config:

- ``use_dc``: the conditional hinge head Dc on seen classes (eq. 2);
- ``use_du``: the unconditional WGAN-GP head Du (eq. 3) on fakes of *all* classes;
- ``target_fraction``: the share of target-class fakes among Du's fakes (``-1`` = labels
  uniform over all C classes, i.e. 1/C, the paper's *class dilution*; ``1.0`` = NAIVE);
- ``lambda_cls``: weight of the frozen classifier's cross-entropy (eq. 4);
- ``include_target``: real target images in the image set (oracle, BigGAN-all only);
- ``targets``: further classes absent with the target (several absent classes in one GAN, beyond
  the paper, whose first limitation is one GAN per target): no real or Dc fake of any of them,
  each at ``target_fraction`` among Du's fakes (a tuple gives each its own share).

Class dilution is explicit in :meth:`ProbeGANTrainer.sample_fake_inputs` and ``d_step``: Du
sees a batch of fakes of every class (the target at ``target_fraction``), Dc a batch of the same
size of seen-class fakes only, whatever the target share, so the dilution ablation varies Du
alone; reals never include the target unless ``include_target``.
The loop checkpoints atomically and resumes bit-identically on CPU; a NaN/inf or a loss
beyond ``max_abs_loss`` stops it with the step and the loss named.
"""
from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import numbers
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from ..core.device import pick_device
from ..core.hashing import config_hash
from ..core.progress import quiet
from ..data.imageset import ImageSet, require_index
from ..models.gan import GANConfig, build_gan
from . import losses, objective, speed
from .checkpoint import NOT_TRAJECTORY, Checkpoints, config_key, trajectory_key
from .augment import DiffAugment
from .labels import absent_shares as _fractions
from .labels import fake_labels as _fake_labels

__all__ = ["PROBEGAN_VERSION", "ProbeGANConfig", "TrainingDiverged", "FakeBatch", "ProbeGANTrainer", "config_key",
           "trajectory_key", "NOT_TRAJECTORY", "absent_classes", "train_loop"]

#: bumped whenever the trainer's semantics change (what a step computes, which data it sees);
#: part of every GAN's cache key, so no artefact of an older trainer is served
PROBEGAN_VERSION = 2  # 2: Dc has its own fixed-size seen-class fake batch; method-wise standing statistics


class TrainingDiverged(RuntimeError):
    """Training produced NaN/inf or exploding losses; the message names the step and the loss."""


@dataclass(frozen=True)
class ProbeGANConfig:
    """Everything that determines a trained GAN (its cache key is a hash of this + the data)."""

    gan: GANConfig = field(default_factory=GANConfig)
    steps: int = 2000  # generator steps
    d_steps: int = 1  # discriminator steps per generator step (reference: 4)
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.0
    beta2: float = 0.999
    lambda_cls: float = 1.0  # λg: weight of the classifier's cross-entropy, eq. (1)
    lambda_gp: float = 10.0  # λgp: gradient penalty on Du, eq. (3)
    drift: float = 1e-4  # reference's 1e-4·Du² on D and G
    use_dc: bool = True
    use_du: bool = True
    target_fraction: float | tuple[float, ...] = -1.0  # share of each target's fakes among Du's fakes; -1 = 1/C
    # (uniform labels); a tuple: one share per absent class, the trainer's target first, then ``targets``
    # Dc's fakes: a batch of batch_size seen-class fakes of its own (True), or the paper's single
    # batch, whose seen-class part shrinks as target_fraction grows (False; chapter 2 compares them)
    dc_own_batch: bool = True
    include_target: bool = False  # real target images in the image set (oracle / BigGAN-all)
    targets: tuple[int, ...] = ()  # further absent classes besides the trainer's target: indices, stored sorted
    diffaug: bool = False  # DiffAugment (translation + cutout) before D, not in the paper
    ema_decay: float = 0.999
    ema_start: int = 0
    checkpoint_every: int = 500
    max_abs_loss: float = 1e4
    seed: int = 0
    precision: str = "float32"  # or "bfloat16": autocast for G, D, classifier; the penalty in float32 (speed.py)

    def __post_init__(self):
        """``targets`` as one GAN has one key: class indices (a name is a one-line ``TypeError``),
        sorted, each once; a per-class ``target_fraction`` tuple has its shares reordered with them."""
        targets = tuple(_index(t, "ProbeGANConfig.targets holds class indices (ints >= 0)") for t in self.targets)
        twice = sorted({t for t in targets if targets.count(t) > 1})
        if twice:
            raise ValueError(f"absent class {twice[0]} repeated in ProbeGANConfig.targets {targets}; list each once")
        order = sorted(range(len(targets)), key=targets.__getitem__)
        object.__setattr__(self, "targets", tuple(targets[i] for i in order))
        shares = self.target_fraction
        if isinstance(shares, (tuple, list)) and len(shares) == len(targets) + 1:  # the target's, then each target's
            object.__setattr__(self, "target_fraction", (shares[0], *(shares[1 + i] for i in order)))
        elif isinstance(shares, list):
            object.__setattr__(self, "target_fraction", tuple(shares))


def _index(t, what: str) -> int:
    """``t`` as an int class index (numpy integers too); a name or another type is a one-line TypeError."""
    if isinstance(t, str):
        raise TypeError(f"{what}, not the name {t!r}; resolve names with probelib.class_index(images, {t!r}) first")
    if isinstance(t, bool) or not isinstance(t, numbers.Integral) or t < 0:
        raise TypeError(f"{what}, not {t!r}; resolve names with probelib.class_index(images, name) first")
    return int(t)


def absent_classes(cfg: ProbeGANConfig, target: int) -> tuple[int, ...]:
    """Every class absent from the GAN of ``(cfg, target)``: ``target`` (an index: a name is a
    one-line ``TypeError``), then ``cfg.targets``; the target repeated there is a one-line error."""
    target = _index(target, "the GAN's target is a class index (an int >= 0)")
    if target in cfg.targets:
        raise ValueError(f"absent classes repeated: the target {target} is also in targets {cfg.targets}; "
                         "list only the further absent classes there")
    return (target, *cfg.targets)


@dataclass(frozen=True)
class FakeBatch:
    """One step's generator inputs: ``z`` ``(n, z_dim)`` and labels ``y`` ``(n,)``; the first
    ``n_du`` are Du's fakes, ``dc`` indexes Dc's ``batch_size`` seen-class fakes among all ``n``."""

    z: torch.Tensor
    y: torch.Tensor
    n_du: int
    dc: torch.Tensor


@torch.no_grad()
def _ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    for pe, p in zip(ema.parameters(), model.parameters()):
        pe.lerp_(p, 1.0 - decay)  # pe = decay·pe + (1-decay)·p
    for be, b in zip(ema.buffers(), model.buffers()):
        be.copy_(b)


def train_loop(trainer, until: int, log_every: int, log: Callable[[object, object], None],
               after_step: Callable[[], None] | None = None) -> None:
    """The one loop shape of every ProbeGAN trainer, alone (:class:`ProbeGANTrainer`) or packed
    (:class:`~probelib.train.pack.PackedTrainer`): per step ``cfg.d_steps`` discriminator updates
    and one generator update, each record checked (``trainer._check``), then the step counted and
    its wall time added to ``trainer.seconds``; ``log(d_record, g_record)`` every ``log_every``
    steps and at ``cfg.steps``, then ``after_step()`` (both untimed)."""
    while trainer.step < until:
        start = time.perf_counter()
        for _ in range(trainer.cfg.d_steps):
            d_rec = trainer.d_step()
            trainer._check(d_rec)
        g_rec = trainer.g_step()
        trainer._check(g_rec)
        trainer.step += 1
        trainer.seconds += time.perf_counter() - start
        if trainer.step % log_every == 0 or trainer.step == trainer.cfg.steps:
            log(d_rec, g_rec)
        if after_step is not None:
            after_step()


class ProbeGANTrainer(Checkpoints):
    """Holds G, D, EMA G, optimisers and the one random generator; ``run()`` trains to ``steps``.
    ``target`` is a class index (a name is a one-line ``TypeError``: :func:`probelib.class_index`)."""

    def __init__(self, cfg: ProbeGANConfig, images: ImageSet, classifier: nn.Module | None, target: int,
                 device=None, checkpoint_dir: Path | None = None, step: speed.StepSettings | None = None):
        self.cfg = cfg
        self.device = pick_device(device)
        speed.check_precision(cfg.precision)
        self.speed = speed.default_settings(self.device) if step is None else step
        self.classes = images.classes
        self.targets = tuple(require_index(images, t) for t in absent_classes(cfg, target))  # every absent class
        self.target = self.targets[0]
        if len(self.targets) >= images.num_classes:
            raise ValueError(f"{len(self.targets)} absent classes leave no seen class of {images.num_classes}")
        _fractions(cfg.target_fraction, len(self.targets))  # a bad share is an error now, not at the first step
        self.num_classes = images.num_classes
        absent = torch.tensor(self.targets)
        keep = torch.ones(len(images), dtype=torch.bool) if cfg.include_target else ~torch.isin(images.labels, absent)
        self.real_x, self.real_y = images.images[keep], images.labels[keep]
        if len(self.real_y) == 0:
            raise ValueError("the GAN's image set is empty")
        if cfg.lambda_cls > 0 and classifier is None:
            raise ValueError("lambda_cls > 0 needs a classifier")
        self.classifier = classifier.to(self.device, memory_format=torch.channels_last).eval() \
            if classifier is not None else None
        if self.classifier is not None:
            for p in self.classifier.parameters():
                p.requires_grad_(False)
        torch.manual_seed(cfg.seed)
        self.G, self.D = build_gan(dataclasses.replace(cfg.gan, channels=images.channels), self.num_classes)
        # channels-last tensors make oneDNN's (and cuDNN's) convolutions ~30 % faster here
        self.G.to(self.device, memory_format=torch.channels_last)
        self.D.to(self.device, memory_format=torch.channels_last)
        self.G_ema = copy.deepcopy(self.G).eval()
        for p in self.G_ema.parameters():
            p.requires_grad_(False)
        betas = (cfg.beta1, cfg.beta2)
        self.opt_g = speed.adam(self.G.parameters(), cfg.lr_g, betas, self.speed)
        self.opt_d = speed.adam(self.D.parameters(), cfg.lr_d, betas, self.speed)
        # compiled views (the same parameters) of what needs no double backward; the penalty's
        # critic below calls the eager D
        self._G = speed.compiled(self.G, self.speed)
        self._features = speed.compiled(self.D.features, self.speed)
        self._classifier = speed.compiled(self.classifier, self.speed) if self.classifier is not None else None
        self.rng = torch.Generator().manual_seed(cfg.seed)
        self.augment = DiffAugment() if cfg.diffaug else None
        self.step = 0
        self.history: list[dict] = []
        self.seconds = 0.0
        self.checkpoint_dir = checkpoint_dir

    # ---------------------------------------------------------------- sampling
    def sample_real(self) -> tuple[torch.Tensor, torch.Tensor]:
        idx = torch.randint(0, len(self.real_y), (self.cfg.batch_size,), generator=self.rng)
        return self.real_x[idx].to(self.device), self.real_y[idx].to(self.device)

    def _du_fraction(self) -> float:
        cfg = self.cfg
        if cfg.include_target and not isinstance(cfg.target_fraction, tuple) and 0 <= cfg.target_fraction != 1.0:
            return -1.0  # with every class real, labels are uniform
        return cfg.target_fraction

    def _seen_labels(self, n: int, g: torch.Generator) -> torch.Tensor:
        """``n`` labels uniform over the classes Dc may see (every class with ``include_target``)."""
        return _fake_labels(n, self.num_classes, self.targets, -1.0 if self.cfg.include_target else 0.0, g)

    def sample_fake_inputs(self, g: torch.Generator | None = None) -> FakeBatch:
        """One step's fakes for both heads (:class:`FakeBatch`), drawn from ``g`` (the trainer's
        generator by default).

        Du's batch: ``batch_size`` fakes whose labels follow ``target_fraction`` (class dilution).
        Dc's batch: ``batch_size`` fakes uniform over the seen classes *whatever* ``target_fraction``
        is — the seen-class fakes of Du's batch, topped up with fresh seen-class fakes (or cut to
        ``batch_size``). So raising the target share dilutes Du without weakening Dc; at the default
        1/C the step is the paper's single batch plus about ``batch_size / C`` extra fakes.
        """
        cfg, g = self.cfg, self.rng if g is None else g
        z = torch.randn(cfg.batch_size, self.G.z_dim, generator=g)
        y = _fake_labels(cfg.batch_size, self.num_classes, self.targets, self._du_fraction(), g)
        if not cfg.use_dc:
            return FakeBatch(z.to(self.device), y.to(self.device), cfg.batch_size, torch.empty(0, dtype=torch.long))
        seen = torch.ones_like(y, dtype=torch.bool) if cfg.include_target else \
            ~torch.isin(y, torch.tensor(self.targets))
        shared = torch.nonzero(seen).flatten()[: cfg.batch_size]
        if not cfg.dc_own_batch:  # the paper's single batch: Dc scores its seen-class fakes, however few
            return FakeBatch(z.to(self.device), y.to(self.device), cfg.batch_size, shared.to(self.device))
        extra = cfg.batch_size - len(shared)
        if extra:
            z = torch.cat([z, torch.randn(extra, self.G.z_dim, generator=g)])
            y = torch.cat([y, self._seen_labels(extra, g)])
        dc = torch.cat([shared, torch.arange(cfg.batch_size, cfg.batch_size + extra)])
        return FakeBatch(z.to(self.device), y.to(self.device), cfg.batch_size, dc.to(self.device))

    def training_labels(self, n: int, g: torch.Generator) -> torch.Tensor:
        """``n`` labels drawn as the generator saw them in training (both heads' fakes): the label
        distribution of this method, for the EMA generator's standing statistics."""
        out, total = [], 0
        while total < n:
            y = self.sample_fake_inputs(g).y.cpu()
            out.append(y)
            total += len(y)
        return torch.cat(out)[:n]

    def _d_input(self, x: torch.Tensor) -> torch.Tensor:
        return self.augment(x, self.rng) if self.augment is not None else x

    # ---------------------------------------------------------------- one update each
    def d_step(self) -> dict:
        """One discriminator update: Dc hinge on seen-class fakes, Du WGAN-GP on fakes of all classes."""
        cfg = self.cfg
        x_real, y_real = self.sample_real()
        fakes = self.sample_fake_inputs()
        dc_real = dc_fake = du_real = du_fake = gp = None  # a head that is off
        with self._autocast():
            with torch.no_grad():
                x_fake = self._G(fakes.z, fakes.y)  # (n_du + extra, C, H, W)
            h_real = self._features(self._d_input(x_real))
            h_fake = self._features(self._d_input(x_fake))
            if cfg.use_dc:
                dc_real, _ = self.D.heads(h_real, y_real)
                dc_fake, _ = self.D.heads(h_fake[fakes.dc], fakes.y[fakes.dc])  # Dc never sees a target fake
            if cfg.use_du:
                du_real = self.D.linear_u(h_real).squeeze(1)
                du_fake = self.D.linear_u(h_fake[: fakes.n_du]).squeeze(1)  # fakes of all classes: class dilution
        if cfg.use_du:
            alpha = torch.rand(cfg.batch_size, 1, 1, 1, generator=self.rng).to(self.device)
            critic = lambda x: self.D.linear_u(self.D.features(self._d_input(x))).squeeze(1)  # noqa: E731
            with speed.full_precision(self.device):  # the double backward: eager D, float32
                gp = losses.gradient_penalty(critic, x_real, x_fake[: fakes.n_du].float(), alpha)
        # an empty dc_fake (single batch, every fake a target fake) leaves Dc's fake term at 0
        loss, parts = objective.discriminator_objective(dc_real, dc_fake, du_real, du_fake, gp,
                                                        lambda_gp=cfg.lambda_gp, drift=cfg.drift)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return {k: float(v.detach()) for k, v in parts.items()}

    def g_step(self) -> dict:
        """One generator update: fool Dc on seen-class fakes and Du on all, satisfy the classifier."""
        cfg = self.cfg
        fakes = self.sample_fake_inputs()
        # D's weights get no gradient in G's update (d_step clears them anyway): freezing them skips
        # their backward, same maths, and G's gradient flows through D as before
        frozen = [p for p in self.D.parameters() if p.requires_grad]
        for p in frozen:
            p.requires_grad_(False)
        try:
            with self._autocast():
                x = self._G(fakes.z, fakes.y)
                h = self._features(self._d_input(x))
                dc = self.D.heads(h[fakes.dc], fakes.y[fakes.dc])[0] if cfg.use_dc and len(fakes.dc) else None
                du = self.D.linear_u(h[: fakes.n_du]).squeeze(1) if cfg.use_du else None
                # the classifier sees Du's batch: every class, the target at its share
                logits = self._classifier(x[: fakes.n_du]) if cfg.lambda_cls > 0 else None
            return self._g_update(cfg, fakes, dc, du, logits)
        finally:
            for p in frozen:
                p.requires_grad_(True)

    def _autocast(self):
        return speed.autocast(self.device, self.cfg.precision)

    def _g_update(self, cfg, fakes, dc, du, logits) -> dict:
        loss, parts = objective.generator_objective(dc, du, logits, fakes.y[: fakes.n_du],
                                                    lambda_cls=cfg.lambda_cls, drift=cfg.drift)
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_g.step()
        decay = cfg.ema_decay if self.step >= cfg.ema_start else 0.0
        _ema_update(self.G_ema, self.G, decay)
        return {k: float(v.detach()) for k, v in parts.items()}

    def _check(self, record: dict) -> None:
        for name, value in record.items():
            if not math.isfinite(value) or abs(value) > self.cfg.max_abs_loss:
                raise TrainingDiverged(
                    f"training diverged at step {self.step}: {name} = {value:g}; lower lr_d/lr_g or raise lambda_gp"
                )

    # ---------------------------------------------------------------- loop, checkpoints
    def run(self, until: int | None = None, progress: bool = True, log_every: int = 25,
            on_step: Callable[["ProbeGANTrainer"], None] | None = None) -> None:
        """Train from the current step to ``until`` (default ``cfg.steps``), checkpointing on the way."""
        until = self.cfg.steps if until is None else until
        with self._cudnn():
            self._run(until, progress, log_every, on_step)

    def _cudnn(self):
        if self.device.type != "cuda" or not self.speed.cudnn_benchmark:
            return contextlib.nullcontext()
        return torch.backends.cudnn.flags(enabled=True, benchmark=True)

    def _run(self, until: int, progress: bool, log_every: int, on_step) -> None:
        bar = tqdm(total=until, initial=self.step, desc="ProbeGAN", disable=quiet(progress))
        self.G.train()
        self.D.train()

        def log(d_rec: dict, g_rec: dict) -> None:
            self.history.append({"step": self.step, **d_rec, **g_rec})
            bar.set_postfix(d=f"{d_rec['d_loss']:.2f}", g=f"{g_rec['g_loss']:.2f}")

        def after_step() -> None:
            bar.update(1)
            if on_step is not None:
                on_step(self)
            if self.checkpoint_dir is not None and self.step % self.cfg.checkpoint_every == 0:
                self.save_checkpoint()

        train_loop(self, until, log_every, log, after_step)
        bar.close()

    def _hash(self, key=trajectory_key) -> str:
        """What a checkpoint must match to resume: the trajectory (:func:`trajectory_key`), not the budget."""
        return config_hash(key(self.cfg) | {"target": self.target, "n_real": len(self.real_y),
                                            "version": PROBEGAN_VERSION})

    def _hashes(self) -> tuple[str, ...]:
        """The hashes a resumable checkpoint may carry: this one, and the whole config's (before 2026-12-06)."""
        return self._hash(), self._hash(config_key)
