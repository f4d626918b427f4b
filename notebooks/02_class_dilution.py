# ---
# jupyter:
#   jupytext:
#     formats: notebooks///py:percent,book/chapters///ipynb
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2 · Class dilution: why the unconditional discriminator needs fakes of every class
#
# ProbeGAN must draw a class that is absent from its image set. Its unconditional
# discriminator Du compares generated images with real ones; if the fakes it sees were all
# of the absent class, Du could reject them for *being that class* rather than for looking
# unnatural, and the generator would be pushed away from the very class it should draw.
# ProbeGAN's answer is *class dilution*: Du sees fakes of **all** classes, so the absent
# class is only a small share of its fakes.
#
# This chapter shows:
# - the objective (eq. 1–4 of the paper) and where dilution happens in the code;
# - a measured ablation over the share of target-class fakes among Du's fakes (1/C as in
#   the paper, then 0.3, 0.5 and 1.0) with Dc's own batch of seen-class fakes held fixed, with
#   Dc removed, in the paper's single-batch form, and with the paper's exact recipe;
# - recognition, intra-FID, KID and coverage of the generated target class for each, by the
#   development judge and a reporting panel, with 95 % intervals over seeds and sample grids.

# %% tags=["parameters"]
profile = "cpu"  # smoke (seconds) | cpu (minutes on 2 cores) | gpu (paper scale) | gpu-smoke (gpu at 200 steps)
dataset = "animal-mnist"  # animal-mnist | digits | cifar10 | imagefolder
target_class = "horse"  # the class absent from the GAN's image set
seed = 0  # one seed for everything in this chapter
data_dir = None  # folder with CIFAR-10 or an image folder; None for the bundled data
run_dir = "runs"  # cache, samples and ledger, relative to the project root
fid_extractor = None  # FID features: None = as the profile says (judge on smoke and cpu, inception on gpu) | judge | inception
inception_weights = None  # path to weights-inception-2015-12-05-6726825d.pth (or $PROBELIB_INCEPTION_WEIGHTS)

# %%
import pandas as pd
import torch
from IPython.display import display

import probelib as pl
from probelib import book, measure, viz
from probelib.book import compare, experiments

ch = book.setup(profile=profile, dataset=dataset, target_class=target_class, seed=seed,
                data_dir=data_dir, run_dir=run_dir)
P = ch.profile
train = ch.load("train")
nets = experiments.classifiers(ch)  # chapter 1's classifiers and judge, from the cache
judges = experiments.judges(ch, nets)  # the development judge and the reporting panel
fid_feats = measure.fid_extractor(fid_extractor or P.fid_extractor, nets["eval"].model, inception_weights)
real_target = experiments.real_target_images(ch)  # evaluation only: never used to train or select
C = len(ch.classes)
print(f"profile {P.name!r}: {P.probegan.steps} generator steps per GAN, batch {P.probegan.batch_size}, "
      f"{P.probegan.d_steps} D step(s) per G step; target {ch.target_class!r}; {C} classes")

# %% [markdown]
# ## The objective
#
# With $\mathcal{Y}$ all classes and $y^*$ the target, ProbeGAN solves (eq. 1)
#
# $$\min_G \max_{D_c, D_u} \sum_{y \neq y^*} L_c(y) + L_u + \lambda_g \sum_{y} L_\text{class}(y)$$
#
# - $L_c(y)$, eq. 2: the BigGAN hinge loss of the conditional head $D_c(x, y)$, **seen
#   classes only** (there are no real target images to compare with);
# - $L_u$, eq. 3: a WGAN loss with gradient penalty for the unconditional head $D_u(x)$:
#   real images of the seen classes against fakes of **all** classes;
# - $L_\text{class}(y) = -\mathbb{E}_z \log \hat p(y \mid G(z, y))$, eq. 4: the frozen
#   classifier's cross-entropy, the only source of information about the target.
#
# Both heads share the discriminator's trunk; only $D_c$'s projection sees labels. Each step
# draws two batches of the same size: Du's fakes, whose labels follow the target share, and
# Dc's fakes, uniform over the seen classes whatever the target share (the seen fakes of Du's
# batch, topped up with fresh seen-class fakes). In the paper's single batch, Dc scores only
# the seen-class part of Du's batch, so raising the target share also weakens Dc — at a share
# of 1.0 Dc has no fake term at all — and an ablation of the share would vary both at once:

# %%
viz.source(pl.ProbeGANTrainer.sample_fake_inputs)

# %% [markdown]
# ## The ablation
#
# Every run below probes the **robust** classifier of chapter 1 with the same seeds and
# budget; only the dilution changes. `target_fraction` is the share of target-class fakes
# among Du's fakes: "1/C" draws fake labels uniformly over all C classes (the paper);
# 0.3, 0.5 and 1.0 over-sample the target (1.0: Du sees only target fakes, no dilution),
# while Dc's batch of seen-class fakes stays the same. "no Dc" keeps 1/C but removes the
# conditional head; "single batch" is the paper's form, where Dc shares Du's batch. Three settings of the `cpu` profile
# differ from the paper: the classifier weight λg is 2 (the paper: 1), the discriminator
# sees DiffAugment-ed images (translation and cutout, Zhao et al. 2020; not in the paper), and
# both learning rates are 6e-4 (the paper: 2e-4), because in a few hundred steps on two cores
# the paper's recipe drew the absent class much less often; the last row reruns the paper's
# recipe (λg 1, no DiffAugment, lr 2e-4) so the difference is measured here, not asserted.
# No run ever sees a real target image, and nothing is selected by looking at one: each GAN is its EMA generator after the last
# step (the reference implementation instead picks checkpoints by the target's intra-FID,
# which uses real target images).

# %%
PAPER, SINGLE = experiments.DILUTION_PAPER, experiments.DILUTION_SINGLE
settings = experiments.dilution_settings(P)  # 1/C, each share of P.dilution_fractions, no Dc, single batch, paper
seeds = experiments.dilution_seeds(ch)
experiments.prefetch(ch, [experiments.gan_job(ch, train, nets, "probegan", "robust", s, **changes)
                          for name, changes in settings.items() for s in seeds[name]])  # cache misses, side by side
runs = {(name, s): experiments.gan(ch, train, nets, "probegan", "robust", seed=s, **changes)
        for name, changes in settings.items() for s in seeds[name]}
samples = {key: experiments.target_samples(res, P.n_samples, seed=key[1]) for key, res in runs.items()}
share = {name: (1 / C) if "target_fraction" not in changes else changes["target_fraction"]
         for name, changes in settings.items()}
long = compare.score_runs([compare.Run(name, s, samples[(name, s)], {"target share": share[name],
                                                                     "s / step": runs[(name, s)].seconds_per_step})
                           for name, s in runs], judges, real_target, ch.target)
print("seeds per setting: " + ", ".join(f"{name} {v}" for name, v in seeds.items())
      + f"; the 1/C row is Table 1's ProbeGAN-robust row (same runs, served from the cache)")

# %%
tables = {m: compare.summarise(long, m, list(settings), digits=1 if m in ("recognition (%)", "intra-FID") else 2)
          for m in ("recognition (%)", "intra-FID", "KID", "coverage")}
display(pd.concat({m: t[0] for m, t in tables.items()}, axis=1).swaplevel(axis=1)
        .sort_index(axis=1, level=0, sort_remaining=False))
for name, j in judges.items():
    print(f"{name}: {measure.provenance(j, len(real_target), P.n_samples)}")
print(f"mean over seeds (95 % t-interval over seeds in brackets); recognition is each judge's top-1 on "
      f"{P.n_samples} generated {ch.target_class!r} images per run. The learning rate 6e-4 was chosen by the "
      "development judge (recipe sweep, 2026-11-26); no panel judge was looked at before this table")

# %%
viz.interval_panels(tables["recognition (%)"][1],
                    title=f"Dilution ablation, target {ch.target_class!r}: recognition by judge (95 % interval over seeds)");

# %% [markdown]
# What the generator draws for the absent class under each setting (first 8 samples,
# seeded), with real target images for reference — the GAN never saw them:

# %%
grid = [real_target[torch.randperm(len(real_target), generator=torch.Generator().manual_seed(ch.seed))[:8]]]
grid += [samples[(name, seeds[name][0])][:8] for name in settings]
viz.image_grid(grid, [f"real {ch.target_class}"] + list(settings), title=f"Generated {ch.target_class!r} (first seed)",
               cell=0.8);

# %% [markdown]
# The paper-default run's losses (the same run is Table 1's ProbeGAN-robust row):

# %%
viz.loss_curves(runs[("1/C (paper)", ch.seed)].history, ["d_hinge", "d_wgan", "gp", "g_hinge", "g_wgan", "g_cls"]);

# %% [markdown]
# ### Reading the ablation
#
# The paper argues for dilution from the discriminator's point of view: a Du that sees only
# target fakes against seen-class reals can reject them *for their class*, which pushes the
# generator toward the seen classes. That failure needs a discriminator strong enough to
# separate classes; in a short run on two cores Du may not get there, and the extra
# target-class fakes then simply give the generator more practice on the class it must draw.
# Which regime this run is in is measured above, not assumed: compare the recognition and
# intra-FID of "1/C (paper)" with the over-sampled rows, and the paper-recipe row with ours.
# Longer runs (the `gpu` profile) are where the paper's regime should appear; the next
# chapter's NAIVE rows (Du only, target fakes only) test the same question with several seeds.

# %%
rec = tables["recognition (%)"][1]
panel_cols = [j for j in judges if j != experiments.DEV]
claims = [compare.Claim(f"1/C beats a target share of {f:g}", "1/C (paper)", f"{f:g}", "recognition (%)")
          for f in P.dilution_fractions]
claims += [compare.Claim("1/C beats no Dc", "1/C (paper)", "no Dc (1/C)", "recognition (%)"),
           compare.Claim("our recipe beats the paper's at this budget", "1/C (paper)", PAPER, "recognition (%)")]
display(compare.verdicts(long, claims))
same = compare.verdicts(long, [compare.Claim(f"Dc's own batch vs the single batch: {m}", "1/C (paper)", SINGLE, m)
                               for m in ("recognition (%)", "intra-FID", "KID", "coverage")])
display(same)
indistinct = bool(same[panel_cols].isin(["on average", "fails"]).all().all())
print("Dc's own batch against the paper's single batch at 1/C: "
      + ("no panel judge separates them on any metric (intervals over seeds overlap): at the default the "
         "two forms are statistically the same at this number of seeds."
         if indistinct else "the intervals are apart for some judge and metric (table above): the two forms differ."))
for name in settings:
    for j in judges:
        book.glue(f"recognition {name} {j}", round(rec.loc[name, j][0], 1))
vit = rec["panel: ViT"]
book.finding(f"{ch.target_class} absent, recognised by the panel's ViT: {compare.fmt_ci(*vit['1/C (paper)'])} % at "
             f"dilution 1/C, {compare.fmt_ci(*vit[f'{max(P.dilution_fractions):g}'])} % with only target fakes in Du's "
             f"batch, {compare.fmt_ci(*vit['no Dc (1/C)'])} % without Dc, {compare.fmt_ci(*vit[PAPER])} % with the "
             f"paper's recipe (95 % intervals over seeds)")

# %% [markdown]
# ## In this chapter we
#
# - wrote down ProbeGAN's objective and saw where class dilution happens in the trainer;
# - trained ProbeGANs for each dilution setting (several seeds each) on the target-absent image
#   set, all probing the robust classifier;
# - compared recognition, intra-FID, KID and coverage across the settings by three judges,
#   with intervals over seeds, and checked that Dc's own fixed batch changes nothing at the
#   default 1/C against the paper's single batch.
#
# ## References
#
# - Wang, Z. et al. *ProbeGAN: Probing the memory of image classifiers with class-absent
#   generative adversarial networks*, AAAI 2022 (eq. 1–4, "Class Dilution").
# - Brock, A., Donahue, J., Simonyan, K. *Large scale GAN training for high fidelity natural
#   image synthesis*, ICLR 2019.
# - Gulrajani, I. et al. *Improved training of Wasserstein GANs*, NeurIPS 2017.
# - Miyato, T., Koyama, M. *cGANs with projection discriminator*, ICLR 2018.
