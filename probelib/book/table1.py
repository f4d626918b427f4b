"""Table 1 of ProbeGAN as one function: every method × seed trained (or served from the cache),
its target samples drawn, scored by every judge; and the paper's orderings as claims.

Methods (see :data:`probelib.train.baselines.METHODS`): BigGAN on all classes (upper bound),
ProbeGAN-oracle (target present), BigGAN-AM (a seen-class GAN's embedding searched toward the
target), NAIVE and ProbeGAN, each probing the regular and the robust classifier.
"""
from __future__ import annotations

import pandas as pd
import torch
from torch import nn

from .. import data as datamod
from ..measure.fid import fid
from ..train.gans import sample
from .chapter import Chapter
from .compare import Claim, Run, score_runs
from .experiments import am_samples, gan, gan_job, prefetch, target_samples

__all__ = ["ORDER", "CLAIMS", "rows", "table1"]

#: the rows in the paper's order
ORDER = ["biggan-all", "probegan-oracle", "biggan-am-regular", "naive-regular", "probegan-regular",
         "biggan-am-robust", "naive-robust", "probegan-robust"]

#: the paper's orderings, each checked per judge with intervals over seeds
CLAIMS = [
    Claim("ProbeGAN-robust is recognised more often than NAIVE-robust", "probegan-robust", "naive-robust",
          "recognition (%)"),
    Claim("ProbeGAN-robust is recognised more often than BigGAN-AM-robust", "probegan-robust", "biggan-am-robust",
          "recognition (%)"),
    Claim("ProbeGAN-robust has a lower intra-FID than NAIVE-robust", "probegan-robust", "naive-robust", "intra-FID"),
    Claim("ProbeGAN-robust has a lower intra-FID than BigGAN-AM-robust", "probegan-robust", "biggan-am-robust",
          "intra-FID"),
    Claim("ProbeGAN-robust has a lower KID than NAIVE-robust", "probegan-robust", "naive-robust", "KID"),
    Claim("ProbeGAN-robust beats ProbeGAN-regular on intra-FID (paper: 45.4 vs 91.4)", "probegan-robust",
          "probegan-regular", "intra-FID"),
    Claim("ProbeGAN-robust is recognised more often than ProbeGAN-regular", "probegan-robust", "probegan-regular",
          "recognition (%)"),
    Claim("ProbeGAN-robust covers more of the real target than NAIVE-robust", "probegan-robust", "naive-robust",
          "coverage"),
    Claim("the oracle (target present) beats ProbeGAN-robust on intra-FID", "probegan-oracle", "probegan-robust",
          "intra-FID"),
]


def rows(ch: Chapter) -> list[tuple[str, str, str | None, list[int]]]:
    """``(row, method, probed classifier, seeds)`` of every GAN row, seeds from the profile."""
    P = ch.profile
    main = [ch.seed + i for i in range(P.seeds_main)]
    other = [ch.seed + i for i in range(P.seeds_other)]
    single = [ch.seed + i for i in range(P.seeds_single)]
    return [("probegan-robust", "probegan", "robust", main), ("probegan-regular", "probegan", "regular", other),
            ("naive-robust", "naive", "robust", other), ("naive-regular", "naive", "regular", other),
            ("biggan-all", "biggan-all", None, single), ("probegan-oracle", "probegan-oracle", "robust", single)]


def table1(ch: Chapter, train: datamod.ImageSet, nets: dict, judges: dict[str, nn.Module], fid_features: nn.Module,
           real_target: torch.Tensor, real_all: torch.Tensor, progress: bool = True
           ) -> tuple[pd.DataFrame, dict[str, list[torch.Tensor]]]:
    """Train (or load) every row's GANs, sample ``n_samples`` target images per run and score them
    with every judge. Returns the long table (row, seed, judge, metrics, FID over all classes by
    ``fid_features``, training minutes) and the samples ``{row: [per seed]}``."""
    P, C = ch.profile, len(ch.classes)
    per_class = len(real_all) // C
    runs, fakes = [], {}

    def _add(row, seed, x_t, x_all, minutes):
        fakes.setdefault(row, []).append(x_t)
        fid_all = fid(real_all, x_all, fid_features) if x_all is not None else float("nan")
        runs.append(Run(row, seed, x_t, {"FID (all)": fid_all, "train min": minutes}))

    singles = [ch.seed + i for i in range(P.seeds_single)]
    prefetch(ch, [gan_job(ch, train, nets, method, kind, s) for _, method, kind, seeds in rows(ch) for s in seeds]
             + [gan_job(ch, train, nets, "biggan-seen", None, s) for s in singles])
    for row, method, kind, seeds in rows(ch):
        for s in seeds:
            res = gan(ch, train, nets, method, kind, seed=s, progress=progress)
            x_t = target_samples(res, P.n_samples, seed=s)
            # NAIVE's generator only ever draws the target: no FID over all classes
            x_all = None if method == "naive" else torch.cat([sample(res.generator, c, per_class, seed=s)
                                                              for c in range(C)])
            _add(row, s, x_t, x_all, res.seconds_per_step * res.config.steps / 60)
    for s in singles:
        prior = gan(ch, train, nets, "biggan-seen", None, seed=s, progress=progress)
        seen = [sample(prior.generator, c, per_class, seed=s) for c in range(C) if c != ch.target]
        for kind in ("robust", "regular"):
            x_t, _ = am_samples(ch, prior, nets[kind], P.n_samples, seed=s, progress=progress)
            _add(f"biggan-am-{kind}", s, x_t, torch.cat(seen + [x_t[:per_class]]),
                 prior.seconds_per_step * prior.config.steps / 60)
    return score_runs(runs, judges, real_target, ch.target), fakes
