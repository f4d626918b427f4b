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
# # 8 · Natural exemplars vs feature visualisation: the baseline any visualisation must beat
#
# Every chapter so far *generated* images to show what a classifier holds.
# {footcite:t}`borowski2021exemplary` asked whether generated explanations help at all: in a
# two-alternative forced-choice (2AFC) task, people saw the images that most and least activate
# a unit (the *references*) and had to say which of two new images activates it more. With
# natural exemplars as references they were right 92 ± 2 % of the time, with synthetic feature
# visualisations {footcite:p}`olah2017feature` 82 ± 4 % (one reference each side: 73 ± 4 % vs
# 65 ± 5 %). Natural images, the simplest method, won. So any visualisation — the samples of
# ProbeGAN {footcite:p}`zhang2022probegan` included — should be measured against them.
#
# **Prerequisites**: the regular and robust classifiers, the development judge and the
# reporting panel of {doc}`01_problem`; the ProbeGAN generators of {doc}`03_table1`.
#
# **You will learn**
#
# - to find a unit's **natural exemplars** (the most and least activating held-out images) by
#   streaming images through the network;
# - to render **feature visualisations**: images optimised from a decorrelated Fourier
#   parameterisation with robustness transforms to maximise (or minimise) the unit, with a
#   diversity term; and to rank **ProbeGAN samples** (target absent from the GAN's data) by
#   the same unit;
# - to run a simulated 2AFC test on disjoint reference and query images and read it with
#   intervals over units.
#
# The observer is simulated, since we have no participants: it embeds references and queries
# with a **judge** network (another architecture, another seed; never the probed network,
# which would read the answer off the unit) and picks the query closer to the max references
# than to the min references. It stands in for people the way the judge stands in for MTurk in
# {doc}`03_table1`; its numbers are not human numbers.

# %% tags=["parameters"]
profile = "cpu"  # smoke (seconds) | cpu (minutes on 2 cores) | gpu (paper scale) | gpu-smoke (gpu at 200 steps)
dataset = "animal-mnist"  # animal-mnist | digits | cifar10 | imagefolder
target_class = "horse"  # the target of the ProbeGAN generators whose samples are the third reference type
seed = 0  # seed of the units drawn, the renders and the query order
data_dir = None  # folder with CIFAR-10 or an image folder; None for the bundled data
run_dir = "runs"  # cache, samples and ledger, relative to the project root

# %%
import pandas as pd
import torch

import probelib as pl
from probelib import book, measure
from probelib.book import runs
from probelib.book.chapters import exemplars

ch = book.setup(profile=profile, dataset=dataset, target_class=target_class, seed=seed,
                data_dir=data_dir, run_dir=run_dir)
EX = ch.profile.exemplars
train, test = ch.load("train"), ch.load("test")
nets = runs.classifiers(ch)
KINDS = exemplars.KINDS  # the regular and the robust classifier

# %% tags=["remove-input"]
for name, value in {"layer": EX.layer, "units": EX.n_units, "refs": EX.n_refs,
                    "trials": EX.n_trials, "render steps": EX.render_steps}.items():
    book.glue(name, value)

# %% [markdown]
# This run explains {glue:text}`units` units of layer {glue:text}`layer` per classifier,
# with {glue:text}`refs` references per side, {glue:text}`trials` query pairs per unit and
# {glue:text}`render steps` render steps per feature visualisation.

# %% [markdown]
# ## References and queries never overlap
#
# The held-out test images are split once, at random, into a **reference pool** and a
# **query pool**. Natural references are the most and least activating images of the
# reference pool; the queries of each trial pair the i-th most with the i-th least activating
# image of the query pool, so the right answer is clear and no query is ever a reference.
# Exemplars are found by streaming the pool in batches, keeping only a running top-k.

# %%
ref_pool, query_pool = exemplars.split_pools(test.images, seed=ch.seed)
units, natural, queries = {}, {}, {}
for kind in KINDS:
    model = nets[kind].model.eval()
    units[kind] = exemplars.pick_units(model, EX.layer, ref_pool, EX.n_units, ch.seed)
    natural[kind] = measure.top_exemplars(model, EX.layer, units[kind],
                                             exemplars.batches(ref_pool), EX.n_refs)
    queries[kind] = measure.top_exemplars(model, EX.layer, units[kind],
                                             exemplars.batches(query_pool), EX.n_trials)
    print(f"{kind}: units {units[kind]}")

# %% [markdown]
# ## Feature visualisations
#
# Per unit, a batch of `n_refs` images maximises the unit's mean activation plus a diversity
# term (so the references differ), and another batch minimises it. The parameterisation is a
# 1/f-scaled Fourier spectrum through a sigmoid; every step sees the image padded, jittered,
# rescaled and rotated (the standard transforms), so the optimum is not a pixel-level
# adversarial pattern.

# %%
synthetic = {}
for kind in KINDS:
    model = nets[kind].model.eval()
    synthetic[kind] = exemplars.feature_visualisations(model, units[kind], EX,
                                                       train.channels, seed=ch.seed)
    print(exemplars.describe_renders(kind, model, EX.layer, units[kind], synthetic[kind],
                                     natural[kind]))

# %% [markdown]
# ## ProbeGAN samples
#
# The third kind of reference: samples of the ProbeGAN generator of {doc}`03_table1` (probing
# the same classifier, target absent from its data, all classes drawn), ranked by the unit;
# the most and least activating become the references. If the probe reproduces what the
# classifier holds, its samples should explain the unit about as well as natural images.

# %%
plan = exemplars.plan(ch)  # ProbeGAN probing the regular and the robust classifier
gans = {p.kind: gan for p, gan in runs.train(ch, train, nets, plan).items()}  # cached

# %%
refs = {}
for kind in KINDS:
    G = gans[kind].generator
    per = EX.gan_samples // len(ch.classes)
    pool = torch.cat([pl.sample(G, c, per, seed=ch.seed + c)
                      for c in range(len(ch.classes))])
    ranked = measure.top_exemplars(nets[kind].model.eval(), EX.layer, units[kind],
                                      exemplars.batches(pool), EX.n_refs)
    refs[kind] = exemplars.reference_sets(ref_pool, natural[kind], synthetic[kind],
                                          pool, ranked)
    print(f"{kind}: {len(pool)} ProbeGAN samples ({per} per class) ranked per unit")

# %% [markdown]
# ## What the references look like
#
# {numref}`fig-08-references-regular` and {numref}`fig-08-references-robust` show three units
# per classifier: for each, the max references of each kind, then the min references of
# natural exemplars.

# %% tags=["hide-input"]
for kind in KINDS:
    book.figure(f"fig-08-references-{kind}",
                exemplars.reference_figure(kind, units[kind], refs[kind], EX.layer),
                f"References of three units of the {kind} classifier (layer "
                f"`{EX.layer}`), four rows per unit: the most activating natural "
                "images, feature visualisations and ProbeGAN samples, then the least "
                "activating natural images. Do the visualisations resemble any image "
                "of the data set?")

# %% [markdown]
# ## The 2AFC test
#
# For every unit, `n_trials` query pairs from the query pool; the observer sees the max and
# min references of one kind (all `n_refs`, or only the most extreme one) and picks. Accuracy
# per unit, then the mean over units with a 95 % bootstrap CI (units resampled). The observer
# works in a judge's feature space — the development judge's and each panel judge's
# ({numref}`tbl-08-2afc`; the panel's ViT is the one the verdicts below read) — and, as a
# control, in raw pixels ({numref}`tbl-08-pixels`).

# %%
judges = runs.judges(ch, nets)  # the development judge and the reporting panel
observers = {name: j.features for name, j in judges.items()}
observers["pixels"] = lambda x: x.flatten(1)  # the control
embedded = {kind: exemplars.embed(observers, refs[kind], query_pool, queries[kind])
            for kind in KINDS}  # every observer's features of every image, once
per_unit = pd.concat([  # all references per side, and only the most extreme one
    exemplars.two_afc_per_unit(embedded[kind], units[kind], (EX.n_refs, 1), seed=ch.seed)
    .assign(classifier=kind) for kind in KINDS], ignore_index=True)
summary = exemplars.summarise(per_unit, seed=ch.seed)

# %% tags=["hide-input"]
book.table("tbl-08-2afc", exemplars.accuracy_table(summary),
           f"2AFC accuracy of the simulated observer in each judge's feature space, "
           f"mean over {EX.n_units} units per classifier with its 95 % bootstrap "
           f"interval (units resampled), {EX.n_trials} query pairs per unit, with "
           f"{EX.n_refs} or 1 reference per side; the last column is Borowski et "
           "al.'s people (mean ± SEM).")
book.table("tbl-08-pixels", exemplars.control_table(summary),
           "Control: the same observer comparing raw pixels, not a judge's features.")

# %% [markdown]
# ## Reading the result

# %%
main = summary[summary["observer"] == "panel: ViT"]
print("\n".join(exemplars.readings(main, (EX.n_refs, 1))))
main9 = main[main["references"] == EX.n_refs].set_index(["classifier", "reference type"])
acc9 = {kind: main9.loc[kind, "accuracy (%)"] for kind in KINDS}
for kind, a in acc9.items():
    for t, v in a.items():
        book.glue(f"2AFC {kind} {t}", float(v))
reg = acc9["regular"]
book.finding(f"2AFC accuracy of an observer in the panel ViT's features, {EX.n_refs} "
             f"references, regular classifier: natural exemplars {reg['natural']:.1f} %, "
             f"feature visualisations {reg['feature visualisation']:.1f} %, ProbeGAN "
             f"samples {reg['ProbeGAN samples']:.1f} % (paper, people: 92 vs 82 %)")

# %% [markdown]
# The paper's people, with 9 references: natural 92 ± 2 %, synthetic 82 ± 4 %; with 1
# reference: 73 ± 4 % vs 65 ± 5 %.
#
# The simulated observer is not a person: it compares images in a judge's feature space,
# trained on natural images of the same data set. That favours references that
# look like data (natural exemplars, GAN samples) over optimised patterns that drive a unit
# without resembling any image — the same bias Borowski et al. suspected in people, so the
# comparison is apt, but the absolute numbers are the judge's, not human accuracies. The
# pixel-space control shows how much of the result is plain image similarity.
#
# ## In this chapter we
#
# - found natural exemplars of units of the regular and the robust classifier by streaming
#   held-out images, rendered feature visualisations on torch 2.x (`probelib.viz`), and
#   ranked ProbeGAN samples by the same units;
# - ran a simulated 2AFC test with 9 and 1 references on disjoint reference and query images,
#   with bootstrap CIs over units, beside the paper's human numbers.

# %% [markdown]
# ## Exercises

# %% [markdown]
# ```{exercise} A unit where feature visualisation wins
# :label: ex-08-visualisation-wins
#
# **Level** ★★☆ medium · **Time** 15 min
#
# On average natural exemplars should explain units better. But per unit? With the chapter's
# main observer (the panel's ViT) and all `n_refs` references, find the units of the regular
# classifier where feature visualisations score higher than natural exemplars (`per_unit`
# holds one row per unit). Look at the best such unit's references and queries: what do its
# visualisations show that its natural exemplars do not? Is the gap larger than `n_trials`
# trials per unit can resolve?
# ```

# %% [markdown]
# ```{solution-start} ex-08-visualisation-wins
# :class: dropdown
# ```
# Per unit the accuracy is a share of only `n_trials` trials, so single units scatter; units
# where the visualisation wins by one trial are noise. {numref}`fig-08-visualisation-wins`
# shows the unit where it wins by most.

# %%
vit = per_unit.query("observer == 'panel: ViT' and classifier == 'regular'")
vit = vit[vit["references"] == EX.n_refs]
acc = vit.pivot(index="unit", columns="reference type", values="accuracy (%)")
gap = (acc["feature visualisation"] - acc["natural"]).sort_values(ascending=False)
wins = gap[gap > 0]
print(f"{len(wins)} of {len(gap)} units: feature visualisation beats natural exemplars "
      f"(one trial = {100 / EX.n_trials:.0f} points); largest gaps: "
      f"{wins.head(3).round(1).to_dict()}")
u = int(gap.index[0])
j = units["regular"].index(u)
book.figure("fig-08-visualisation-wins",
            exemplars.unit_figure(refs["regular"], j, u, query_pool, queries["regular"]),
            f"Unit {u} of the regular classifier: visualisation minus natural "
            f"{gap.iloc[0]:+.0f} points, the largest gap of this run (at most 0: "
            "no unit where the visualisation wins).")

# %% [markdown]
# A unit where the visualisation wins is typically one whose natural max and min references
# differ in something the ViT barely encodes (a texture, a position) while the visualisation
# exaggerates a colour or a shape the ViT does see; whether that holds here, the figure shows.
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} How many references?
# :label: ex-08-references
#
# **Level** ★★☆ medium · **Time** 10 min
#
# The chapter tests 1 and `n_refs` references per side. Predict how the observer's accuracy
# grows between them, for natural exemplars and feature visualisations: steadily, or mostly
# from the first few? Run the test with the ViT observer for 1, 3 and `n_refs` references
# (`exemplars.two_afc_per_unit` on the features the chapter computed, `embedded`).
# ```

# %% [markdown]
# ```{solution-start} ex-08-references
# :class: dropdown
# ```
# More references average out what one image has by chance; the mean of their features moves
# towards the unit's direction, so accuracy rises, with diminishing steps.

# %%
types = ("natural", "feature visualisation")
counts = sorted({1, min(3, EX.n_refs), EX.n_refs})
more = pd.concat([  # the ViT's features of the chapter's images, computed above
    exemplars.two_afc_per_unit({"panel: ViT": embedded[kind]["panel: ViT"]}, units[kind],
                               counts, seed=ch.seed, types=types).assign(classifier=kind)
    for kind in KINDS], ignore_index=True)
curve = exemplars.summarise(more, seed=ch.seed)
book.table("tbl-08-references", exemplars.count_table(curve),
           "The ViT observer's 2AFC accuracy (%, mean over units, 95 % bootstrap "
           "interval) against the number of references per side.")

# %% [markdown]
# {numref}`tbl-08-references` holds this run's accuracy against the number of references per
# side; compare the step from 1 to 3 with the step from 3 to `n_refs`, and both with the
# intervals.
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} Regular or robust units?
# :label: ex-08-robust-units
#
# **Level** ★☆☆ easy · **Time** 5 min
#
# Robust classifiers have gradients that look like the data
# {footcite:p}`santurkar2019image`, so their feature visualisations should look more like
# images. Predict: for which classifier is the gap between natural exemplars and feature
# visualisations smaller? Read it off {numref}`tbl-08-2afc` (the ViT column, `n_refs`
# references), or compute it from `main9`.
# ```

# %% [markdown]
# ```{solution-start} ex-08-robust-units
# :class: dropdown
# ```
# The gap per classifier, from the chapter's summary:

# %%
for kind in KINDS:
    gap = acc9[kind]["natural"] - acc9[kind]["feature visualisation"]
    print(f"{kind}: natural {acc9[kind]['natural']:.1f} %, feature visualisation "
          f"{acc9[kind]['feature visualisation']:.1f} % — gap {gap:+.1f} points")

# %% [markdown]
# If the robust gap is the smaller one, its visualisations carry more of what the observer
# uses; the intervals of {numref}`tbl-08-2afc` say whether the difference is more than the
# units drawn.
# ```{solution-end}
# ```

# %% [markdown]
# ## References
#
# ```{footbibliography}
# ```
