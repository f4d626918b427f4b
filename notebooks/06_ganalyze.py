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
# ProbeGAN {footcite:p}`zhang2022probegan` asks a classifier to *draw* a class. GANalyze
# {footcite:p}`goetschalckx2019ganalyze` asks a model to *move* an image: it learns one direction
# θ in a generator's latent space such that stepping by α along it raises an assessor's score
# by α,
#
# $$\min_\theta\ \mathbb{E}_{z,y,\alpha}\big[(A(G(z + \alpha\theta, y)) - (A(G(z, y)) + \alpha))^2\big].$$
#
# What changes along θ is what the assessor responds to. The paper used MemNet
# (memorability) on BigGAN {footcite:p}`brock2019large`; offline we use the book's own
# class-conditional GAN trained on all classes (the BigGAN-all run of {doc}`03_table1`, from the
# cache) and four assessors that train here:
# - **confidence-regular** and **confidence-robust**: the log-odds, log p − log(1 − p), that the
#   regular / robust classifier of {doc}`01_problem` gives to the generated image's class — what
#   makes each one more sure?
# - **probability-robust**: the robust classifier's probability p itself, bounded by 1 — kept to
#   show why GANalyze needs a score without a ceiling;
# - **area**: a small CNN trained to predict the silhouette's area — a sanity case whose right
#   answer (objects grow) we can check with an independent measurement.
#
# **Prerequisites** The regular and the robust classifier of {doc}`01_problem`, and the
# all-class GAN of {doc}`03_table1`.
#
# **You will learn**
# - to train GANalyze directions for an assessor, several seeds each, and to read α sweeps;
# - to check that a direction learned anything: its loss against the loss of θ = 0, α_max²/3;
# - why a score with a ceiling (a probability near 1) cannot follow α, and what to use instead;
# - to measure the score-vs-α slope of each assessor and variant by a linear mixed-effects
#   regression, with 95 % intervals over directions, and the paper's seven emerging factors;
# - to check a sweep for degeneracy (grey or collapsed images at the ends of the range);
# - how GANalyze and ProbeGAN differ as lenses on what a model has memorised.

# %% tags=["parameters"]
profile = "cpu"  # smoke (seconds) | cpu (minutes on 2 cores) | gpu (paper scale) | gpu-smoke (gpu at 200 steps)
dataset = "animal-mnist"  # animal-mnist | digits | cifar10 | imagefolder
target_class = "horse"  # the class shown in the slider and the single-class strip
seed = 0  # seed of the generator run, the assessors and the first direction
data_dir = None  # folder with CIFAR-10 or an image folder; None for the bundled data
run_dir = "runs"  # cache, samples and ledger, relative to the project root
memnet_weights = None  # gpu: path to the GANalyze MemNet assessor weights (optional)
biggan_weights = None  # gpu: folder of a pytorch-pretrained-biggan model (optional)

# %%
import dataclasses

import torch

import probelib as pl
from probelib import book, data, measure, models
from probelib.book import runs
from probelib.book.chapters import ganalyze

ch = book.setup(profile=profile, dataset=dataset, target_class=target_class, seed=seed,
                data_dir=data_dir, run_dir=run_dir)
GA = ch.profile.ganalyze
train = ch.load("train")
nets = runs.classifiers(ch)
C = len(ch.classes)

# %% [markdown]
# ## The generator
#
# The chapter's plan holds one GAN per run: BigGAN on every class (Table 1's `biggan-all` row, no
# classifier loss) for each of the chapter's seeds; the first is read from the cache when
# {doc}`03_table1` trained it. Run *i* learns its directions on GAN *i*, so an interval over runs
# also holds how much a retrained GAN changes the answer.

# %%
plan = ganalyze.plan(ch)  # [biggan-all for each run's seed]
gans = runs.train(ch, train, nets, plan)
Gs = [gans[p].generator for p in plan]  # run i's generator: draws every class
G = Gs[0]  # the first run's, for the figures of one direction

# %%
# the pretrained adapters (gpu profile, weights on disk; absent files: a one-line error)
memnet = models.load_memnet(memnet_weights) if memnet_weights is not None else None
biggan = models.load_biggan(biggan_weights) if biggan_weights is not None else None

# %% tags=["remove-input"]
t = GA.train
values = {"seed": ", ".join(str(p.seed) for p in plan), "classes": C, "theta steps": t.steps, "lr": t.lr,
          "theta batch": t.batch_size, "alpha max": t.alpha_max, "directions": GA.directions,
          "null loss": pl.train.ganalyze.null_loss(t.alpha_max)}  # the loss of θ = 0
for name, value in values.items():
    book.glue(name, value)

# %% [markdown]
# The generators are `biggan-all` of seeds {glue:text}`seed` over {glue:text}`classes` classes, one per run.
# Each direction θ below trains for {glue:text}`theta steps` steps of batch
# {glue:text}`theta batch` with Adam at learning rate {glue:text}`lr`, α drawn uniformly from
# ±{glue:text}`alpha max`; every assessor gets {glue:text}`directions` directions (transformer
# seeds).

# %% [markdown]
# ## The assessors
#
# GANalyze's assessor, MemNet, is a regression: its score has no ceiling, so the target
# A(G(z)) + α can always be reached. A classifier's probability has one. On the GAN's own
# classes it sits near 1, so for α > 1 − p the target lies above 1, out of reach of any
# direction, and its gradient p(1 − p) vanishes as p → 1. We therefore score the classifiers by
# the **log-odds** of the class, computed stably from the logits (the next cell prints the
# function). We chose it over the logit margin (own logit minus the largest other one) because it
# is a smooth, monotone transform of the probability — it ranks images exactly as p does, so the
# log-odds and probability rows measure the same confidence on two scales — and it is the
# margin's soft version (logsumexp is a smooth max), with a gradient that reaches every class
# rather than only the runner-up. The probability is kept as its own assessor to show the failure.

# %%
import inspect

print(inspect.getsource(models.judges.class_log_odds))

# %%
sizes = measure.object_size(train.images)  # the area assessor's regression target
area, area_record = pl.train.load_or_train_area_assessor(train.images, sizes, ch.run_dir,
                                                        GA.area_steps, seed=ch.seed)
assessors = {
    "confidence-regular": models.ClassConfidence(nets["regular"].model),  # log-odds
    "confidence-robust": models.ClassConfidence(nets["robust"].model),  # log-odds
    "probability-robust": models.ClassConfidence(nets["robust"].model, score="probability"),
    "area": area,
}
if memnet is not None:  # MemNet (memorability): 32×32 grey, resized to 227
    assessors["memnet"] = memnet
print(f"area assessor: mean absolute error {area_record['mae']:.3f} on its training "
      f"images (object size spread {float(sizes.std()):.3f})")

# %% [markdown]
# ## Learning the directions
#
# One direction θ per assessor and run — {glue:text}`directions` runs, each with its own GAN,
# its own initial θ and its own draws of z, y and α — so that a slope's interval can be over
# training runs, not only over the latent samples of one direction on one GAN. For the robust
# classifier's log-odds also the two variants of the reference code: z′ re-normalised to ‖z‖, and
# one direction per class.
# {numref}`fig-06-loss` shows the training against the loss of doing nothing (θ = 0).

# %%
variants = {"plain": {}, "renorm": {"renorm": True}, "per-class": {"per_class": True}}
to_learn = [(a, "plain") for a in assessors]
to_learn += [("confidence-robust", "renorm"), ("confidence-robust", "per-class")]
directions = {}  # (assessor, variant) -> one (T, record) per direction seed
for a, v in to_learn:
    directions[(a, v)] = [pl.train.load_or_train_direction(
        Gs[i], assessors[a], C, dataclasses.replace(GA.train, seed=s, **variants[v]),
        ch.run_dir, name=f"{a} ({v}, seed {s})") for i, s in enumerate(ganalyze.direction_seeds(ch))]

# %% tags=["hide-input"]
book.figure("fig-06-loss", ganalyze.loss_figure(directions, GA.train.alpha_max),
            "GANalyze's training loss against step, one line per direction (log scale); "
            "dashed: the loss of θ = 0, α_max²/3. Curves that end at the dashed line have "
            "learned nothing; curves still falling at the last step are undertrained.")

# %% [markdown]
# ## α sweeps
#
# Each row is one seed (a fixed z and class); columns are α. The seeds run over all classes.
# {numref}`fig-06-sweep-confidence-regular`, {numref}`fig-06-sweep-confidence-robust`,
# {numref}`fig-06-sweep-probability-robust` and {numref}`fig-06-sweep-area` show the first four
# seeds along each assessor's first direction.

# %%
seeds = list(range(1000 + ch.seed, 1000 + ch.seed + GA.n_seeds))
labels = [s % C for s in seeds]
sweeps = {}  # (assessor, variant) -> one sweep per direction
for (a, v), dirs in directions.items():
    alphas = GA.wide_alphas if a == "area" else GA.alphas
    sweeps[(a, v)] = [pl.train.sweep(Gs[i], T, assessors[a], alphas, seeds, labels,
                                     GA.train.truncation) for i, (T, _) in enumerate(dirs)]
plain = {a: sweeps[(a, "plain")][0] for a in assessors}  # the first direction's sweep

# %% tags=["hide-input"]
for a, sw in plain.items():
    book.figure(f"fig-06-sweep-{a}", ganalyze.sweep_figure(sw, ch.classes),
                f"α sweeps along the **{a}** direction: each row one seed (its class on the "
                f"left), α from {sw['alpha'].min():+.1f} to {sw['alpha'].max():+.1f}. Look "
                "at what changes from left to right within a row.")

# %% [markdown]
# ## Did the directions learn, and does the score follow α?
#
# Two checks per direction ({numref}`tbl-06-slopes`). **The loss against doing nothing.** With
# θ = 0 the transformer is the identity, the residual is −α, and the loss is
# E[α²] = α_max²/3 = {glue:text}`null loss:.4f`. After training, each direction's loss is
# measured on fresh draws of (z, y, α) and compared, draw by draw, with the same draws' α²; a
# direction whose loss is not below it (95 % interval of the difference) has learned nothing,
# whatever its slope says. The table also gives the mean score at α = 0: for a probability near
# 1, every α above 1 − p asks for the impossible.
#
# **The slope.** Per direction, a linear mixed-effects regression of the score on α with a random
# intercept per seed of z (statsmodels `mixedlm`), as in the paper (MemNet: 0.68, 95 % CI
# 0.66–0.70). The headline is the mean over the {glue:text}`directions` directions with its
# Student-t 95 % interval: the spread of training runs. The interval over the latent samples of
# one direction, which is what the paper reports, is the secondary column: it ignores how much
# the learned direction itself varies. A slope of 1 is what the objective asks for.

# %%
slopes = ganalyze.slope_frame(sweeps)  # mean slope over directions, its 95 % CI
checks = ganalyze.check_frame(directions, assessors)  # loss vs α_max²/3, score at α = 0

# %% tags=["hide-input"]
book.table("tbl-06-slopes", ganalyze.slope_table(slopes, checks),
           "Per assessor and variant: the score's slope on α (mixed model per direction; mean "
           "and 95 % interval over the directions, and the first direction's interval over "
           f"{GA.n_seeds} latent samples), the trained loss on fresh draws against the loss of "
           "θ = 0, how many directions beat it, and the mean score at α = 0. Look for losses "
           "below θ = 0's first, then for slopes near 1.")

# %% tags=["remove-input"]
for (a, v), row in slopes.iterrows():
    c = checks.loc[(a, v)]
    book.glue(f"slope {a} ({v})", float(row["slope"]))
    book.glue(f"ci {a} ({v})", f"{row['ci_low']:.3f} to {row['ci_high']:.3f}")
    book.glue(f"loss {a} ({v})", float(c["loss"]))
    book.glue(f"score0 {a} ({v})", float(c["score_at_zero"]))
    book.glue(f"learned {a} ({v})", f"{int(c['learned'])} of {int(c['directions'])}")

# %% [markdown]
# ## Emerging factors
#
# The paper measured seven properties of the images along α: brightness, colourfulness
# {footcite:p}`hasler2003colorfulness`, redness, entropy of the intensity histogram (low =
# simple), object size, centredness and squareness of the object's mask. Our silhouettes have no
# colour (colourfulness and redness are constant for grey images); the mask is the Otsu
# threshold of the grey image (the paper used Mask R-CNN on photos). Slopes by the same mixed
# model, with 95 % CIs, in {numref}`tbl-06-factors`.

# %%
factors = ganalyze.factor_table(plain, measure.emerging_factors)

# %% tags=["hide-input"]
book.table("tbl-06-factors", factors,
           "Slope of each emerging factor on α along each assessor's first direction (run 0's GAN; "
           "mixed model, 95 % CI over its latent samples, not over runs). Read the area column "
           "first: object size should rise there.")

# %% [markdown]
# ## Degeneracy along α
#
# Users of the reference code report images turning grey at negative α and collapsing to
# near-identical images at positive α. Per α: the spread across seeds (RMS pixel distance
# between seeds' images) and the share of near-uniform images ({numref}`tbl-06-degeneracy`). A
# slope bought by collapse shows up here as a falling spread or a rising uniform share.

# %% tags=["hide-input"]
book.table("tbl-06-degeneracy", ganalyze.degeneracy_table(plain),
           "Per assessor's first direction (run 0's GAN) and α: the spread across seeds (RMS "
           "pixel distance) and the share "
           "of near-uniform images. Look for a spread that falls towards either end of α.")

# %% [markdown]
# ## A slider over α
#
# The next cell draws one image along the robust classifier's direction with a slider over α.
# The slider works in JupyterLab only (it needs a live kernel and the widget JavaScript, which
# the offline HTML book does not load), so the book hides its output; {numref}`fig-06-strip`
# shows the same sweep as a static strip: the same z, class and direction.

# %% tags=["remove-output"]
import ipywidgets as widgets

T_show = directions[("confidence-robust", "plain")][0][0]  # its first direction
z_show = pl.train.truncated_normal(1, G.z_dim, GA.train.truncation,
                                   torch.Generator().manual_seed(ch.seed))
y_show = torch.tensor([ch.target])


def show(alpha: float = 0.0):  # one frame: the image at α and its score
    display(ganalyze.frame_figure(G, T_show, assessors["confidence-robust"], z_show,
                                  y_show, alpha, ch.target_class))


widgets.interact(show, alpha=widgets.FloatSlider(value=0.0, min=-1, max=1, step=0.05));

# %%
strip_alphas = [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]  # the slider's range
strip = pl.train.sweep(G, T_show, assessors["confidence-robust"], strip_alphas, [ch.seed],
                       [ch.target], GA.train.truncation)

# %% tags=["hide-input"]
book.figure("fig-06-strip", ganalyze.strip_figure(strip, ch.target_class),
            f"The slider's sweep as a static strip: one {ch.target_class} moved along the "
            f"confidence-robust direction, α from −1 to +1, with the robust classifier's "
            f"log-odds of {ch.target_class} under each image. The training range of α is "
            f"±{GA.train.alpha_max:g}; look at what happens beyond it.")

# %% [markdown]
# ## GANalyze and ProbeGAN
#
# Both read a model's memory through a generator. ProbeGAN trains a generator so that a class
# the generator never saw appears: it answers *what does the model think this class looks
# like?* GANalyze freezes a generator that knows every class and learns one direction: it
# answers *what change makes the model more sure?* The first needs a GAN per question and says
# what the class is; the second is cheap and says which factor the score follows — but only
# within what the generator can already draw.

# %% [markdown]
# ## The paper's setting: MemNet on a pretrained BigGAN
#
# GANalyze's headline run moves MemNet's memorability score along a direction in BigGAN's
# latent space (slope 0.68, 95 % CI 0.66–0.70). Both networks are downloads, so this section
# runs only when `memnet_weights` and `biggan_weights` point at local files (the `gpu`
# profile on a machine that has them); offline it says so and the book's own assessors above
# stand in.

# %%
paper_cfg = dataclasses.replace(GA.train, seed=ch.seed)
print(ganalyze.paper_setting(memnet, biggan, paper_cfg, GA.alphas, GA.n_seeds, ch.device))

# %% [markdown]
# ## Reading the result

# %%
size = ganalyze.size_over_directions(sweeps[("area", "plain")])  # object size per direction
print("\n".join(ganalyze.reading(slopes, checks, size, GA.train.alpha_max)))
book.glue("object size slope", float(size["beta"]))
book.glue("object size ci", f"{size['ci_low']:.3f} to {size['ci_high']:.3f}")
book.finding(ganalyze.finding(slopes, checks, size))

# %% [markdown]
# ## Exported samples
#
# Per assessor, along its first direction, `runs/samples/ganalyze/<assessor>.npz`: `images`
# float32 N×C×H×W in [−1, 1],
# `alpha`, `seed`, `score` (the assessor's score of each image) and `labels`.

# %%
for a, sw in plain.items():
    path = data.save_samples(ch.samples_dir("ganalyze") / f"{a}.npz",
                             torch.from_numpy(sw["images"]), sw["label"],
                             alpha=sw["alpha"], seed=sw["seed"], score=sw["score"])
    print(path.relative_to(ch.run_dir.parent), sw["images"].shape)

# %% [markdown]
# ## In this chapter we
#
# - trained GANalyze directions, several seeds each, for four assessors on the book's all-class
#   GAN, with the reference code's two variants for one of them;
# - checked every direction's loss against the loss of θ = 0, α_max²/3, and why a classifier's
#   probability that starts near its ceiling cannot follow α where its log-odds can (the table's
#   mean score at α = 0 says how near this run's was);
# - measured the score-vs-α slope with 95 % intervals over directions, and seven emerging factors
#   by mixed-effects regression, and checked the sweeps for grey or collapsed images;
# - compared the two lenses on a model's memory, and exported the sweeps.

# %% [markdown]
# ## Exercises
#
# ```{exercise} Regular or robust: who cares about size?
# :label: ex-06-read-factors
#
# **Level** ★☆☆ easy · **Time** 5 min
#
# Read {numref}`tbl-06-factors`: along which classifier's confidence direction does the object
# size change more, the regular or the robust one? Before you look, predict from
# {doc}`01_problem` which classifier's score should depend more on the shape of the object, and
# then check your prediction against the table (are the intervals apart? They are over one
# run's latent samples, so apart here says less than apart over runs).
# ```

# %% [markdown]
# ```{solution-start} ex-06-read-factors
# :class: dropdown
# ```
# The robust classifier's gradients follow the object's shape, so its direction is expected to
# change the silhouette more than the regular one's, whose score can rise through small,
# texture-like changes. The cell prints the two rows of the table and says whether the run agrees.

# %%
size_row = factors.loc["object size"]
print(size_row.to_string())
fits = {a: ganalyze.size_slope(plain[a])
        for a in ("confidence-regular", "confidence-robust")}
reg, rob = fits["confidence-regular"], fits["confidence-robust"]
apart = rob["ci_low"] > reg["ci_high"] or reg["ci_low"] > rob["ci_high"]
bigger = "robust" if abs(rob["beta"]) > abs(reg["beta"]) else "regular"
print(f"larger size change along the {bigger} direction; intervals "
      + ("apart." if apart else "overlap: this run cannot tell them apart."))

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} An emerging factor of your own
# :label: ex-06-own-factor
#
# **Level** ★★☆ medium · **Time** 15 min
#
# Write an emerging factor of your own: a function that takes an image batch `(N, C, H, W)` in
# [−1, 1] and returns one number per image, e.g. the *top-heaviness* (the share of the object's
# bright pixels in the upper half of the image) or the *edge density* (mean absolute difference
# between neighbouring pixels). Predict how it changes along the area direction and along the
# robust classifier's direction, then measure it on the chapter's sweeps with
# `ganalyze.factor_table(plain, your_function)`, where `your_function` returns a dict
# `{name: values}`.
# ```

# %% [markdown]
# ```{solution-start} ex-06-own-factor
# :class: dropdown
# ```
# Two factors, measured on the sweeps the chapter already drew (nothing is trained). A larger
# silhouette has a longer outline, so edge density should rise along the area direction;
# top-heaviness has no reason to follow the area at all, so its interval should include 0
# there unless the GAN grows objects upwards. The table says what this run found.

# %%
def my_factors(images: torch.Tensor) -> dict[str, torch.Tensor]:
    grey = images.mean(1)  # (N, H, W) in [−1, 1]
    bright = grey > 0
    upper = bright[:, : grey.shape[1] // 2].flatten(1).sum(1)
    top = upper / bright.flatten(1).sum(1).clamp(min=1)
    edges = (grey[:, 1:] - grey[:, :-1]).abs().flatten(1).mean(1)
    return {"top-heaviness": top.float(), "edge density": edges}


print(ganalyze.factor_table(plain, my_factors).to_string())

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} Beyond the training range
# :label: ex-06-range
#
# **Level** ★★☆ medium · **Time** 10 min
#
# The directions were trained with α drawn from ±`GA.train.alpha_max` (printed at the top of the
# chapter), but the slider of {numref}`fig-06-strip` goes further. Sweep the robust classifier's
# direction to three times that range over the chapter's seeds. Predict first: does the score
# keep rising linearly beyond the training range, flatten out, or turn? Does the spread across
# seeds stay put? Then compare the slope inside the range with the slope beyond it
# (`measure.mixed_slope`) and check `measure.degeneracy`.
# ```

# %% [markdown]
# ```{solution-start} ex-06-range
# :class: dropdown
# ```
# The log-odds has no ceiling (a probability would have to flatten below 1), so nothing in the
# score forces it to flatten; but nothing in the objective keeps the images natural beyond the
# trained range, and the classifier need not stay linear in α off the images it was trained
# near: expect the slope beyond the range to differ from the one inside it, and watch the spread. Only the generator runs here (one sweep of
# the chapter's seeds at seven α), nothing is trained; the printout says what this run found.

# %%
a_max = GA.train.alpha_max
wide = pl.train.sweep(G, T_show, assessors["confidence-robust"],
                      [k * a_max for k in (-3, -2, -1, 0, 1, 2, 3)], seeds, labels,
                      GA.train.truncation)
parts = {"inside ±α_max": abs(wide["alpha"]) <= a_max * 1.001,
         "beyond +α_max": wide["alpha"] >= a_max * 0.999}
for part, sel in parts.items():
    fit = measure.mixed_slope(wide["score"][sel], wide["alpha"][sel], wide["seed"][sel])
    print(f"{part}: slope {fit['beta']:.3f} "
          f"({fit['ci_low']:.3f} to {fit['ci_high']:.3f})")
deg = measure.degeneracy(wide["images"], wide["alpha"], wide["seed"])
deg["mean score"] = [wide["score"][wide["alpha"] == a].mean() for a in deg.index]
print(deg.round(3).to_string())

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ## References
#
# ```{footbibliography}
# ```
