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
# # 6 · GANalyze: which change of an image makes a model's score go up?
#
# ProbeGAN asks a classifier to *draw* a class. GANalyze (Goetschalckx et al., ICCV 2019)
# asks a model to *move* an image: it learns one direction θ in a generator's latent space
# such that stepping by α along it raises an assessor's score by α,
#
# $$\min_\theta\ \mathbb{E}_{z,y,\alpha}\big[(A(G(z + \alpha\theta, y)) - (A(G(z, y)) + \alpha))^2\big].$$
#
# What changes along θ is what the assessor responds to. The paper used MemNet
# (memorability) on BigGAN; offline we use the book's own class-conditional GAN trained on
# all classes (Table 1's BigGAN-all run, from the cache) and three assessors that train here:
# - **confidence-regular** and **confidence-robust**: the probability the regular / robust
#   classifier of chapter 1 gives to the generated image's class — what makes each one more sure?
# - **area**: a small CNN trained to predict the silhouette's area — a sanity case whose right
#   answer (objects grow) we can check with an independent measurement.
#
# This chapter shows: α sweeps per seed; the score-vs-α slope of each assessor and variant by a
# linear mixed-effects regression with 95 % CIs; the seven emerging factors of the paper against
# α; a degeneracy check (grey or collapsed images at the ends of the range); a slider over α.

# %% tags=["parameters"]
profile = "cpu"  # smoke (seconds) | cpu (minutes on 2 cores) | gpu (paper scale) | gpu-smoke (gpu at 200 steps)
dataset = "animal-mnist"  # animal-mnist | digits | cifar10 | imagefolder
target_class = "horse"  # the class shown in the slider and the single-class strip
seed = 0  # seed of the generator run, the assessors and the directions
data_dir = None  # folder with CIFAR-10 or an image folder; None for the bundled data
run_dir = "runs"  # cache, samples and ledger, relative to the project root
memnet_weights = None  # gpu: path to the GANalyze MemNet assessor weights (optional)
biggan_weights = None  # gpu: folder of a pytorch-pretrained-biggan model (optional)

# %%
import dataclasses

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from IPython.display import display

import probelib as pl
from probelib import book, data, measure, models, viz
from probelib.book import experiments

ch = book.setup(profile=profile, dataset=dataset, target_class=target_class, seed=seed,
           data_dir=data_dir, run_dir=run_dir)
P, GA = ch.profile, ch.profile.ganalyze
train = ch.load("train")
nets = experiments.classifiers(ch)
gan_run = experiments.gan(ch, train, nets, "biggan-all", None, seed=ch.seed)  # Table 1's all-class GAN
G = gan_run.generator
C = len(ch.classes)
# the pretrained adapters (gpu profile, weights on disk; absent files: a one-line error)
memnet = models.load_memnet(memnet_weights) if memnet_weights is not None else None
biggan = models.load_biggan(biggan_weights) if biggan_weights is not None else None
print(f"generator: biggan-all (seed {ch.seed}), {C} classes; θ training: {GA.train.steps} steps of batch "
      f"{GA.train.batch_size}, Adam lr {GA.train.lr}, α ~ U[−{GA.train.alpha_max}, {GA.train.alpha_max}]")

# %% [markdown]
# ## The assessors

# %%
area, area_record = pl.train.load_or_train_area_assessor(train.images, measure.object_size(train.images), ch.run_dir,
                                                        GA.area_steps, seed=ch.seed)
assessors = {
    "confidence-regular": models.ClassConfidence(nets["regular"].model),
    "confidence-robust": models.ClassConfidence(nets["robust"].model),
    "area": area,
}
if memnet is not None:  # MemNet (memorability) scores the book's GAN too: 32×32 grey, resized to 227
    assessors["memnet"] = memnet
print(f"area assessor: mean absolute error {area_record['mae']:.3f} on its training images "
      f"(object size spread {float(measure.object_size(train.images).std()):.3f})")

# %% [markdown]
# ## Learning the directions
#
# One direction θ per assessor; for the robust classifier also the two variants of the
# reference code: z′ re-normalised to ‖z‖, and one direction per class.

# %%
variants = {"plain": {}, "renorm": {"renorm": True}, "per-class": {"per_class": True}}
plan = [(a, "plain") for a in assessors] + [("confidence-robust", "renorm"), ("confidence-robust", "per-class")]
directions = {}
for a, v in plan:
    cfg = dataclasses.replace(GA.train, seed=ch.seed, **variants[v])
    directions[(a, v)] = pl.train.load_or_train_direction(G, assessors[a], C, cfg, ch.run_dir, name=f"{a} ({v})")
fig, ax = plt.subplots(figsize=(6, 3))
for (a, v), (_, r) in directions.items():
    ax.plot([h["step"] for h in r["history"]], [h["loss"] for h in r["history"]], label=f"{a} ({v})")
ax.set(xlabel="step", ylabel="GANalyze loss", yscale="log", title="Training the directions")
ax.legend(fontsize=7);

# %% [markdown]
# ## α sweeps
#
# Each row is one seed (a fixed z and class); columns are α. The seeds run over all classes.

# %%
seeds = list(range(1000 + ch.seed, 1000 + ch.seed + GA.n_seeds))
labels = [s % C for s in seeds]
sweeps = {}
for (a, v), (T, _) in directions.items():
    alphas = GA.wide_alphas if a == "area" else GA.alphas
    sweeps[(a, v)] = pl.train.sweep(G, T, assessors[a], alphas, seeds, labels, GA.train.truncation)
for a in assessors:
    sw = sweeps[(a, "plain")]
    k = len(set(sw["alpha"].tolist()))
    rows = [torch.from_numpy(sw["images"][i * k:(i + 1) * k]) for i in range(4)]
    viz.image_grid(rows, [f"seed {s} ({ch.classes[l]})" for s, l in zip(seeds[:4], labels[:4])],
                     col_labels=[f"α={x:+.1f}" for x in sw["alpha"][:k]], title=f"{a}: α sweeps", cell=0.8)

# %% [markdown]
# ## Does the score follow α?
#
# Linear mixed-effects regression of the assessor's score on α with a random intercept per
# seed (statsmodels `mixedlm`), as in the paper (MemNet: 0.68, 95 % CI 0.66–0.70). A slope of
# 1 is what the objective asks for; > 0 with a CI excluding 0 means the direction works.

# %%
slopes = []
for (a, v), sw in sweeps.items():
    fit = measure.mixed_slope(sw["score"], sw["alpha"], sw["seed"])
    slopes.append({"assessor": a, "variant": v, "slope": fit["beta"],
                   "95 % CI": f"{fit['ci_low']:.3f} – {fit['ci_high']:.3f}", "p": fit["p"],
                   "rises with α": fit["ci_low"] > 0, "images": fit["n"]})
slopes = pd.DataFrame(slopes).set_index(["assessor", "variant"])
display(slopes.style.format({"slope": "{:.3f}", "p": "{:.1e}"}))

# %% [markdown]
# ## Emerging factors
#
# The paper measured seven properties of the images along α: brightness, colourfulness
# (Hasler & Süsstrunk 2003), redness, entropy of the intensity histogram (low = simple),
# object size, centredness and squareness of the object's mask. Our silhouettes have no
# colour (colourfulness and redness are 0 for grey images); the mask is the Otsu
# threshold of the grey image (the paper used Mask R-CNN on photos). Slopes by the same
# mixed model; 95 % CIs.

# %%
factor_rows = []
for a in assessors:
    sw = sweeps[(a, "plain")]
    f = measure.emerging_factors(torch.from_numpy(sw["images"]))
    for name, values in f.items():
        vals = values.numpy()
        if np.allclose(vals, vals[0]):
            factor_rows.append({"assessor": a, "factor": name, "slope": 0.0, "95 % CI": "constant"})
            continue
        fit = measure.mixed_slope(vals, sw["alpha"], sw["seed"])
        factor_rows.append({"assessor": a, "factor": name, "slope": fit["beta"],
                            "95 % CI": f"{fit['ci_low']:.3f} – {fit['ci_high']:.3f}"})
factors = pd.DataFrame(factor_rows).pivot(index="factor", columns="assessor", values=["slope", "95 % CI"])
display(factors)

# %% [markdown]
# ## Degeneracy along α
#
# Users of the reference code report images turning grey at negative α and collapsing to
# near-identical images at positive α. Per α: the spread across seeds (RMS pixel distance
# between seeds' images) and the share of near-uniform images. A slope bought by collapse
# shows up here as a falling spread or a rising uniform share.

# %%
for a in assessors:
    sw = sweeps[(a, "plain")]
    print(a)
    display(measure.degeneracy(sw["images"], sw["alpha"], sw["seed"]).round(3).T)

# %% [markdown]
# ## A slider over α
#
# In JupyterLab the slider regenerates the image live; the rendered book shows the static
# strip under it.

# %%
import ipywidgets as widgets

T_show = directions[("confidence-robust", "plain")][0]
z_show = pl.train.truncated_normal(1, G.z_dim, GA.train.truncation, torch.Generator().manual_seed(ch.seed))
y_show = torch.tensor([ch.target])


def show(alpha: float = 0.0):
    with torch.no_grad():
        x = G(T_show(z_show, torch.tensor([alpha]), y_show), y_show)
        s = float(assessors["confidence-robust"](x, y_show))
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.imshow(((x[0].permute(1, 2, 0).squeeze(-1) + 1) / 2).clamp(0, 1), cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"α={alpha:+.2f}: p({ch.target_class})={s:.2f}", fontsize=8)
    ax.axis("off")
    plt.show()


widgets.interact(show, alpha=widgets.FloatSlider(value=0.0, min=-1.0, max=1.0, step=0.05));

# %%
strip = pl.train.sweep(G, T_show, assessors["confidence-robust"], [-1.0, -0.5, -0.2, 0.0, 0.2, 0.5, 1.0],
                       [ch.seed], [ch.target], GA.train.truncation)
viz.image_grid([torch.from_numpy(strip["images"])], [ch.target_class],
                 col_labels=[f"α={a:+.1f}\n{s:.2f}" for a, s in zip(strip["alpha"], strip["score"])],
                 title="confidence-robust: the static α strip (score under each image)", cell=0.9);

# %% [markdown]
# ## GANalyze and ProbeGAN
#
# Both read a model's memory through a generator. ProbeGAN trains a generator so that a class
# the generator never saw appears: it answers *what does the model think a horse is?*
# GANalyze freezes a generator that knows every class and learns one direction: it answers
# *what change makes the model more sure?* The first needs a GAN per question and says what
# the class is; the second is cheap and says which factor the score follows — but only within
# what the generator can already draw.

# %% [markdown]
# ## The paper's setting: MemNet on a pretrained BigGAN
#
# GANalyze's headline run moves MemNet's memorability score along a direction in BigGAN's
# latent space (slope 0.68, 95 % CI 0.66–0.70). Both networks are downloads, so this section
# runs only when `memnet_weights` and `biggan_weights` point at local files (the `gpu`
# profile on a machine that has them); offline it says so and the book's own assessors above
# stand in.

# %%
if memnet is not None and biggan is not None:
    paper_cfg = dataclasses.replace(GA.train, seed=ch.seed)
    paper_dir = pl.train.train_transformer(biggan.to(ch.device), memnet.to(ch.device), biggan.num_classes, paper_cfg)
    paper_seeds = list(range(2000, 2000 + GA.n_seeds))
    paper_sweep = pl.train.sweep(biggan, paper_dir.transformer.eval(), memnet, GA.alphas, paper_seeds,
                                 [s % biggan.num_classes for s in paper_seeds], GA.train.truncation)
    fit = measure.mixed_slope(paper_sweep["score"], paper_sweep["alpha"], paper_sweep["seed"])
    print(f"MemNet on BigGAN: slope {fit['beta']:.3f} (95 % CI {fit['ci_low']:.3f} – {fit['ci_high']:.3f}); "
          f"paper 0.68 (0.66 – 0.70)")
else:
    print("skipped: MemNet on a pretrained BigGAN needs memnet_weights and biggan_weights (local files); "
          + ("MemNet alone scored the book's GAN above." if memnet is not None else "neither was given."))

# %% [markdown]
# ## Reading the result

# %%
for (a, v), row in slopes.iterrows():
    print(f"{a} ({v}): slope {row['slope']:.3f} (95 % CI {row['95 % CI']}) — "
          + ("rises with α." if row["rises with α"] else "does NOT rise significantly with α."))
size_fit = measure.mixed_slope(measure.object_size(torch.from_numpy(sweeps[("area", "plain")]["images"])).numpy(),
                                sweeps[("area", "plain")]["alpha"], sweeps[("area", "plain")]["seed"])
print(f"Area assessor: the independently measured object size changes by {size_fit['beta']:.3f} per unit α "
      f"(95 % CI {size_fit['ci_low']:.3f} – {size_fit['ci_high']:.3f}): "
      + ("objects grow, as they should." if size_fit["ci_low"] > 0 else "no significant growth."))
for (a, v), row in slopes.iterrows():
    book.glue(f"slope {a} ({v})", float(row["slope"]))
book.glue("object size slope", float(size_fit["beta"]))
robust = slopes.loc[("confidence-robust", "plain")]
book.finding(f"the robust classifier's confidence changes by {robust['slope']:.3f} per unit α (95 % CI "
             f"{robust['95 % CI']}); along the area direction the measured object size changes by "
             f"{size_fit['beta']:.3f} ({size_fit['ci_low']:.3f} – {size_fit['ci_high']:.3f}); intervals over the "
             f"latent samples of one GAN and one learned direction each, not over training runs")

# %% [markdown]
# ## Exported samples
#
# Per assessor, `runs/samples/ganalyze/<assessor>.npz`: `images` float32 N×C×H×W in [−1, 1],
# `alpha`, `seed`, `score` (the assessor's score of each image) and `labels`.

# %%
for a in assessors:
    sw = sweeps[(a, "plain")]
    path = data.save_samples(ch.samples_dir("ganalyze") / f"{a}.npz", torch.from_numpy(sw["images"]), sw["label"],
                             alpha=sw["alpha"], seed=sw["seed"], score=sw["score"])
    print(path.relative_to(ch.run_dir.parent), sw["images"].shape)

# %% [markdown]
# ## In this chapter we
#
# - trained GANalyze directions for three assessors on the book's all-class GAN, with the
#   reference code's two variants for one of them;
# - measured the score-vs-α slope and seven emerging factors by mixed-effects regression,
#   with 95 % CIs, and checked the sweeps for grey or collapsed images;
# - compared the two lenses on a model's memory, and exported the sweeps.
#
# ## References
#
# - Goetschalckx, L., Andonian, A., Oliva, A., Isola, P. *GANalyze: toward visual definitions
#   of cognitive image properties*, ICCV 2019.
# - Hasler, D., Süsstrunk, S. *Measuring colorfulness in natural images*, SPIE 2003.
