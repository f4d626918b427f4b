"""What a probe of someone's classifier trains at each scale: the ProbeGAN trainer (its
architecture follows the resolution), when it stops, the samples it draws, the report's
independent judge.

Training stops at the first check (every ``check_every`` steps) at which the GAN draws the seen
classes (``seen``: :class:`~probelib.probing.seen.SeenRule`), or at the budget, the trainer's
``steps`` (:mod:`probelib.probing.stopping`); ``probe(steps=N)`` trains exactly N steps instead.
The `cpu` values were chosen by ``benchmarks/probe_stop_sweep.py`` (its docstring states the
rule; ``benchmarks/measured/probe_stop_cpu.jsonl`` holds what it measured).

``smoke`` runs in seconds (tests), ``cpu`` in minutes on two cores, ``gpu`` at paper scale
(``gpu-smoke``: its trainer at 200 steps, a check of the GPU path); the
`cpu` trainer is the book's (chapters 2-3) with a budget instead of a fixed count, so a probe of a user's model is trained as
the book's probes are.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..models.gan import GANConfig, architecture
from ..train.classifier import ClassifierConfig
from ..train.probegan import ProbeGANConfig
from .seen import SeenRule

__all__ = ["ProbeSettings", "SETTINGS", "settings", "trainer_config"]


@dataclass(frozen=True)
class ProbeSettings:
    """One scale of :func:`probelib.probe`."""

    name: str
    trainer: ProbeGANConfig  # everything but the architecture, which follows the resolution; steps: the budget
    ch: int  # the architecture's width unit
    narrow: bool  # narrower high-resolution blocks (the `cpu` trade)
    n_samples: int  # generated target images per seed
    judge: ClassifierConfig  # the report's independent judge (seen classes + the reference)
    neighbours: int = 3  # nearest real seen-class images shown per generated image
    gan_workers: int = 1  # seeds trained side by side on a CPU, one thread each
    check_every: int = 100  # generator steps between two seen-class checks (the stopping rule)
    seen: SeenRule = SeenRule()  # when the GAN draws the seen classes: the report's verdict, the stopping rule


SETTINGS: dict[str, ProbeSettings] = {
    "smoke": ProbeSettings(
        "smoke", ProbeGANConfig(gan=GANConfig(ch=2, z_dim=20, shared_dim=8), steps=3, batch_size=8,
                                checkpoint_every=2),
        ch=2, narrow=True, n_samples=24,
        judge=ClassifierConfig(arch="evalnet", width=8, epochs=1, batch_size=32, seed=1000),
        check_every=2, seen=SeenRule(n_fakes=8, n_real=16)),
    "cpu": ProbeSettings(
        # steps: the budget of training until the GAN draws the seen classes (probe_stop_sweep.py, 2026-12-06:
        # 1.5 x the 1,000 steps of a sweep run that never drew; the fixed count it replaces was 700)
        "cpu", ProbeGANConfig(steps=1500, batch_size=32, lr_g=6e-4, lr_d=6e-4, lambda_cls=2.0, diffaug=True,
                              ema_decay=0.99, checkpoint_every=350),
        ch=16, narrow=True, n_samples=500,
        judge=ClassifierConfig(arch="evalnet", width=32, epochs=6, batch_size=128, seed=1000), gan_workers=2,
        check_every=100, seen=SeenRule(max_kid_ratio=0.15)),  # chosen by probe_stop_sweep.py (its rule, 2026-12-06)
    "gpu": ProbeSettings(
        "gpu", ProbeGANConfig(steps=100_000, d_steps=4, batch_size=64, ema_decay=0.9999, ema_start=1000,
                              checkpoint_every=2000),
        ch=64, narrow=False, n_samples=10_000,
        judge=ClassifierConfig(arch="evalnet", width=64, epochs=30, batch_size=128, seed=1000), check_every=1000,
        seen=SeenRule(max_kid_ratio=0.15)),  # the cpu sweep's thresholds (scale-free; no GPU sweep yet)
    "gpu-smoke": ProbeSettings(  # the `gpu` trainer and architecture at 200 steps: does the GPU path run?
        "gpu-smoke", ProbeGANConfig(steps=200, d_steps=4, batch_size=64, ema_decay=0.9999, ema_start=100,
                                    checkpoint_every=100),
        ch=64, narrow=False, n_samples=1000,
        judge=ClassifierConfig(arch="evalnet", width=64, epochs=2, batch_size=128, seed=1000), check_every=100,
        seen=SeenRule(max_kid_ratio=0.15)),
}


def settings(profile: str) -> ProbeSettings:
    """The settings called ``profile`` (one-line error for an unknown name)."""
    if profile not in SETTINGS:
        raise ValueError(f"unknown profile {profile!r}; choose one of: {', '.join(SETTINGS)}")
    return SETTINGS[profile]


def trainer_config(s: ProbeSettings, resolution: int, channels: int, steps: int | None = None, seed: int = 0
                   ) -> ProbeGANConfig:
    """The trainer for ``resolution``×``resolution`` images of ``channels`` channels: the
    profile's trainer with BigGAN's architecture for that resolution."""
    base = s.trainer.gan
    gan = architecture(resolution, channels, ch=s.ch, narrow=s.narrow, z_dim=base.z_dim, shared_dim=base.shared_dim)
    return dataclasses.replace(s.trainer, gan=gan, steps=s.trainer.steps if steps is None else steps, seed=seed)
