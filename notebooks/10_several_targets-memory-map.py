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
# **Prerequisites**: {doc}`10_several_targets` (several absent classes in one GAN, and the
# choice of k) and {doc}`03_table1` (the regular and the robust classifier, the development
# judge and the reporting panel).
#
# **You will learn**
# - to reuse chapter 10's choice of k, recomputed here from its GANs (the cache);
# - to hold every class out of one GAN of at most k classes, one seed, regular vs robust;
# - to read the map: generated and real images of every class with each class's recognition
#   ({numref}`fig-10-map-grid`), and the panel's confusion matrix over the probed classes
#   ({numref}`fig-10-map-confusion`).

# %% tags=["parameters"]
profile = "cpu"  # smoke (seconds) | cpu (minutes, 2 cores) | gpu | gpu-smoke (200 steps)
dataset = "animal-mnist"  # animal-mnist | digits | cifar10 | imagefolder
target_class = "horse"  # chapter 10's target: its group of absent classes is its GAN
seed = 0  # chapter 10's seed (its draw of absent classes) and the seed of every GAN here
data_dir = None  # folder with CIFAR-10 or an image folder; None for the bundled data
run_dir = "runs"  # cache, samples and ledger, relative to the project root

# %%
from probelib import book, viz
from probelib.book import runs
from probelib.book.chapters import several_targets, several_targets_memory_map as memory_map

ch = book.setup(profile=profile, dataset=dataset, target_class=target_class, seed=seed,
                data_dir=data_dir, run_dir=run_dir)
S = ch.profile.several
train, everything = ch.load("train"), ch.load("all")
nets = runs.classifiers(ch)
judges = runs.judges(ch, nets)
panel = {j: m for j, m in judges.items() if j != runs.DEV}

# %% [markdown]
# ## The k of the map
#
# Chapter 10's rule, recomputed from its GANs (from the cache when it ran first): the largest k
# whose recognition by the **development judge** stays within 10 points of k = 1's, for the
# target and for the mean over that k's absent classes ({numref}`tbl-10-map-choice`).

# %%
swept = several_targets.sweep_plan(ch)  # chapter 10's GANs over k
missing = several_targets.to_train(ch, train, nets, swept)  # 0 when chapter 10 ran first
sweep = several_targets.keyed(runs.train(ch, train, nets, swept))  # {(k, seed): GAN}
k_map, choice = several_targets.choose_k(sweep, judges[runs.DEV], S.within,
                                         ch.profile.n_samples)
book.glue("k map", k_map)
book.glue("sweep trained now", missing)

# %% tags=["hide-input"]
caption = (f"Chapter 10's choice of k, recomputed: recognition (%) by the development "
           f"judge ({runs.DEV}), mean over seeds; the map uses the largest k "
           f"within {S.within:g} points of k = 1's.")
book.table("tbl-10-map-choice", several_targets.choice_table(choice), caption)

# %% [markdown]
# The map's k is {glue:text}`k map` ({glue:text}`sweep trained now` of chapter 10's GANs had
# to be trained now). Its plan holds every class in a group of at most k absent classes, one
# GAN per group and classifier; the first group is chapter 10's own.

# %%
plan = memory_map.plan(ch, k_map)  # every class absent from one GAN, per classifier
missing = several_targets.to_train(ch, train, nets, plan)
maps = runs.train(ch, train, nets, plan)  # {planned GAN: GAN}, cached or trained now
print(f"{len(maps)} GANs ({missing} trained now, the rest from the cache):")
print("\n".join(f"  {p.row}" for p in plan))

# %% [markdown]
# Each GAN draws every class absent from it; the drawings are exported for readers who want
# their own judge.

# %%
fakes = memory_map.draw_maps(maps, ch.profile.n_samples, ch.seed)  # {kind: {class: x}}
files = memory_map.export_maps(ch, fakes)  # runs/samples/memory-map/<kind>-<class>.npz
print(f"{files} classes × kinds, {ch.profile.n_samples} images each")

# %% [markdown]
# ## Recognition of every class
#
# Each class's generated images read by the panel ({numref}`tbl-10-map-recognition`); one GAN
# (seed) per class and classifier, so this table has no interval over seeds — chapter 10 has
# them for the classes it swept. The secondary interval in brackets is the Wilson 95 % interval
# **over the images** of that one GAN, and says nothing about another seed.

# %%
rec = memory_map.map_table(fakes, panel, ch.classes)
book.glue("map classes", len(rec))

# %% tags=["hide-input"]
caption = (f"Recognition (%) of every class's probe by the panel, per classifier: one "
           f"GAN (seed {ch.seed}) each, with the Wilson 95 % interval over its "
           f"{ch.profile.n_samples} images (not over seeds). Compare regular and robust "
           "row by row.")
book.table("tbl-10-map-recognition", rec, caption)

# %% [markdown]
# ## The memory map
#
# Per class (row) of {numref}`fig-10-map-grid`: four real images, then the regular and the
# robust classifier's probe. The row label gives the panel ViT's recognition of each probe.

# %% tags=["hide-input"]
fig = memory_map.map_figure(fakes, everything, panel["panel: ViT"], S.grid, ch.seed)
caption = ("The memory map: per class four real images, then the regular and the robust "
           "classifier's probe; the row label gives the panel ViT's recognition of each. "
           "Look for rows whose probe looks like another row's real images.")
book.figure("fig-10-map-grid", fig, caption)

# %% [markdown]
# ## What the classifier confuses
#
# In {numref}`fig-10-map-confusion`, rows are the class the GAN was asked for (absent from its
# data); columns what the panel judge calls its images, in % of the row. A strong off-diagonal
# cell says what the classifier's memory of a class resembles more than the class itself.

# %%
mats = {f"{j}, {kind}": memory_map.confusion(m, fakes[kind], ch.classes)
        for j, m in panel.items() for kind in ("regular", "robust")}
for name, m in mats.items():
    print(f"{name}: {memory_map.worst_confusions(m)}; "
          f"{memory_map.worst_confusions(m, row=ch.target_class)}")

# %% tags=["hide-input"]
caption = ("The panel's reading of each probed class, in % of its images: rows the class "
           "the GAN was asked for, columns what the judge calls it, per judge and "
           "classifier. Look off the diagonal.")
book.figure("fig-10-map-confusion", viz.heatmaps(mats), caption)

# %%
for j, m in panel.items():
    print(f"{j}: {memory_map.robust_vs_regular(fakes, m, ch.classes)}")
vit = {kind: memory_map.rates(fakes[kind], panel["panel: ViT"], ch.classes)
       for kind in fakes}
book.glue("map robust mean", round(sum(vit["robust"].values()) / len(vit["robust"]), 1))
book.finding(memory_map.map_finding(k_map, len(maps), vit, memory_map.robust_vs_regular(
    fakes, panel["panel: ViT"], ch.classes)))

# %% [markdown]
# **Exports.** Every class's generated images per classifier, `images` in [-1, 1]:
# `runs/samples/memory-map/<kind>-<class>.npz`.
#
# ## Where this goes beyond the paper
#
# The paper probes one class per GAN and reports its classes one by one
# {footcite:p}`zhang2022probegan`; a map of every class of one classifier, regular beside
# robust, is not in it. The regular classifier's probes are expected to read worse (the paper's
# Table 1: ProbeGAN-regular has the worse intra-FID), as its gradients carry less of what a
# class looks like {footcite:p}`santurkar2019image`; the table above says how much for each
# class here, with one seed.
#
# ## On this page we
#
# - probed every class of the regular and the robust classifier with the k chapter 10 chose;
# - drew the map of what each remembers of each class, and where the panel reads one class's
#   memory as another class.

# %% [markdown]
# ## Exercises
#
# ```{exercise} The class the regular classifier remembers worst
# :label: ex-10-map-worst
#
# **Level** ★☆☆ easy · **Time** 5 min
#
# Find, in {numref}`tbl-10-map-recognition`, the class whose probe of the **regular**
# classifier the panel's ViT recognises least often. What does the panel take that probe for
# (its row of {numref}`fig-10-map-confusion`), and does the robust classifier's probe of the
# same class fare better? Compute it from `vit` and `mats`.
# ```

# %% [markdown]
# ```{solution-start} ex-10-map-worst
# :class: dropdown
# ```
# `vit` holds each class's recognition by the panel's ViT per classifier, `mats` the confusion
# matrices. A low class whose probe the panel calls another class is remembered as that class;
# a low class spread over many columns is remembered as nothing in particular. One seed: a
# difference inside the Wilson intervals of {numref}`tbl-10-map-recognition` is not one.

# %%
worst = min(vit["regular"], key=vit["regular"].get)
tied = [c for c, v in vit["regular"].items() if v == vit["regular"][worst] and c != worst]
print(f"worst remembered by the regular classifier: {worst!r}, "
      f"{vit['regular'][worst]:.1f} % (robust: {vit['robust'][worst]:.1f} %)"
      + (f"; tied with {', '.join(tied)}" if tied else ""))
for kind in ("regular", "robust"):
    print(f"{kind}: {memory_map.worst_confusions(mats[f'panel: ViT, {kind}'], row=worst)}")
print(rec.loc[worst].to_string())

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} Where robustness helps most
# :label: ex-10-map-gain
#
# **Level** ★★☆ medium · **Time** 10 min
#
# Rank the classes by how many points the robust classifier's probe gains over the regular
# one's (panel ViT). Is the largest gain beyond the Wilson intervals over images? What would
# you need to run before calling it a property of the classifier rather than of one seed?
# ```

# %% [markdown]
# ```{solution-start} ex-10-map-gain
# :class: dropdown
# ```
# The intervals in {numref}`tbl-10-map-recognition` are over the images of one GAN, so they
# say how well that GAN's rate is measured, not how much another seed's GAN would differ.
# Chapter 10 has intervals over seeds for its swept classes; for a class-by-class claim the map
# needs several seeds per class (the `seed` parameter, rerun) and an interval over them.

# %%
gain = {c: vit["robust"][c] - vit["regular"][c] for c in vit["robust"]}
ranked = sorted(gain, key=gain.get, reverse=True)
print("robust − regular (points, panel ViT): "
      + ", ".join(f"{c} {gain[c]:+.1f}" for c in ranked))
best = ranked[0]
print(f"largest gain {best!r}; its row (Wilson intervals over images):")
print(rec.loc[best].to_string())

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ## References
#
# ```{footbibliography}
# ```
