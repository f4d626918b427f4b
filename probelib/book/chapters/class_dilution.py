"""Chapter 2's plumbing: the class-dilution ablation scored, summarised and stated.

The chapter trains (or reads from the cache) one ProbeGAN-robust per setting of
:func:`~probelib.book.chapters.class_dilution.dilution_settings` and seed; these functions score the runs
with every judge, format the tables, draw the sample grid, state the claims and the headline, and
count the fake labels each head sees at a given ``target_fraction`` (no training: the trainer's
label sampling alone).
"""
from __future__ import annotations

import dataclasses

import pandas as pd
import torch
from torch import nn

from ... import data as datamod
from ...train.probegan import ProbeGANConfig, ProbeGANTrainer
from ...viz import image_grid
from ..chapter import Chapter
from ..compare import Claim, Run, fmt_ci, score_runs, summarise
from ..runs import DEV, Planned, planned

__all__ = ["DILUTION_PAPER", "DILUTION_SINGLE", "PAPER_RECIPE", "recipe_differences", "dilution_settings", "dilution_seeds", "plan", "MAIN", "METRICS", "QUALITY", "target_shares", "score", "metric_tables", "recognition_table",
           "quality_table", "samples_figure", "claims", "single_batch_claims", "single_batch_sentence",
           "glue_recognition", "finding_text", "label_shares"]


#: chapter 2's row names (labels, not cache keys: a GAN's key is its config). The paper's dilution
#: (fake labels uniform over all C classes) with the book's recipe, in which Dc has its own batch of
#: seen-class fakes (ours, not the paper's)
MAIN = "1/C (ours: Dc's own batch)"
#: the same with the paper's single fake batch: Dc scores the seen-class part of Du's batch
DILUTION_SINGLE = "1/C, single batch (paper's form)"
#: the book's recipe with the paper's λg, learning rates and no DiffAugment; every other setting
#: (batch, steps, D steps, EMA, width, Dc's own batch, ...) stays the book's: see :func:`recipe_differences`
DILUTION_PAPER = "paper's λg, lr, no DiffAugment"


def dilution_settings(P) -> dict[str, dict]:
    """Chapter 2's settings of ProbeGAN-robust: ``{name: trainer changes}``, the book's recipe at
    1/C first, then the target shares of ``P.dilution_fractions``, no Dc, the paper's single
    batch and the paper's λg, learning rates and no DiffAugment."""
    out = {MAIN: {}}
    out.update({f"{f:g}": {"target_fraction": f} for f in P.dilution_fractions})
    out["no Dc (1/C)"] = {"use_dc": False}
    out[DILUTION_SINGLE] = {"dc_own_batch": False}  # the paper's form: Dc scores the seen part of Du's batch
    out[DILUTION_PAPER] = {"lambda_cls": 1.0, "diffaug": False, "lr_g": 2e-4, "lr_d": 2e-4}  # the paper's values
    return out


def dilution_seeds(ch: Chapter) -> dict[str, list[int]]:
    """The seeds of each of chapter 2's settings (``seeds_main`` at 1/C, ``seeds_ablation`` else)."""
    P = ch.profile
    return {name: [ch.seed + i for i in range(P.seeds_main if name == MAIN else P.seeds_ablation)]
            for name in dilution_settings(P)}


def plan(ch: Chapter) -> list[Planned]:
    """Every GAN of the ablation: ProbeGAN-robust for each setting of :func:`dilution_settings` and
    each of its seeds (:func:`dilution_seeds`), the row named after the setting."""
    settings, seeds = dilution_settings(ch.profile), dilution_seeds(ch)
    return [planned(ch, name, "probegan", "robust", s, **settings[name]) for name in settings for s in seeds[name]]


#: the metrics of the ablation, in the order of the tables
METRICS = ("recognition (%)", "intra-FID", "KID", "coverage")
#: the metrics of the image-quality table (recognition has its own)
QUALITY = ("intra-FID", "KID", "coverage")


def target_shares(settings: dict[str, dict], num_classes: int) -> dict[str, float]:
    """The share of target-class fakes among Du's fakes of each setting (1/C unless the setting
    sets ``target_fraction``)."""
    return {name: changes.get("target_fraction", 1 / num_classes) for name, changes in settings.items()}


def score(ch: Chapter, runs: dict, samples: dict, settings: dict[str, dict], judges: dict[str, nn.Module],
          real_target: torch.Tensor) -> pd.DataFrame:
    """The long table of :func:`~probelib.book.compare.score_runs` for ``runs`` (``{(setting,
    seed): result}``) and their ``samples``, with each run's target share and seconds per step."""
    share = target_shares(settings, len(ch.classes))
    return score_runs([Run(name, s, samples[(name, s)], {"target share": share[name],
                                                         "s / step": runs[(name, s)].seconds_per_step})
                       for name, s in runs], judges, real_target, ch.target)


def metric_tables(long: pd.DataFrame, rows: list[str]) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """``{metric: (text, numbers)}`` of :func:`~probelib.book.compare.summarise` for every metric
    of :data:`METRICS` (one decimal for recognition and intra-FID, two for KID and coverage)."""
    return {m: summarise(long, m, rows, digits=1 if m in ("recognition (%)", "intra-FID") else 2)
            for m in METRICS}


def recognition_table(tables: dict, settings: dict[str, dict], num_classes: int) -> pd.DataFrame:
    """Rows the settings, a target-share column, then each judge's recognition (%) as
    ``mean (low–high)`` over seeds."""
    text = tables["recognition (%)"][0].copy()
    text.columns = [f"{j} (%)" for j in text.columns]
    share = target_shares(settings, num_classes)
    text.insert(0, "target share of Du's fakes", [f"{share[r]:.2f}" for r in text.index])
    text.index.name = "setting"
    return text


def quality_table(tables: dict) -> pd.DataFrame:
    """Rows (judge, setting), columns intra-FID, KID and coverage, ``mean (low–high)`` strings:
    one block of settings per judge, narrow enough for a page."""
    first = tables[QUALITY[0]][0]
    index = pd.MultiIndex.from_tuples([(j, r) for j in first.columns for r in first.index],
                                      names=["judge", "setting"])
    return pd.DataFrame({m: [tables[m][0].loc[r, j] for j, r in index] for m in QUALITY}, index=index)


def samples_figure(ch: Chapter, real_target: torch.Tensor, samples: dict, seeds: dict[str, list[int]],
                   n: int = 8):
    """The first ``n`` generated target images of each setting's first seed, under ``n`` real
    target images (drawn with the chapter's seed): one row each."""
    order = torch.randperm(len(real_target), generator=torch.Generator().manual_seed(ch.seed))
    rows = [real_target[order[:n]]] + [samples[(name, s[0])][:n] for name, s in seeds.items()]
    return image_grid(rows, [f"real {ch.target_class}"] + list(seeds), cell=0.8)


def claims(fractions) -> list[Claim]:
    """The orderings the paper implies: 1/C beats every larger target share and beats no Dc; and
    the book's recipe beats the paper's at this budget (all on recognition)."""
    out = [Claim(f"1/C beats a target share of {f:g}", MAIN, f"{f:g}", "recognition (%)") for f in fractions]
    return out + [Claim("1/C beats no Dc", MAIN, "no Dc (1/C)", "recognition (%)"),
                  Claim("our λg, lr and DiffAugment beat the paper's at this budget", MAIN, DILUTION_PAPER,
                        "recognition (%)")]


def single_batch_claims() -> list[Claim]:
    """Dc's own batch against the paper's single batch at 1/C, on every metric."""
    return [Claim(f"Dc's own batch vs the single batch: {m}", MAIN, DILUTION_SINGLE, m) for m in METRICS]


def single_batch_sentence(same: pd.DataFrame, judges) -> str:
    """Whether any panel judge separates Dc's own batch from the single batch (``same`` is
    :func:`~probelib.book.compare.verdicts` of :func:`single_batch_claims`)."""
    panel = [j for j in judges if j != DEV]
    indistinct = bool(same[panel].isin(["on average", "fails"]).all().all())
    return ("Dc's own batch against the paper's single batch at 1/C: "
            + ("no panel judge separates them on any metric (intervals over seeds overlap): at the default the "
               "two forms are statistically the same at this number of seeds."
               if indistinct else
               "the intervals are apart for some judge and metric (table above): the two forms differ."))


def glue_recognition(rec: pd.DataFrame) -> None:
    """Glue each setting's mean recognition per judge as ``recognition <setting> <judge>``."""
    from ..ledger import glue

    for name in rec.index:
        for j in rec.columns:
            glue(f"recognition {name} {j}", round(rec.loc[name, j][0], 1))


def finding_text(ch: Chapter, rec: pd.DataFrame) -> str:
    """The chapter's headline: the panel ViT's recognition at 1/C, with only target fakes, without
    Dc and with the paper's λg, learning rates and no DiffAugment (95 % intervals over seeds)."""
    vit = rec["panel: ViT"]
    top = f"{max(ch.profile.dilution_fractions):g}"
    return (f"{ch.target_class} absent, recognised by the panel's ViT: {fmt_ci(*vit[MAIN])} % at "
            f"dilution 1/C, {fmt_ci(*vit[top])} % with only target fakes in Du's "
            f"batch, {fmt_ci(*vit['no Dc (1/C)'])} % without Dc, {fmt_ci(*vit[DILUTION_PAPER])} % with the "
            f"paper's λg, learning rates and no DiffAugment, the rest of the recipe ours (95 % intervals over seeds)")


def label_shares(cfg: ProbeGANConfig, images: datamod.ImageSet, target: int | str, steps: int = 200,
                 **changes) -> dict[str, float]:
    """What each head sees per step at ``cfg`` with ``changes`` (e.g. ``target_fraction=0.5``,
    ``dc_own_batch=False``), averaged over ``steps`` draws of the trainer's fake labels; nothing
    is trained. Returns the target share of Du's fakes, the number of Du's and Dc's fakes, the
    target share of Dc's fakes and how many fakes G makes per step."""
    cfg = dataclasses.replace(cfg, **changes, lambda_cls=0.0, diffaug=False)
    trainer = ProbeGANTrainer(cfg, images, None, target, device="cpu")
    g = torch.Generator().manual_seed(cfg.seed)
    du, dc_n, dc_t, made = [], [], [], []
    for _ in range(steps):
        b = trainer.sample_fake_inputs(g)
        y_du, y_dc = b.y[: b.n_du].cpu(), b.y[b.dc.cpu()].cpu() if len(b.dc) else b.y[:0].cpu()
        du.append(float((y_du == trainer.target).float().mean()))
        dc_n.append(len(y_dc))
        dc_t.append(float((y_dc == trainer.target).float().mean()) if len(y_dc) else 0.0)
        made.append(len(b.y))
    mean = lambda v: sum(v) / len(v)  # noqa: E731
    return {"target share of Du's fakes": mean(du), "Du's fakes": float(b.n_du), "Dc's fakes": mean(dc_n),
            "target share of Dc's fakes": mean(dc_t), "fakes G makes": mean(made)}


# ---------------------------------------------------------------- the book's recipe against the paper's
#: the paper's recipe for CIFAR-10 (ProbeGAN, Zhang et al. 2022) and where each value comes from:
#: the paper's text (section named) or the reference implementation's numbers in
#: /work/shared/REFERENCE.md ("reference code"). ``{setting: (paper's value, source)}``
PAPER_RECIPE = {
    "data set": ("CIFAR-10: 10 classes, colour", "paper, Configurations (Datasets); Table 1"),
    "resolution": ("32×32", "paper, Table 1 (CIFAR-10); reference code"),
    "probed classifier": ("ResNet-50 (MadryLab); robust: L2 adversarial training, ε = 0.5",
                          "paper, Configurations (Baselines: regular and robust); reference code"),
    "architecture": ("BigGAN at 32 px, ch = 64: 256 channels in every block of G and D (≈ 4.4 M / 4.2 M "
                     "parameters), z 120, shared embedding 128, spectral norm",
                     "paper, Implementation (G and Dc as BigGAN); reference code"),
    "batch": ("64", "reference code"),
    "generator steps": ("≈ 100,000", "reference code"),
    "D steps per G step": ("4", "reference code"),
    "learning rates (G / D)": ("2e-4 / 2e-4", "reference code"),
    "Adam betas": ("(0.0, 0.999)", "reference code"),
    "λg (λ_cls)": ("1.0", "paper, eq. 1 (λg); value: reference code"),
    "λ_gp": ("10", "paper, eq. 3 (λgp); value: reference code"),
    "drift term": ("1e-4·Du² on D and G", "reference code"),
    "EMA of G": ("decay 0.9999 from step 1,000", "reference code"),
    "DiffAugment": ("no", "paper, Implementation (not used); reference code"),
    "Dc's fakes": ("one batch: Dc scores its seen-class fakes, the target's dropped",
                   "paper, eq. 1-2 (Lc over y ≠ y*); reference code"),
    "Du's fakes (dilution)": ("labels uniform over all C classes (1/C)", "paper, Class Dilution; reference code"),
    "checkpoint": ("picked by the unseen class's intra-FID (uses real target images)", "reference code"),
}


def _sci(x: float) -> str:
    """``6e-4`` for 0.0006 (the paper's way of writing rates), plain ``g`` format from 0.1 up."""
    return f"{x:g}" if x == 0 or abs(x) >= 0.1 else f"{x:.0e}".replace("e-0", "e-")


def recipe_differences(P, train: datamod.ImageSet) -> pd.DataFrame:
    """Every setting of the profile ``P``'s ProbeGAN recipe (read from ``P``, on the chapter's
    data ``train``) beside the paper's (:data:`PAPER_RECIPE`), whether they are the same, and
    the paper value's source. Formatted strings, one row per setting."""
    cfg, gan, clf = P.probegan, P.probegan.gan, P.classifier
    side = int(train.images.shape[-1])
    robust = f"robust: PGD-L2 adversarial training, ε = {P.robust_eps:g} in [-1, 1] pixel units ({clf.adv_steps} steps)"
    ours = {
        "data set": f"{train.name}: {train.num_classes} classes, {'grey' if train.channels == 1 else 'colour'}",
        "resolution": f"{side}×{side}",
        "probed classifier": f"small pre-activation ResNet, width {clf.width}, {clf.epochs} epochs; {robust}",
        "architecture": (f"BigGAN at {side} px, ch = {gan.ch}: G {'/'.join(str(gan.ch * m) for m in gan.g_mult)}, "
                         f"D {'/'.join(str(gan.ch * m) for m in gan.d_mult)} channels, z {gan.z_dim}, shared "
                         f"embedding {gan.shared_dim}" + (", spectral norm" if gan.spectral else "")),
        "batch": f"{cfg.batch_size}",
        "generator steps": f"{cfg.steps:,}",
        "D steps per G step": f"{cfg.d_steps}",
        "learning rates (G / D)": f"{_sci(cfg.lr_g)} / {_sci(cfg.lr_d)}",
        "Adam betas": f"({cfg.beta1:.1f}, {cfg.beta2:g})",
        "λg (λ_cls)": f"{cfg.lambda_cls:.1f}",
        "λ_gp": f"{cfg.lambda_gp:g}",
        "drift term": f"{_sci(cfg.drift)}·Du² on D and G",
        "EMA of G": f"decay {cfg.ema_decay:g} from step {cfg.ema_start:,}",
        "DiffAugment": "yes (translation + cutout)" if cfg.diffaug else "no",
        "Dc's fakes": ("its own batch of batch-size seen-class fakes (Du's seen fakes, topped up)" if cfg.dc_own_batch
                       else PAPER_RECIPE["Dc's fakes"][0]),
        "Du's fakes (dilution)": ("labels uniform over all C classes (1/C)" if cfg.target_fraction == -1.0
                                  else f"target share {cfg.target_fraction}"),
        "checkpoint": "the EMA generator after the last step (no selection)",
    }
    rows = {k: {f"book ({P.name} profile)": ours[k], "paper": paper, "same": "yes" if ours[k] == paper else "no",
                "paper's source": source} for k, (paper, source) in PAPER_RECIPE.items()}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "setting"
    return frame
