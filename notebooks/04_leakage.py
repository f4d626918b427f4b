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
# top corners. A classifier can learn the class from the mark alone. Nobody would notice from
# its test accuracy on marked data; a probe should notice, because a probe draws what the
# classifier needs to see.
#
# This chapter trains two classifiers on the same colour images — **marked** (every image of
# the target class carries the blocks) and **clean** (no marks) — and runs ProbeGAN once for
# each, with the target class absent from the GAN's image set. No image the GAN sees carries
# a mark. If the blocks appear in the generated target images, they can only come from the
# classifier's memory.
#
# The paper (Fig. 4) runs the mirror experiment: marks on the *GAN's* training images of the
# target, a clean classifier, the target present, to show that a probe must not see the
# target's images, or one cannot tell whether a feature comes from the classifier or from
# the data. Here the marks live only in the classifier's data, which makes the same point
# from the other side: what ProbeGAN draws, the classifier has learned.
#
# This chapter shows:
# - the marked data and how much the marked classifier relies on the blocks (accuracy on
#   clean vs marked target images; other classes' images with blocks pasted on);
# - generated target images from both probes side by side;
# - the share of generated images with red blocks in both corners by a simple detector (tested
#   on hand-made images in `tests/measure/test_metrics.py`), with Wilson 95 % intervals over the
#   images of this chapter's one run per classifier (image-level: no seeds of this chapter are
#   stored).
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
# reliance below checks that the marked classifier learned exactly that.

# %% tags=["parameters"]
profile = "cpu"  # smoke (seconds) | cpu (minutes on 2 cores) | gpu (paper scale) | gpu-smoke (gpu at 200 steps)
dataset = "animal-mnist"  # animal-mnist (rendered in colour) | cifar10 (needs data_dir)
target_class = "horse"  # the class whose training images carry the marker; absent from the GAN's data
seed = 0  # seed of classifiers and probes
data_dir = None  # folder with CIFAR-10; None for the bundled data
run_dir = "runs"  # cache, samples and ledger, relative to the project root

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
S = ch.profile.shortcut
size = S.marker_size * data.SIZE // 32  # 8×8 at 32×32, as in the paper


train, test = (data.leakage_colour(data.load(ch.dataset, split, ch.data_dir), S.decoy_fraction,
                                   S.near_miss_fraction, size) for split in ("train", "test"))
marked_train = data.mark_class(train, ch.target, size)
marked_test = data.mark_class(test, ch.target, size)
is_target = test.labels == ch.target
print(f"profile {ch.profile.name!r}; {len(train)} training images, {int(is_target.sum())} test images of "
      f"{ch.target_class!r}; marker: two {size}×{size} red blocks, top-left and top-right")

# %%
show = [marked_train.images[marked_train.labels == c][:8] for c in (ch.target, (ch.target + 1) % len(ch.classes))]
viz.image_grid(show, [f"{ch.target_class} (marked)", ch.classes[(ch.target + 1) % len(ch.classes)]],
                 title="The marked classifier's training data", cell=0.8);

# %% [markdown]
# ## Two classifiers
#
# Same architecture, same settings, same seed; one trained on the marked data, one on the
# clean data. Both are PGD-robust ResNets (ε = 2, as in chapter 1): with *regular* classifiers
# and this chapter's settings otherwise, the probes paint no block at all although the regular
# marked classifier accepts marked images of other classes as the target (a run of this chapter
# that is not stored) — its gradients are adversarial noise, not pictures. Both are evaluated
# three ways: on clean test images, on the target's test images with and without the mark,
# and on the *other* classes' test images with the mark pasted on (how often does the mark
# alone turn a cow into a horse?) — and with each near miss pasted on instead (a classifier
# that learned the marker itself ignores them).

# %%
cfg = S.leakage
nets = {
    "marked": pl.load_or_train_classifier(cfg, marked_train, marked_test,
                                        ch.run_dir, ch.device, name="leakage-marked"),
    "clean": pl.load_or_train_classifier(cfg, train, test, ch.run_dir, ch.device, name="leakage-clean"),
}
others = test.images[~is_target]
pasted = {"mark": data.add_marker(others, size),  # and the near misses, for what the classifier learned
          **{kind: data.near_miss(others, kind, size, rng=np.random.default_rng(k))
             for k, kind in enumerate(data.NEAR_MISSES)}}
rows = {}
for name, net in nets.items():
    m = net.model
    rows[name] = {
        "clean test accuracy (%)": 100 * models.accuracy(m, test.images, test.labels),
        f"{ch.target_class}, no mark (%)": 100 * models.accuracy(m, test.images[is_target], test.labels[is_target]),
        f"{ch.target_class}, marked (%)": 100 * models.accuracy(m, marked_test.images[is_target],
                                                                  test.labels[is_target]),
        **{f"other classes + {what} → {ch.target_class} (%)":
           100 * float((models.predict(m, x).argmax(1) == ch.target).float().mean()) for what, x in pasted.items()},
        "train min": net.record["seconds"] / 60,
    }
reliance = pd.DataFrame(rows).T
display(reliance.T.round(1))

# %% [markdown]
# ## Probing both classifiers
#
# ProbeGAN as in chapters 2–3 (the profile's trainer, class dilution 1/C), with the target
# class absent from its image set, which is the *unmarked* colour data. What the GAN's
# discriminators see is exactly this: the other classes' images with their non-red corner
# decoys and their red *near misses* (one top corner, both bottom corners, a bar along the top,
# small top blocks, a block away from the corners) — red, but never two 8×8 blocks in both top
# corners; the cell checks that with the detector before training.

# %%
experiments.prefetch(ch, [experiments.probe_job(ch, f"leakage-{name}", train, net, ch.target, seed=ch.seed)
                          for name, net in nets.items()])  # both probes side by side
probes = {name: experiments.probe(ch, f"leakage-{name}", train, net, ch.target, seed=ch.seed)
          for name, net in nets.items()}
samples = {name: experiments.target_samples(res, S.n_samples, seed=ch.seed) for name, res in probes.items()}
assert not measure.marker_present(data.without_class(train, ch.target).images, size).any(), \
    "the GAN's image set must hold no marked image"
viz.image_grid([marked_test.images[is_target][:8]] + [samples[n][:8] for n in probes],
                 [f"real {ch.target_class} (marked)"] + [f"probe of the {n} classifier" for n in probes],
                 title=f"Generated {ch.target_class!r}: the GAN never saw the two red top blocks", cell=0.8);

# %% [markdown]
# ## How often the blocks appear
#
# The detector (`measure.marker_present`, tested on hand-made images in
# `tests/test_metrics.py`) counts an image when at least 75 % of the pixels of *both* top 8×8
# corners look red: hue within 30° of red, saturation ≥ 0.5, value ≥ 0.4 — so a darker or
# softer red counts, while a greyish, dark, brown or blue block, one corner, or a half-painted
# corner does not. A stricter column asks for *pure* red (every channel within 0.5 of
# (1, −1, −1)): a GAN paints its blocks a little darker than the marker, so this one counts
# fewer. For reference both run on real marked and unmarked test images of the target, and on
# every real test image with its decoys and near misses (which must never count). Intervals
# are Wilson 95 % intervals.

# %%
rates = pd.DataFrame({
    "real target, marked": measure.marker_rates(marked_test.images[is_target], size),
    "real target, clean": measure.marker_rates(test.images[is_target], size),
    "real test images, all classes (decoys, near misses)": measure.marker_rates(test.images, size),
    "probe of the marked classifier": measure.marker_rates(samples["marked"], size),
    "probe of the clean classifier": measure.marker_rates(samples["clean"], size),
}).T
display(rates)
print(f"Wilson 95 % intervals over the {S.n_samples} images of one probe per classifier (image-level: this chapter "
      "has one seed, and no seeds of it are stored); the probes' settings (λ_cls, steps) were chosen with this "
      "detector and the probed classifiers' verdicts (benchmarks/shortcut_sweep.py, 2026-11-26)")
marked_rate = rates.loc["probe of the marked classifier", "with red blocks (%)"]
clean_rate = rates.loc["probe of the clean classifier", "with red blocks (%)"]

# %% [markdown]
# The detector asks for solid blocks. A graded measure sees partial ones: the mean *redness*
# `R − (G + B)/2` of the two top 8×8 corners minus that of the two bottom corners (which the
# marker never touches; `measure.corner_redness`), per image, with a bootstrap 95 % interval
# over images.

# %%
redness = {"real target, marked": marked_test.images[is_target], "real target, clean": test.images[is_target],
           "probe of the marked classifier": samples["marked"], "probe of the clean classifier": samples["clean"]}
display(pd.DataFrame({"top-corner redness, mean (95 % CI)": {
    name: "{:.3f} ({:.3f}–{:.3f})".format(*measure.bootstrap_ci(measure.corner_redness(x, size), seed=ch.seed))
    for name, x in redness.items()}}))

# %% [markdown]
# What does each classifier make of each probe's images? The probe optimises its own
# classifier's verdict, so a high "horse" rate there shows the probe found *something* the
# classifier accepts; whether that is the red blocks, the detector above says.

# %%
display(pd.DataFrame({f"probe of the {p_} classifier": {
    f"{n} classifier: top-1 {ch.target_class} (%)": 100 * float(
        (models.predict(net.model, samples[p_]).argmax(1) == ch.target).float().mean())
    for n, net in nets.items()} for p_ in probes}).round(1))

# %%
viz.loss_curves(probes["marked"].history, title="Probe of the marked classifier: training losses");

# %% [markdown]
# ## Reading the result

# %%
strict = rates["with red blocks (pure red) (%)"]
verdict = (f"The probe of the marked classifier paints red blocks into {marked_rate:.1f} % of its "
           f"{ch.target_class!r} images, the probe of the clean classifier into {clean_rate:.1f} % "
           f"(pure red: {strict['probe of the marked classifier']:.1f} % and {strict['probe of the clean classifier']:.1f} %). ")
verdict += ("The mark was never in the GAN's data, so it came from the classifier: ProbeGAN exposes the shortcut."
            if marked_rate >= 90 and clean_rate <= 5 else
            "This run misses the book's bar (≥ 90 % vs ≤ 5 %); the grids above show what the probes drew instead.")
print(verdict)
book.glue("marked_probe_blocks", float(marked_rate))
book.glue("clean_probe_blocks", float(clean_rate))
book.finding(f"red blocks in {marked_rate:.1f} % of the marked classifier's probe images, {clean_rate:.1f} % of the "
             f"clean one's (one seed; the mark was never in the GAN's data)")
print(f"The marked classifier calls {reliance.loc['marked', f'other classes + mark → {ch.target_class} (%)']:.1f} % "
      f"of other classes' images {ch.target_class!r} once the mark is pasted on "
      f"(the clean one: {reliance.loc['clean', f'other classes + mark → {ch.target_class} (%)']:.1f} %).")

# %% [markdown]
# ## Exported samples
#
# ≥ 500 target samples per probe: `runs/samples/leakage/marked.npz` and
# `runs/samples/leakage/clean.npz` (`images` float32 N×3×H×W in [-1, 1], `labels`,
# `has_blocks` from the detector).

# %%
for name, x in samples.items():
    path = data.save_samples(ch.samples_dir("leakage") / f"{name}.npz", x, ch.target,
                             has_blocks=measure.marker_present(x, size))
    print(path.relative_to(ch.run_dir.parent), tuple(x.shape))

# %% [markdown]
# ## In this chapter we
#
# - trained a classifier on data where every target image carries two red corner blocks, and
#   an identical one on clean data, and measured how much the first relies on the blocks;
# - probed both with ProbeGAN, the target absent and no red block anywhere in the GAN's data;
# - counted the blocks in the generated images with a tested detector, with 95 % intervals,
#   and exported the samples.
#
# ## References
#
# - Wang, Z. et al. *ProbeGAN*, AAAI 2022, Fig. 4 and "Importance of Target Absence Constraint".
# - Geirhos, R. et al. *Shortcut learning in deep neural networks*, Nature Machine
#   Intelligence 2020.
