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
# # 3 · Table 1: ProbeGAN against its baselines
#
# The paper's main table asks how well each method draws a class that its image set lacks.
# We rebuild it on the bundled data: every method, with the regular and the robust
# classifier where it applies, several seeds, each run scored by the development judge and
# by a reporting panel of two judges that no setting of this book was chosen with.
#
# This chapter shows:
# - the methods: BigGAN on all classes (upper bound), ProbeGAN-oracle (target present),
#   BigGAN-AM, NAIVE and ProbeGAN, each probing the regular and the robust classifier;
# - recognition, intra-FID, KID and precision / recall / coverage of the target by every
#   judge, mean and 95 % interval over seeds, with the paper's CIFAR-10 numbers beside ours;
# - which of the paper's orderings hold with intervals apart, only on average, or not at all;
# - samples of the target class from every method, and the exported samples anyone can
#   score with their own judge.

# %% tags=["parameters"]
profile = "cpu"  # smoke (seconds) | cpu (minutes on 2 cores) | gpu (paper scale) | gpu-smoke (gpu at 200 steps)
dataset = "animal-mnist"  # animal-mnist | digits | cifar10 | imagefolder
target_class = "horse"  # the class absent from the GAN's image set
seed = 0  # first seed; methods with several seeds use seed, seed + 1, ...
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
from probelib.book import compare, experiments, table1

ch = book.setup(profile=profile, dataset=dataset, target_class=target_class, seed=seed,
                data_dir=data_dir, run_dir=run_dir)
P = ch.profile
train, full = ch.load("train"), ch.load("all")
nets = experiments.classifiers(ch)
judges = experiments.judges(ch, nets)  # the development judge and the reporting panel
fid_feats = measure.fid_extractor(fid_extractor or P.fid_extractor, nets["eval"].model, inception_weights)
real_target = experiments.real_target_images(ch)  # evaluation only
C = len(ch.classes)
n_per_class = max(P.n_samples // 2, 8)
real_all = full.images[torch.randperm(len(full), generator=torch.Generator().manual_seed(ch.seed))[: n_per_class * C]]
print(f"profile {P.name!r}; target {ch.target_class!r}; seeds per row: "
      + ", ".join(f"{row} {seeds}" for row, _, _, seeds in table1.rows(ch)) + f"; BigGAN-AM {P.seeds_single}")

# %% [markdown]
# ## The methods
#
# | name | image set | discriminator | classifier loss | note |
# |---|---|---|---|---|
# | `biggan-all` | all classes | Dc (hinge) | — | upper bound: the target is in the data |
# | `probegan-oracle` | all classes | Dc + Du | robust | the full objective with the target present |
# | `biggan-am-*` | seen classes | Dc, then a search | regular / robust | a GAN of the seen classes; its class embedding is optimised toward the target logit (Adam lr 0.1, 10 rounds × 20 steps, 3 restarts) |
# | `naive-*` | seen classes | Du only | regular / robust | the generator draws only the target; no Dc, no dilution |
# | `probegan-*` | seen classes | Dc + Du, dilution 1/C | regular / robust | the paper's method |
#
# The paper's BigGAN-AM searches an ImageNet-pretrained BigGAN; offline we search a GAN of
# the same architecture trained on the seen classes. No method selects checkpoints with
# target images: every GAN is its EMA generator after the last step, with batch-norm
# statistics recomputed on the labels that method trained on.
#
# All GANs share the profile's trainer settings. On the `cpu` profile three differ from the
# paper for every method alike: the classifier weight λg is 2 (the paper: 1), the
# discriminator sees DiffAugment-ed images, and the learning rate is 6e-4 (the paper: 2e-4) —
# the last chosen with the **development judge** from a stored sweep (below). Chapter 2
# measures the paper's exact recipe beside ours.
#
# ## The judges
#
# Each run is scored by three judges, all trained on every class of the data:
#
# - `dev: VGG` — the **development judge** of chapter 1. The `cpu` learning rate (and chapter
#   5's and 7's settings) were chosen by looking at its scores, so its numbers here are not
#   independent of the recipe;
# - `panel: ViT` (a small vision transformer) and `panel: HOG` (histograms of oriented
#   gradients read by a logistic regression: no neural network at all) — the **reporting
#   panel**, trained with their own seeds and looked at by no sweep or setting.
#
# Per judge: recognition (its top-1 on the generated target images; the paper used people),
# intra-FID and KID against the real target images in its feature space, and precision /
# recall / coverage (Naeem et al. 2020, k = 5): coverage near 0 means collapse.

# %%
long, fakes = table1.table1(ch, train, nets, judges, fid_feats, real_target, real_all)
display(long.groupby(["row", "judge"]).size().unstack().loc[table1.ORDER].rename_axis(None))
print("runs per row and judge (each run is one GAN trained with its own seed)")

# %% [markdown]
# ## The table
#
# For every judge and metric: the mean over seeds and, in brackets, the Student-t 95 %
# interval **over seeds** (runs), cut to the metric's range (with three seeds a t interval can
# reach past 100 %); a row with one seed has no interval. Image-level variation inside one run
# is not an interval of this table.

# %%
shown = {}
for metric in ("recognition (%)", "intra-FID", "KID", "precision", "recall", "coverage"):
    text, _ = compare.summarise(long, metric, table1.ORDER, digits=1 if metric in ("recognition (%)", "intra-FID") else 2)
    shown[metric] = text
panel_table = pd.concat(shown, axis=1).swaplevel(axis=1).sort_index(axis=1, level=0, sort_remaining=False)
display(panel_table)
ref = book.paper.TABLE1_CIFAR10.get(ch.target_class)
if ref is not None:
    display(pd.DataFrame({"paper FID (all)": {m: ref[m][0] for m in table1.ORDER},
                          "paper intra-FID": {m: ref[m][1] for m in table1.ORDER}}))
    print(f"paper columns: CIFAR-10, Inception features, target {ch.target_class!r}")
else:
    print(f"the paper reports no {ch.target_class!r} row (its Table 1 on CIFAR-10 has "
          f"{' and '.join(book.paper.TABLE1_CIFAR10)})")
for name, j in judges.items():
    print(f"{name}: {measure.provenance(j, len(real_target), P.n_samples)}")
print(f"FID over all classes (dev judge's or Inception features, {n_per_class} per class) in the long table; "
      "the learning rate was chosen by the development judge (recipe sweep, 2026-11-26); no panel judge was "
      "looked at before this table")

# %%
_, nums = compare.summarise(long, "recognition (%)", table1.ORDER)
fig = viz.interval_panels(nums, title=f"Recognition of generated {ch.target_class!r} by judge (95 % interval over seeds)")

# %% [markdown]
# ## What each method draws
#
# The first seed's first 8 samples of the target class per method, and real target images
# for reference:

# %% tags=["readme-figure"]
pick = torch.randperm(len(real_target), generator=torch.Generator().manual_seed(ch.seed))[:8]
viz.image_grid([real_target[pick]] + [fakes[m][0][:8] for m in table1.ORDER], [f"real {ch.target_class}"] + table1.ORDER,
               title=f"Generated {ch.target_class!r}", cell=0.8);

# %% [markdown]
# ## Where we agree with the paper, and where we differ
#
# Each of the paper's orderings, per judge: **apart** — it holds and the 95 % intervals over
# seeds do not overlap; **on average** — the means are in the paper's order but the intervals
# overlap; **fails** — the means are the other way; **reversed** — the other way with
# intervals apart. A row with one seed counts as a point.

# %%
checks = compare.verdicts(long, table1.CLAIMS)
display(checks)
panel_cols = [j for j in judges if j != experiments.DEV]
for state in ("apart", "on average", "fails", "reversed"):
    held = [c for c in checks.index if all(checks.loc[c, j] == state for j in panel_cols)]
    if held:
        print(f"{state} by every panel judge: " + "; ".join(held))
mixed = [c for c in checks.index if len({checks.loc[c, j] for j in panel_cols}) > 1]
if mixed:
    print("the panel judges disagree on: " + "; ".join(mixed))
rec = compare.summarise(long, "recognition (%)", table1.ORDER)[1]
for j in judges:
    for row in table1.ORDER:
        book.glue(f"recognition {row} {j}", round(rec.loc[row, j][0], 1))
vit = rec["panel: ViT"]
book.finding(f"{ch.target_class} absent: the panel's ViT recognises ProbeGAN-robust's images "
             f"{compare.fmt_ci(*vit['probegan-robust'])} % (over {vit['probegan-robust'][3]} seeds), NAIVE-robust's "
             f"{compare.fmt_ci(*vit['naive-robust'])} %; {int((checks[panel_cols] == 'apart').all(axis=1).sum())} of "
             f"{len(checks)} of the paper's orderings hold with intervals apart for every panel judge")

# %% [markdown]
# ### When NAIVE wins
#
# In the paper NAIVE fails: its unconditional discriminator sees *only* target fakes against
# seen-class reals, learns to reject whatever makes an image the target, and pushes the
# generator away from it. That failure needs a discriminator that has learned something. The
# cell below reads this run's numbers (the panel's ViT) to say whether NAIVE beat ProbeGAN
# here, and what the run itself shows about why.

# %%
nv, pg = vit["naive-robust"][0], vit["probegan-robust"][0]
ba = vit["biggan-all"][0]
if nv > pg:
    print(f"NAIVE-robust beat ProbeGAN-robust on average in this run: recognition {nv:.1f} % vs {pg:.1f} % "
          "(panel ViT). What the run shows:")
    print(f"- BigGAN-all, trained with the target *present* and no classifier, makes {ch.target_class} images the "
          f"ViT recognises {ba:.1f} % of the time: after {P.probegan.steps} steps the discriminators have taught the "
          f"generator little about classes, so what makes a {ch.target_class} comes mostly from the classifier term.")
    print(f"- NAIVE's generator draws only the target: all {P.probegan.batch_size} fakes of every step are "
          f"{ch.target_class} fakes, against 1/{C} of ProbeGAN's. With the classifier doing the work, more target "
          "fakes per step win; chapter 2's ablation shows the same trend inside ProbeGAN.")
    print("- NAIVE's failure mode in the paper (Du learning to reject the target) needs a trained Du; at this "
          "budget it has not formed. The gpu profile (100k steps) is where the paper's comparison applies.")
else:
    print(f"ProbeGAN-robust beat NAIVE-robust on average in this run: recognition {pg:.1f} % vs {nv:.1f} % "
          f"(panel ViT); the verdict table says whether the intervals over seeds are apart.")

# %% [markdown]
# ### What the judges take each method's images for
#
# The oracle trains with the target's real images present, so in the paper it is an upper
# bound. The cell below asks every judge what it calls the generated target images of the rows
# trained with the target present (BigGAN-all, the oracle) and of ProbeGAN-robust, all seeds
# pooled: the share given to each of its three most frequent classes. Judges of different
# families can read the same images very differently; where they do, the table shows it.

# %%
from probelib import models

called = {}
for name, judge in judges.items():
    for row in ("biggan-all", "probegan-oracle", "probegan-robust"):
        votes = torch.bincount(models.predict(judge, torch.cat(fakes[row])).argmax(1), minlength=C).float()
        share = votes / votes.sum()
        top = [i for i in share.argsort(descending=True)[:3].tolist() if share[i] > 0]
        called.setdefault(name, {})[row] = ", ".join(f"{ch.classes[i]} {100 * share[i]:.0f} %" for i in top)
display(pd.DataFrame(called))
behind = [j for j in panel_cols if rec.loc["probegan-oracle", j][0] < rec.loc["probegan-robust", j][0]]
print(f"The oracle is recognised less often than ProbeGAN-robust by {len(behind)} of {len(panel_cols)} panel judges"
      + (f" ({', '.join(behind)})" if behind else "") + ": "
      + ", ".join(f"{j} {rec.loc['probegan-oracle', j][0]:.1f} % vs {rec.loc['probegan-robust', j][0]:.1f} %"
                  for j in judges) + ".")
if behind:
    print(f"Where the oracle is behind, the judge takes its {ch.target_class} images for the classes listed above: "
          f"with real {ch.target_class} images among Dc's data, the generator is pulled toward what the "
          f"discriminators can tell apart after {P.probegan.steps} steps, while without them (ProbeGAN) only the "
          f"classifier's cross-entropy shapes the {ch.target_class} label. The paper's oracle trained for 100k "
          "steps; the gpu profile is where its ordering applies. Not tuned: the learning rate was chosen for "
          "ProbeGAN and NAIVE by the development judge.")

# %% [markdown]
# ### How much training the ordering needs
#
# Two stored sweeps scored ProbeGAN-robust and NAIVE-robust at milestones with the
# **development judge** (`benchmarks/recipe_sweep.py`; not this run's numbers — each plot names
# its file, machine and date): at the paper's learning rate (2e-4) on a lent GPU, and at this
# profile's 6e-4 on the 2-core machine with the trainer as this book runs it.

# %%
import json

import matplotlib.pyplot as plt

measured = book.project_root() / "benchmarks" / "measured"
sweeps = {"lr 2e-4 (NVIDIA H200, 2026-11-26)": measured / "recipe_sweep_h200.jsonl",
          "lr 6e-4 (2 CPU cores, 2026-12-02)": measured / "recipe_sweep_cpu.jsonl"}
stored = {}
for label, path in sweeps.items():
    if path.is_file():
        df = pd.DataFrame([json.loads(line) for line in path.read_text().splitlines() if line.strip()])
        keep = df["kind"] == "robust"
        keep &= df["changes"].map(len) == 0 if "2e-4" in label else df["changes"].map(lambda c: c.get("lr_g") == 6e-4)
        stored[label] = df[keep & df["method"].isin(["probegan", "naive"])]
fig, axes = plt.subplots(1, len(stored), figsize=(4.6 * max(len(stored), 1), 3.2), squeeze=False)
for ax, (label, df) in zip(axes[0], stored.items()):
    for method, colour in (("probegan", "C0"), ("naive", "C3")):
        for i, (s_, g) in enumerate(df[df["method"] == method].groupby("seed")):
            g = g.sort_values("step").drop_duplicates("step", keep="last")
            ax.plot(g["step"], g["recognition (%)"], "o-", color=colour, alpha=0.7,
                    label=f"{method}-robust" if i == 0 else None)
    ax.set(xlabel="generator steps", ylabel="recognition (%) (development judge)", title=f"stored: {label}")
    ax.legend(fontsize=8)
fig.suptitle("stored measurements: benchmarks/measured/" + ", ".join(p.name for p in sweeps.values()), fontsize=9)
plt.tight_layout()
at = lambda df, method, step: df[(df["method"] == method) & (df["step"] == step)]["recognition (%)"].mean()  # noqa: E731
for label, df in stored.items():
    tag = "lr2e-4" if "2e-4" in label else "lr6e-4"
    for method in ("probegan", "naive"):
        for step in (300, 700):
            value = at(df, method, step)
            if value == value:  # not NaN
                book.glue(f"stored {tag} {method} {step}", round(float(value), 1))
    print(f"{label}: {len(df)} stored scores (500 samples each), not recomputed by this run")

# %% [markdown]
# At the paper's 2e-4, NAIVE is ahead at 700 steps (recognised {glue:text}`stored lr2e-4 naive 700:.1f` %
# against {glue:text}`stored lr2e-4 probegan 700:.1f` % for ProbeGAN, means over the stored seeds) and the
# paper's ordering appears only after a few thousand steps, as NAIVE's discriminator learns to reject
# the target. At this profile's 6e-4 the same happens within 700 steps: NAIVE starts high and falls
# ({glue:text}`stored lr6e-4 naive 300:.1f` % at 300 steps, {glue:text}`stored lr6e-4 naive 700:.1f` % at 700)
# while ProbeGAN rises ({glue:text}`stored lr6e-4 probegan 300:.1f` % → {glue:text}`stored lr6e-4 probegan 700:.1f` %).
# A shorter run would therefore favour NAIVE, so the profile keeps 700 steps. The learning rate was
# chosen by the development judge; the table above is the panel's verdict on it.

# %% [markdown]
# Our numbers are not the paper's and cannot be: the paper trains on CIFAR-10 photographs
# for ~100k steps on a GPU and measures FID with Inception features; the `cpu` profile trains
# on 32×32 silhouettes for minutes on two cores and measures FID with the judge's features
# (FIDs from different feature extractors are on different scales). What can be compared is
# the *ordering* of the methods, which the table above checks.

# %% [markdown]
# ## Exported samples
#
# Every method's target samples (all seeds) are written to
# `runs/samples/table1/<method>.npz` (`images` float32 N×C×H×W in [-1, 1], `labels`, `seed`),
# so anyone can score them with their own judge.

# %%
out = ch.samples_dir("table1")
for method, xs in fakes.items():
    run_seeds = list(dict.fromkeys(long[long["row"] == method]["seed"]))
    seeds_of = torch.cat([torch.full((len(x),), s) for x, s in zip(xs, run_seeds)])
    path = pl.save_samples(out / f"{method}.npz", torch.cat(xs), ch.target, seed=seeds_of)
    print(f"{path.relative_to(ch.run_dir.parent) if ch.run_dir.parent in path.parents else path}: "
          f"{sum(len(x) for x in xs)} images")

# %% [markdown]
# ## In this chapter we
#
# - trained every method of the paper's Table 1 on the target-absent image set (the oracle
#   and BigGAN-all with the target present), with several seeds where it matters;
# - scored every run with the development judge and a reporting panel of two judges of other
#   families (a ViT, and HOG features with a linear model): recognition, intra-FID, KID and
#   precision / recall / coverage, with 95 % intervals over seeds; put the paper's CIFAR-10
#   numbers beside ours;
# - checked which of the paper's orderings hold with intervals apart, only on average, or not
#   at all, and exported every method's samples.
#
# ## References
#
# - Wang, Z. et al. *ProbeGAN*, AAAI 2022, Table 1 and Fig. 2.
# - Li, Y. et al. *BigGAN-AM: generating images from a classifier with a pretrained GAN*
#   (BigGAN-AM baseline), 2020.
# - Miyato, T., Koyama, M. *cGANs with projection discriminator*, ICLR 2018 (intra-FID).
