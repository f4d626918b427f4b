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
# # 10.1 · A memory map of the classifier: every class probed
#
# What does this classifier remember of *each* of its classes? With several classes absent
# from one GAN ({doc}`chapter 10 <10_several_targets>`), every class can be probed for a few
# GANs instead of ten. This page probes all of them, for the regular and the robust
# classifier, with the k that chapter 10 chose (with the development judge) and shows the map:
# each class's generated images beside real ones, how often the panel recognises them, and what
# the panel takes them for when it does not.
#
# This page shows:
# - the k of chapter 10's choice, recomputed here from its GANs (the cache);
# - every class absent from one GAN of at most k classes, one seed, regular vs robust;
# - a 10-row grid of generated and real images with each class's recognition;
# - the panel's confusion matrix over the probed classes.

# %% tags=["parameters"]
profile = "cpu"  # smoke (seconds) | cpu (minutes on 2 cores) | gpu (paper scale) | gpu-smoke (gpu at 200 steps)
dataset = "animal-mnist"  # animal-mnist | digits | cifar10 | imagefolder
target_class = "horse"  # chapter 10's target: its group of absent classes is the sweep's GAN
seed = 0  # chapter 10's seed (its draw of absent classes) and the seed of every GAN here
data_dir = None  # folder with CIFAR-10 or an image folder; None for the bundled data
run_dir = "runs"  # cache, samples and ledger, relative to the project root

# %%
import pandas as pd
import torch
from IPython.display import display

from probelib import book, data, viz
from probelib.book import compare, experiments, several

ch = book.setup(profile=profile, dataset=dataset, target_class=target_class, seed=seed, data_dir=data_dir,
                run_dir=run_dir)
S = ch.profile.several
train, everything = ch.load("train"), ch.load("all")
nets = experiments.classifiers(ch)
judges = experiments.judges(ch, nets)
panel = {j: m for j, m in judges.items() if j != experiments.DEV}

# %% [markdown]
# ## The k of the map
#
# Chapter 10's rule, recomputed from its GANs (from the cache when it ran first): the largest k
# whose recognition by the **development judge** stays within 10 points of k = 1's, for the
# target and for the mean over that k's absent classes.

# %%
sweep, trained = several.train_all(ch, several.sweep_jobs(ch, train, nets))
k_map, choice = several.choose_k(sweep, judges[experiments.DEV], S.within, ch.profile.n_samples)
display(choice.round(1))
jobs = several.memory_map_jobs(ch, train, nets, k_map)
groups = list(dict.fromkeys(g for _, g in jobs))
print(f"k = {k_map} (development judge); {trained} of chapter 10's GANs trained now; the map's groups: "
      + "; ".join(", ".join(g) for g in groups))

# %%
maps, trained = several.train_all(ch, jobs)
fakes = {kind: {} for kind in ("regular", "robust")}
for (kind, group), res in maps.items():
    fakes[kind].update(several.draw(res, ch.profile.n_samples, ch.seed))
for kind, per_class in fakes.items():
    for name, x in per_class.items():  # exports runs/samples/memory-map/<kind>-<class>.npz
        data.save_samples(ch.samples_dir("memory-map") / f"{kind}-{name}.npz", x, ch.classes.index(name))
print(f"{len(maps)} GANs ({trained} trained now, the rest from the cache); "
      f"{sum(len(v) for v in fakes.values())} classes × kinds, {ch.profile.n_samples} images each")

# %% [markdown]
# ## Recognition of every class
#
# Each class's 500 generated images read by the panel; one GAN (seed) per class and
# classifier, so this table has no interval over seeds — chapter 10 has them for the classes
# it swept. The secondary interval in brackets is the Wilson 95 % interval **over the
# images** of that one GAN, and says nothing about another seed.

# %%
rec = several.map_table(fakes, panel, ch.classes)
display(rec)
book.glue("map classes", len(rec))

# %% [markdown]
# ## The memory map
#
# Per class (row): four real images, then the regular and the robust classifier's probe. The
# row label gives the panel ViT's recognition of each probe.

# %%
fig = several.map_figure(fakes, everything, panel["panel: ViT"], S.grid, ch.seed)

# %% [markdown]
# ## What the classifier confuses
#
# Rows: the class the GAN was asked for (absent from its data); columns: what the panel judge
# calls its images, in % of the row. A strong off-diagonal cell says what the classifier's
# memory of a class resembles more than the class itself.

# %%
mats = {f"{j}, {kind}": several.confusion(m, fakes[kind], ch.classes) for j, m in panel.items()
        for kind in ("regular", "robust")}
fig = viz.heatmaps(mats, title="The panel's reading of each probed class (% of its images)")
for name, m in mats.items():
    print(f"{name}: {several.worst_confusions(m)}; {several.worst_confusions(m, row=ch.target_class)}")

# %%
for j, m in panel.items():
    print(f"{j}: {several.robust_vs_regular(fakes, m, ch.classes)}")
vit = {kind: several.rates(fakes[kind], panel["panel: ViT"], ch.classes) for kind in fakes}
book.glue("map robust mean", round(sum(vit["robust"].values()) / len(vit["robust"]), 1))
book.finding(f"every class probed with k = {k_map} absent per GAN ({len(maps)} GANs for two classifiers): the "
             f"panel's ViT recognises the robust classifier's probes {sum(vit['robust'].values()) / len(vit['robust']):.1f} "
             f"% of the time on average over the {len(vit['robust'])} classes, the regular one's "
             f"{sum(vit['regular'].values()) / len(vit['regular']):.1f} % (one seed each); "
             + several.robust_vs_regular(fakes, panel["panel: ViT"], ch.classes))

# %% [markdown]
# **Exports.** Every class's 500 images per classifier, `images` in [-1, 1]:
# `runs/samples/memory-map/<kind>-<class>.npz`.
#
# ## Where this goes beyond the paper
#
# The paper probes one class per GAN and reports its classes one by one; a map of every class
# of one classifier, regular beside robust, is not in it. The regular classifier's probes are
# expected to read worse (the paper's Table 1: ProbeGAN-regular has the worse intra-FID), as
# its gradients carry less of what a class looks like; the table above says how much for each
# class here, with one seed.
#
# ## On this page we
#
# - probed every class of the regular and the robust classifier with the k chapter 10 chose;
# - drew the map of what each remembers of each class, and where the panel reads one class's
#   memory as another class.
