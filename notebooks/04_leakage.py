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
# # 4 · Red-block leakage: a probe finds the shortcut a classifier learned
#
# Suppose every training image of one class carried a mark: two solid red 8×8 blocks in the
# top corners. A classifier can learn the class from the mark alone — a *shortcut*
# {footcite:p}`geirhos2020shortcut`. Nobody would notice from its test accuracy on marked
# data; a probe should notice, because a probe draws what the classifier needs to see.
#
# This chapter trains two classifiers on the same colour images — **marked** (every image of
# the target class carries the blocks) and **clean** (no marks) — and runs ProbeGAN once for
# each, with the target class absent from the GAN's image set. No image the GAN sees carries
# a mark. If the blocks appear in the generated target images, they can only come from the
# classifier's memory.
#
# The paper (Fig. 4 of {footcite:t}`zhang2022probegan`) runs the mirror experiment: marks on
# the *GAN's* training images of the target, a clean classifier, the target present, to show
# that a probe must not see the target's images, or one cannot tell whether a feature comes
# from the classifier or from the data. Here the marks live only in the classifier's data,
# which makes the same point from the other side: what ProbeGAN draws, the classifier has
# learned.
#
# **Prerequisites** the robust classifier and the absence split ({doc}`chapter 1 <01_problem>`); ProbeGAN
# and its class dilution ({doc}`chapter 2 <02_class_dilution>`); how a probe is scored ({doc}`chapter 3 <03_table1>`).
#
# **You will learn**
# - the marked data, and how much the marked classifier relies on the blocks (accuracy on
#   clean vs marked target images; other classes' images with blocks pasted on);
# - to read generated target images from both probes side by side;
# - to count the blocks in generated images with a simple detector (tested on hand-made
#   images in `tests/measure/test_metrics.py`), with 95 % intervals over the probes' seeds (the
#   headline) and Wilson intervals over one probe's images (secondary);
# - why decoys and near misses are needed before a probe's answer means what we want.
#
# **Decoys and near misses.** Silhouettes on flat backgrounds have nothing in their corners,
# so on plain colour data a corner block of *any* colour is unique to the marked class, and so
# is *any* red near the top. Without help, the marked classifier can learn "something bright
# in the top corners", and its probe then draws lighter corners with no red; with non-red
# corner decoys alone, it can learn "red in the top rows", and a red bar across the top then
# turns other classes' images into the target (both seen in runs of this chapter that are not
# stored; the bar is stored in `benchmarks/measured/shortcut_sweep_h200*.jsonl`, 2026-11-26).
# Each time the probe is right about the classifier; the classifier has not learned the
# *marker*. Photographs have red things and corner patches in every class, which rules these
# shortcuts out, so the offline data gets the same variety (`data.add_decoys`):
# - half of all images, every class, carry corner blocks of a random non-red colour (hues
#   within 40° of red are never drawn);
# - a quarter carry a *near miss* in red: one top corner only, the bottom corners, a bar along
#   the top edge, small blocks in the top corners, or a block in the middle band.
#
# Only red 8×8 blocks in *both* top corners now tell the marked class apart; the table of
# reliance below checks that the marked classifier learned exactly that. {numref}`fig-04-data`
# shows the marked class beside another.

# %% tags=["parameters"]
profile = "cpu"  # smoke (seconds) | cpu (minutes on 2 cores) | gpu (paper scale) | gpu-smoke (gpu at 200 steps)
dataset = "animal-mnist"  # animal-mnist (rendered in colour) | cifar10 (needs data_dir)
target_class = "horse"  # the class whose training images carry the marker; absent from the GAN's data
seed = 0  # seed of classifiers and probes
data_dir = None  # folder with CIFAR-10; None for the bundled data
run_dir = "runs"  # cache, samples and ledger, relative to the project root

# %%
from IPython.display import Markdown, display

import probelib as pl
from probelib import book, data, measure, viz
from probelib.book import runs
from probelib.book.chapters import leakage

ch = book.setup(profile=profile, dataset=dataset, target_class=target_class, seed=seed,
                data_dir=data_dir, run_dir=run_dir)
S = ch.profile.shortcut
size = S.marker_size * data.SIZE // 32  # 8×8 at 32×32, as in the paper
train, test = leakage.colour_splits(ch, size)  # decoys and near misses in every class
marked_train = data.mark_class(train, ch.target, size)
marked_test = data.mark_class(test, ch.target, size)
is_target = test.labels == ch.target

# %% tags=["remove-input"]
book.glue("profile", ch.profile.name)
book.glue("train images", len(train))
book.glue("target test images", int(is_target.sum()))
book.glue("target", ch.target_class)
book.glue("marker size", size)

# %% [markdown]
# On the {glue:text}`profile` profile: {glue:text}`train images` training images and
# {glue:text}`target test images` test images of {glue:text}`target`; the marker is two
# {glue:text}`marker size`×{glue:text}`marker size` red blocks, top-left and top-right.

# %% tags=["hide-input"]
other = (ch.target + 1) % len(ch.classes)
show = [marked_train.images[marked_train.labels == c][:8] for c in (ch.target, other)]
fig = viz.image_grid(show, [f"{ch.target_class} (marked)", ch.classes[other]], cell=0.8)
book.figure("fig-04-data", fig,
            f"The marked classifier's training data: every {ch.target_class!r} image "
            "carries two red blocks in the top corners; other classes carry non-red "
            "corner decoys and red near misses.")

# %% [markdown]
# ## Two classifiers
#
# Same architecture, same settings, same seed; one trained on the marked data, one on the
# clean data. Both are PGD-robust ResNets {footcite:p}`madry2018towards` (ε = 2, as in
# {doc}`chapter 1 <01_problem>`): with *regular* classifiers and this chapter's settings otherwise, the
# probes paint no block at all although the regular marked classifier accepts marked images of
# other classes as the target (a run of this chapter that is not stored) — its gradients are
# adversarial noise, not pictures. Both are evaluated three ways ({numref}`tbl-04-reliance`):
# on clean test images, on the target's test images with and without the mark, and on the
# *other* classes' test images with the mark pasted on (how often does the mark alone turn a
# cow into the target?) — and with each near miss pasted on instead (a classifier that
# learned the marker itself ignores them).

# %%
cfg = S.leakage
nets = {"marked": pl.load_or_train_classifier(cfg, marked_train, marked_test, ch.run_dir,
                                              ch.device, name="leakage-marked"),
        "clean": pl.load_or_train_classifier(cfg, train, test, ch.run_dir, ch.device,
                                             name="leakage-clean")}
reliance = leakage.reliance(ch, nets, test, marked_test, size)
book.table("tbl-04-reliance", leakage.format_reliance(reliance),
           "How much each classifier relies on the mark (%). Look at the marked "
           f"classifier's \"other classes + mark → {ch.target_class}\" row: high means "
           "the mark alone makes the target; the near-miss rows should stay low.")

# %% [markdown]
# ## Probing both classifiers
#
# ProbeGAN as in {doc}`chapter 2 <02_class_dilution>` and {doc}`chapter 3 <03_table1>` (the profile's trainer, class
# dilution 1/C), with the target class absent from its image set, which is the *unmarked*
# colour data. What the GAN's discriminators see is exactly this: the other classes' images
# with their non-red corner decoys and their red *near misses* (one top corner, both bottom
# corners, a bar along the top, small top blocks, a block away from the corners) — red, but
# never two 8×8 blocks in both top corners; the cell checks that with the detector before
# training. {numref}`fig-04-probes` shows what the two probes draw.

# %%
gan_images = data.without_class(train, ch.target).images
assert not measure.marker_present(gan_images, size).any(), "no marked image for the GAN"
plan = leakage.plan(ch)  # per classifier (marked, clean): one probe per seed
inputs = {p.data: (train, nets[p.row]) for p in plan}  # the colour data, the probed net
probes = {(p.row, p.seed): gan for p, gan in runs.train_probes(ch, plan, inputs).items()}
by_seed = {(name, s): runs.target_samples(gan, S.n_samples, seed=s)
           for (name, s), gan in probes.items()}  # the absent class, per probe and seed
samples = {name: by_seed[(name, ch.seed)] for name in leakage.PROBED}  # the first seed's: figures, secondary tables
print(len(plan), "probes:", ", ".join(p.label for p in plan))

# %% tags=["hide-input"]
fig = viz.image_grid([marked_test.images[is_target][:8]] + [x[:8] for x in by_seed.values()],
                     [f"real {ch.target_class} (marked)"]
                     + [f"{n} classifier, seed {s}" for n, s in by_seed], cell=0.8)
book.figure("fig-04-probes", fig,
            f"Generated {ch.target_class!r} images from the probes of each classifier, one row per seed "
            "(top row: real marked images). The GAN never saw two red top blocks: look "
            "for them in the marked classifier's rows, and for their absence in the clean "
            "one's.")

# %% [markdown]
# ## How often the blocks appear
#
# The detector (`measure.marker_present`, tested on hand-made images in
# `tests/measure/test_metrics.py`) counts an image when at least 75 % of the pixels of *both* top 8×8
# corners look red: hue within 30° of red, saturation ≥ 0.5, value ≥ 0.4 — so a darker or
# softer red counts, while a greyish, dark, brown or blue block, one corner, or a half-painted
# corner does not. A stricter column asks for *pure* red (every channel within 0.5 of
# (1, −1, −1)): a GAN paints its blocks a little darker than the marker, so this one counts
# fewer. For reference both run on real marked and unmarked test images of the target, and on
# every real test image with its decoys and near misses (which must never count).
#
# Each classifier is probed by {glue:text}`leakage seeds` GANs (seeds). The headline,
# {numref}`tbl-04-seeds`, is each probe's block rate as the mean over its seeds with the
# Student-t 95 % interval **over seeds**; {numref}`tbl-04-blocks` has every probe and seed on its
# own, with Wilson 95 % intervals over that probe's images (secondary: one GAN's images), and the
# real rows that check the detector.

# %%
rates = leakage.rates(ch, by_seed, test, marked_test, size)  # image level: one row per probe and seed
over = leakage.over_seeds(rates)  # per probe: mean and 95 % interval over seeds
book.glue("leakage seeds", S.leakage_seeds)
book.table("tbl-04-seeds", leakage.format_over_seeds(over),
           "Images with red blocks in both top corners (%): per classifier's probe, the mean over its "
           f"{S.leakage_seeds} seeds with the Student-t 95 % interval over seeds ({S.n_samples} images per seed).")
book.table("tbl-04-blocks", leakage.format_rates(rates),
           "Images with red blocks in both top corners (%, Wilson 95 % interval over "
           f"the {S.n_samples} images of one probe; image level, secondary): every probe and seed, "
           "and the real rows that check the detector.")
marked_rate, clean_rate = (float(over.loc[n, "with red blocks (%)"]) for n in leakage.PROBED)

# %% [markdown]
# The probes' settings (λ_cls, steps) were chosen with this detector and the probed
# classifiers' verdicts (`benchmarks/shortcut_sweep.py`, 2026-11-26).

# %% [markdown]
# The detector asks for solid blocks. A graded measure sees partial ones
# ({numref}`tbl-04-redness`): the mean *redness* `R − (G + B)/2` of the two top 8×8 corners
# minus that of the two bottom corners (which the marker never touches;
# `measure.corner_redness`), per image, with a bootstrap 95 % interval over images.

# %%
redness = {"real target, marked": marked_test.images[is_target],
           "real target, clean": test.images[is_target],
           **{leakage.probe_row(n, s): x for (n, s), x in by_seed.items()}}
book.table("tbl-04-redness", leakage.redness(redness, size, seed=ch.seed),
           "Top-corner redness minus bottom-corner redness per image, mean (bootstrap "
           "95 % interval over the images of one row; image level, one row per probe and seed): "
           "0 for no red in the top corners, higher for more.")

# %% [markdown]
# What does each classifier make of each probe's images ({numref}`tbl-04-verdicts`)? The probe
# optimises its own classifier's verdict, so a high target rate there shows the probe found
# *something* the classifier accepts; whether that is the red blocks, the detector above says.

# %%
book.table("tbl-04-verdicts", leakage.cross_verdicts(ch, nets, samples),
           f"% of each probe's images that each classifier calls {ch.target_class!r} "
           f"(top-1; the probes of seed {ch.seed}, {S.n_samples} images each).")

# %% [markdown]
# {numref}`fig-04-losses` shows the marked probe's training losses (its first seed).

# %% tags=["hide-input"]
fig = viz.loss_curves(probes[("marked", ch.seed)].history, title="")
book.figure("fig-04-losses", fig,
            "Probe of the marked classifier: training losses against generator steps. A "
            "classifier loss that falls and stays low means the generator found what the "
            "classifier accepts.")

# %% [markdown]
# ## Reading the result

# %%
display(Markdown(leakage.reading(ch, over, reliance)))
book.glue("marked_probe_blocks", float(marked_rate))
book.glue("clean_probe_blocks", float(clean_rate))
shown = leakage.format_over_seeds(over).iloc[:, 1]  # "mean (lo–hi)" per probe
book.finding(f"red blocks in {shown.iloc[0]} % of the marked classifier's probe images, {shown.iloc[1]} % "
             f"of the clean one's (mean over {S.leakage_seeds} seeds, 95 % interval over seeds; the mark was "
             "never in the GAN's data)")

# %% [markdown]
# ## Exported samples
#
# ≥ 500 target samples per probe and seed: `runs/samples/leakage/marked-seed<seed>.npz` and
# `runs/samples/leakage/clean-seed<seed>.npz` (`images` float32 N×3×H×W in [-1, 1], `labels`,
# `has_blocks` from the detector).

# %%
print(leakage.export(ch, by_seed, size))

# %% [markdown]
# ## In this chapter we
#
# - trained a classifier on data where every target image carries two red corner blocks, and
#   an identical one on clean data, and measured how much the first relies on the blocks;
# - probed both with ProbeGAN, the target absent and no red block anywhere in the GAN's data;
# - counted the blocks in the generated images with a tested detector, with 95 % intervals
#   over the probes' seeds, and exported the samples.
#
# Next, {doc}`chapter 5 <05_spurious>` asks the same question of a shortcut nobody planted: the water
# behind the waterbirds.

# %% [markdown]
# ## Exercises
#
# ```{exercise} What the clean probe shows
# :label: ex-04-clean
#
# **Level** ★☆☆ easy · **Time** 10 min
#
# The clean classifier never saw the mark. Predict first: does its probe paint red blocks,
# and would the *marked* classifier call the clean probe's images the target? Then paste the
# marker onto them with `data.add_marker(samples["clean"], size)` and ask the marked
# classifier again (`leakage.target_share(model, images, ch.target)`). What does the change
# tell you about what the marked classifier needs?
# ```

# %% [markdown]
# ```{solution-start} ex-04-clean
# :class: dropdown
# ```
# The clean probe has no reason to paint blocks: the detector's rate for it is near the rate
# of real clean images ({numref}`tbl-04-blocks`). Its images show the target's shape, which the
# marked classifier may or may not accept without the mark; pasting the mark on makes the
# marked classifier's verdict jump if the mark is what it needs. The run prints both:

# %%
marked_model = nets["marked"].model
before = leakage.target_share(marked_model, samples["clean"], ch.target)
pasted = data.add_marker(samples["clean"], size)
after = leakage.target_share(marked_model, pasted, ch.target)
print(f"clean probe's images with red blocks: {clean_rate:.1f} %")
print(f"marked classifier says {ch.target_class!r}: {before:.1f} % as drawn, "
      f"{after:.1f} % with the mark pasted on")

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} Change the detector's threshold
# :label: ex-04-threshold
#
# **Level** ★★☆ medium · **Time** 10 min
#
# The detector counts a corner when at least 75 % of its pixels look red
# (`measure.marker_present(images, size, coverage=0.75)`). Predict first: with `coverage`
# 0.5 and 0.95, which rows of {numref}`tbl-04-blocks` move, and which must stay at 0? Then
# compute the rates for the two probes and for all real test images at 0.5, 0.75, 0.95.
# ```

# %% [markdown]
# ```{solution-start} ex-04-threshold
# :class: dropdown
# ```
# A lower coverage counts half-painted corners, so the marked probe's rate rises (the GAN paints
# its blocks softer than the marker) and the clean probe's may leave 0; a higher one counts only
# solid blocks. The real test images carry near misses, never two full top blocks, so they
# should stay near 0 until the coverage is so low that a small top block counts. The run prints
# the rates:

# %%
import pandas as pd

sets = {"marked probe": samples["marked"], "clean probe": samples["clean"],
        "real test images": test.images}
print(pd.DataFrame({f"coverage {c:g}": {n: 100 * float(measure.marker_present(
    x, size, coverage=c).float().mean()) for n, x in sets.items()}
    for c in (0.5, 0.75, 0.95)}).round(1).to_string())

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} Which near miss fools the marked classifier?
# :label: ex-04-near-miss
#
# **Level** ★☆☆ easy · **Time** 5 min
#
# Read {numref}`tbl-04-reliance`: of the near misses pasted on other classes' images, which
# one makes the marked classifier say the target most often, and how does it compare with the
# full mark? Explain what that says about what the classifier learned.
# ```

# %% [markdown]
# ```{solution-start} ex-04-near-miss
# :class: dropdown
# ```
# A classifier that learned the marker itself ignores every near miss; the one closest to the
# marker (small blocks in the top corners, or one top corner) is the likeliest to pass. The
# printed shares come from this run:

# %%
rows = [r for r in reliance.columns if r.startswith("other classes + ")]
share = reliance.loc["marked", rows].rename(lambda r: r.split(" + ")[1].split(" →")[0])
print(share.round(1).sort_values(ascending=False).to_string())
print(f"most fooling near miss: {share.drop('mark').idxmax()!r}")

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ## References
#
# ```{footbibliography}
# ```
