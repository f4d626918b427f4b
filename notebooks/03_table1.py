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
# classifier where it applies, several seeds, and four columns measured by the independent
# judge of chapter 1.
#
# This chapter shows:
# - the methods: BigGAN on all classes (upper bound), ProbeGAN-oracle (target present),
#   BigGAN-AM, NAIVE and ProbeGAN, each probing the regular and the robust classifier;
# - FID over all classes, intra-FID of the target, recognition rate and diversity, mean ± sd
#   over seeds, with the paper's CIFAR-10 numbers beside ours;
# - samples of the target class from every method, and the exported samples anyone can
#   score with their own judge.

# %% tags=["parameters"]
profile = "cpu"  # smoke (seconds) | cpu (minutes on 2 cores) | gpu (paper scale)
dataset = "animal-mnist"  # animal-mnist | digits | cifar10 | imagefolder
target_class = "horse"  # the class absent from the GAN's image set
seed = 0  # first seed; methods with several seeds use seed, seed + 1, ...
data_dir = None  # folder with CIFAR-10 or an image folder; None for the bundled data
run_dir = "runs"  # cache, samples and ledger, relative to the project root
fid_extractor = None  # FID features: None = as the profile says (judge on smoke and cpu, inception on gpu) | judge | inception
inception_weights = None  # path to weights-inception-2015-12-05-6726825d.pth (or $PROBELIB_INCEPTION_WEIGHTS)

# %%
import numpy as np
import pandas as pd
import torch
from IPython.display import display

import probelib as pl
from probelib import book, data, measure, models, viz
from probelib.book import experiments

ch = book.setup(profile=profile, dataset=dataset, target_class=target_class, seed=seed,
           data_dir=data_dir, run_dir=run_dir)
P = ch.profile
train = ch.load("train")
full = ch.load("all")
nets = experiments.classifiers(ch)
fid_feats = measure.fid_extractor(fid_extractor or P.fid_extractor, nets["eval"].model, inception_weights)
judge = nets["eval"].model
real_target = experiments.real_target_images(ch)  # evaluation only
C = len(ch.classes)
n_per_class = max(P.n_samples // 2, 8)
real_all = full.images[torch.randperm(len(full), generator=torch.Generator().manual_seed(ch.seed))[: n_per_class * C]]
seeds = {"main": [ch.seed + i for i in range(P.seeds_main)], "other": [ch.seed + i for i in range(P.seeds_other)],
         "single": [ch.seed + i for i in range(P.seeds_single)]}
print(f"profile {P.name!r}; target {ch.target_class!r}; seeds: ProbeGAN-robust {seeds['main']}, "
      f"ProbeGAN-regular and NAIVE {seeds['other']}, the others {seeds['single']}")

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
# target images: every GAN is its EMA generator after the last step.
#
# All GANs share the profile's trainer settings. On the `cpu` profile two of them differ from
# the paper for every method alike: the classifier weight λg is 2 (the paper: 1) and the
# discriminator sees DiffAugment-ed images; chapter 2 measures the paper's exact recipe
# beside ours.

# %%
gan_rows = [  # (row name, method, classifier kind, seeds)
    ("probegan-robust", "probegan", "robust", seeds["main"]),
    ("probegan-regular", "probegan", "regular", seeds["other"]),
    ("naive-robust", "naive", "robust", seeds["other"]),
    ("naive-regular", "naive", "regular", seeds["other"]),
    ("biggan-all", "biggan-all", None, seeds["single"]),
    ("probegan-oracle", "probegan-oracle", "robust", seeds["single"]),
]
results, fakes = [], {}
for row, method, kind, row_seeds in gan_rows:
    for s in row_seeds:
        res = experiments.gan(ch, train, nets, method, kind, seed=s)
        x_t = experiments.target_samples(res, P.n_samples, seed=s)
        fakes.setdefault(row, []).append(x_t)
        fid_all = float("nan")
        if method != "naive":  # NAIVE's generator only ever draws the target: no FID over all classes
            x_all = torch.cat([pl.sample(res.generator, c, n_per_class, seed=s) for c in range(C)])
            fid_all = measure.fid(real_all, x_all, fid_feats)
        results.append({"method": row, "seed": s, "FID (all)": fid_all,
                        **measure.target_metrics(judge, x_t, real_target, ch.target, fid_features=fid_feats),
                        "train min": res.seconds_per_step * res.config.steps / 60})

prior = {s: experiments.gan(ch, train, nets, "biggan-seen", None, seed=s) for s in seeds["single"]}
for kind in ("robust", "regular"):
    row = f"biggan-am-{kind}"
    for s in seeds["single"]:
        x_t, prob = experiments.am_samples(ch, prior[s], nets[kind], P.n_samples, seed=s)
        fakes.setdefault(row, []).append(x_t)
        x_seen = [pl.sample(prior[s].generator, c, n_per_class, seed=s) for c in range(C) if c != ch.target]
        fid_all = measure.fid(real_all, torch.cat(x_seen + [x_t[:n_per_class]]), fid_feats)
        results.append({"method": row, "seed": s, "FID (all)": fid_all,
                        **measure.target_metrics(judge, x_t, real_target, ch.target, fid_features=fid_feats),
                        "train min": prior[s].seconds_per_step * prior[s].config.steps / 60})

# %% [markdown]
# ## The table
#
# Mean ± standard deviation over seeds (n = number of seeds; a single seed has no sd).
# Recognition is the judge's top-1 on generated target images (the paper used human raters);
# diversity is the mean pairwise distance of judge features of generated target images over
# that of real ones (1 = as varied as real images, near 0 = mode collapse).

# %%
order = ["biggan-all", "probegan-oracle", "biggan-am-regular", "naive-regular", "probegan-regular",
         "biggan-am-robust", "naive-robust", "probegan-robust"]
df = pd.DataFrame(results)
cols = ["FID (all)", "intra-FID", "recognition (%)", "diversity (× real)"]
mean, sd = df.groupby("method")[cols].mean().loc[order], df.groupby("method")[cols].std().loc[order]
n = df.groupby("method")["seed"].count().loc[order]
shown = pd.DataFrame({c: [f"{m:.1f} ± {s:.1f}" if not np.isnan(s) else (f"{m:.1f}" if not np.isnan(m) else "—")
                          for m, s in zip(mean[c], sd[c])] for c in cols}, index=order)
shown["n seeds"] = n
ref = book.paper.TABLE1_CIFAR10.get(ch.target_class, book.paper.TABLE1_CIFAR10["horse"])
shown["paper FID (all)"] = [ref[m][0] for m in order]
shown["paper intra-FID"] = [ref[m][1] for m in order]
display(shown)
print(measure.provenance(fid_feats, len(real_target), P.n_samples))
print(f"FID (all): {n_per_class} generated images per class vs {len(real_all)} real images of all classes; "
      "paper columns: CIFAR-10 with Inception features, "
      + ("target horse" if ch.target_class in book.paper.TABLE1_CIFAR10 else "target horse (ours differs)"))

# %%
viz.metric_panels(mean, ["intra-FID", "recognition (%)", "diversity (× real)"], errors=sd,
                    title=f"Table 1 on {ch.dataset}, target {ch.target_class!r} (mean ± sd over seeds)");

# %% [markdown]
# ## What each method draws
#
# The first seed's first 8 samples of the target class per method, and real target images
# for reference:

# %% tags=["readme-figure"]
pick = torch.randperm(len(real_target), generator=torch.Generator().manual_seed(ch.seed))[:8]
viz.image_grid([real_target[pick]] + [fakes[m][0][:8] for m in order], [f"real {ch.target_class}"] + order,
                 title=f"Generated {ch.target_class!r}", cell=0.8);

# %% [markdown]
# ## Where we agree with the paper, and where we differ
#
# The statements below are computed from this run's numbers.

# %%
m = mean
checks = {
    "ProbeGAN-robust is recognised more often than NAIVE-robust":
        m.loc["probegan-robust", "recognition (%)"] > m.loc["naive-robust", "recognition (%)"],
    "ProbeGAN-robust is recognised more often than BigGAN-AM-robust":
        m.loc["probegan-robust", "recognition (%)"] > m.loc["biggan-am-robust", "recognition (%)"],
    "ProbeGAN-robust has a lower intra-FID than NAIVE-robust and BigGAN-AM-robust":
        m.loc["probegan-robust", "intra-FID"] < min(m.loc["naive-robust", "intra-FID"],
                                                     m.loc["biggan-am-robust", "intra-FID"]),
    "ProbeGAN-robust beats ProbeGAN-regular on intra-FID (the paper: 45.4 vs 91.4)":
        m.loc["probegan-robust", "intra-FID"] < m.loc["probegan-regular", "intra-FID"],
    "ProbeGAN-robust recognised ≥ 50 %": m.loc["probegan-robust", "recognition (%)"] >= 50,
    "ProbeGAN-robust not collapsed (diversity ≥ 0.5 × real)": m.loc["probegan-robust", "diversity (× real)"] >= 0.5,
    "the oracle (target present) beats ProbeGAN-robust on intra-FID":
        m.loc["probegan-oracle", "intra-FID"] < m.loc["probegan-robust", "intra-FID"],
}
display(pd.DataFrame({"holds in this run": checks}))
for row in order:
    book.glue(f"recognition {row}", float(m.loc[row, "recognition (%)"]))
    book.glue(f"intra-FID {row}", float(m.loc[row, "intra-FID"]))
book.finding(f"{ch.target_class} absent: ProbeGAN-robust recognised {m.loc['probegan-robust', 'recognition (%)']:.1f} % "
             f"(mean of {int(n['probegan-robust'])} seeds), NAIVE-robust {m.loc['naive-robust', 'recognition (%)']:.1f} %, "
             f"BigGAN-AM-robust {m.loc['biggan-am-robust', 'recognition (%)']:.1f} %; {sum(checks.values())} of "
             f"{len(checks)} of the paper's orderings hold")

# %% [markdown]
# ### When NAIVE wins
#
# In the paper NAIVE fails: its unconditional discriminator sees *only* target fakes against
# seen-class reals, learns to reject whatever makes an image the target, and pushes the
# generator away from it. That failure needs a discriminator that has learned something. The
# cell below reads this run's numbers to say whether NAIVE beat ProbeGAN here, and what the
# run itself shows about why.

# %%
nv, pg, ba = m.loc["naive-robust"], m.loc["probegan-robust"], m.loc["biggan-all", "recognition (%)"]
if nv["recognition (%)"] > pg["recognition (%)"]:
    print(f"NAIVE-robust beat ProbeGAN-robust in this run: recognition {nv['recognition (%)']:.1f} % vs "
          f"{pg['recognition (%)']:.1f} %, intra-FID {nv['intra-FID']:.0f} vs {pg['intra-FID']:.0f}. What the run shows:")
    print(f"- BigGAN-all, trained with the target *present* and no classifier, makes horses the judge recognises "
          f"{ba:.1f} % of the time: after {P.probegan.steps} steps the discriminators have taught the generator "
          "little about classes, so what makes a horse a horse comes almost entirely from the classifier term.")
    print(f"- NAIVE's generator draws only the target: all {P.probegan.batch_size} fakes of every step are horses, "
          f"against 1/{C} of ProbeGAN's. With the classifier doing the work, more target fakes per step win; "
          "chapter 2's ablation shows the same trend inside ProbeGAN (recognition rises with the target share).")
    print("- NAIVE's failure mode in the paper (Du learning to reject the target) needs a trained Du; at this "
          "budget it has not formed. The gpu profile (100k steps) is where the paper's comparison applies.")
elif nv["recognition (%)"] == pg["recognition (%)"]:
    print(f"ProbeGAN-robust and NAIVE-robust tie on recognition in this run ({pg['recognition (%)']:.1f} %).")
else:
    print(f"ProbeGAN-robust beat NAIVE-robust in this run: recognition {pg['recognition (%)']:.1f} % vs "
          f"{nv['recognition (%)']:.1f} %, intra-FID {pg['intra-FID']:.0f} vs {nv['intra-FID']:.0f}, as in the paper.")

# %% [markdown]
# ### How much training the ordering needs
#
# With the paper's learning rate (2e-4) and this profile's 700 steps, NAIVE beats ProbeGAN
# (measured on 2 cores, horse, seed 0: recognition 87 % vs 58 %). To see whether that is the
# budget or the method, `benchmarks/recipe_sweep.py` trained the same `cpu`-profile models
# for longer on a lent GPU and scored them with the development judge at milestones. The cell
# below plots that stored measurement — **not this run's**: its provenance is printed with it.
# It shows NAIVE peaking early and then falling as its discriminator learns to reject the
# target (the paper's failure mode), while ProbeGAN keeps improving; the `cpu` profile
# therefore trains with a 3× higher learning rate (6e-4), which reaches the same ordering in
# 700 steps on the CPU (seed 0: ProbeGAN 93.8 %, NAIVE 70.0 %, measured by the development
# judge when the rate was chosen).

# %%
import json

import matplotlib.pyplot as plt


sweep_file = book.project_root() / "benchmarks" / "measured" / "recipe_sweep_h200.jsonl"
if sweep_file.is_file():
    sweep = pd.DataFrame([json.loads(line) for line in sweep_file.read_text().splitlines() if line.strip()])
    sweep = sweep[(sweep["kind"] == "robust") & (sweep["changes"].map(len) == 0)]
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for method, colour in (("probegan", "C0"), ("naive", "C3")):
        for s_, g in sweep[sweep["method"] == method].groupby("seed"):
            g = g.sort_values("step").drop_duplicates("step", keep="last")
            axes[0].plot(g["step"], g["recognition (%)"], "o-", color=colour, alpha=0.7,
                         label=f"{method}-robust" if s_ == 0 else None)
            axes[1].plot(g["step"], g["intra-FID"], "o-", color=colour, alpha=0.7)
    axes[0].set(xlabel="generator steps (lr 2e-4)", ylabel="recognition (%)")
    axes[1].set(xlabel="generator steps (lr 2e-4)", ylabel="intra-FID (judge features)")
    axes[0].legend()
    fig.suptitle("stored measurement: benchmarks/measured/recipe_sweep_h200.jsonl (NVIDIA H200, 2026-11-26)")
    plt.tight_layout()
    print(f"{len(sweep)} stored scores from {sweep_file.relative_to(book.project_root())}; 500 samples each, the same judge "
          "weights as this book's cpu profile; not recomputed by this run")
else:
    print(f"{sweep_file} is absent; run benchmarks/recipe_sweep.py on a GPU to draw this plot")

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
    seeds_of = torch.cat([torch.full((len(x),), s) for x, s in zip(xs, sorted({r["seed"] for r in results
                                                                               if r["method"] == method}))])
    path = data.save_samples(out / f"{method}.npz", torch.cat(xs), ch.target, seed=seeds_of)
    print(f"{path.relative_to(ch.run_dir.parent) if ch.run_dir.parent in path.parents else path}: "
          f"{sum(len(x) for x in xs)} images")

# %% [markdown]
# ## In this chapter we
#
# - trained every method of the paper's Table 1 on the target-absent image set (the oracle
#   and BigGAN-all with the target present), with several seeds where it matters;
# - measured FID, intra-FID, recognition and diversity with the independent judge, and put
#   the paper's CIFAR-10 numbers beside ours;
# - checked which of the paper's orderings hold in this run, and exported every method's
#   samples.
#
# ## References
#
# - Wang, Z. et al. *ProbeGAN*, AAAI 2022, Table 1 and Fig. 2.
# - Li, Y. et al. *BigGAN-AM: generating images from a classifier with a pretrained GAN*
#   (BigGAN-AM baseline), 2020.
# - Miyato, T., Koyama, M. *cGANs with projection discriminator*, ICLR 2018 (intra-FID).
