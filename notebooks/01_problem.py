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
# # 1 · The problem: what has a classifier memorised about a class?
#
# A classifier trained to tell horses from zebras must have stored *something* about
# horses. ProbeGAN {footcite:p}`zhang2022probegan` asks how much of what a classifier stores
# about a class can be drawn back out when the images we are allowed to use contain **none of
# that class**: the *class absence constraint*. Whatever of the class appears then came from
# the classifier's memory, not from the image set.
#
# **Prerequisites**: PyTorch tensors and modules, how an image classifier is trained with
# cross-entropy, and what an adversarial example is. This is the first chapter; every later
# one, starting with {doc}`02_class_dilution`, reuses the networks trained here.
#
# **You will learn**
# - the data set (Animal-MNIST, bundled offline) with every class;
# - the target-absence split: the image set loses the target class, the label space keeps it;
# - the probed classifiers, trained regularly and robustly (PGD-L2 adversarial training, as
#   the paper's "-robust" classifier), with clean and attacked accuracy and the ε curve;
# - the independent *judges* that later chapters use for recognition rates and FID, and
#   why the development judge and the reporting panel are kept apart;
# - a first look at memory without any GAN: follow the gradient of the target logit from
#   noise, through the regular and the robust classifier.

# %% tags=["parameters"]
profile = "cpu"  # smoke (seconds) | cpu (minutes on 2 cores) | gpu (paper scale) | gpu-smoke (gpu at 200 steps)
dataset = "animal-mnist"  # animal-mnist | digits | cifar10 | imagefolder
target_class = "horse"  # the class the GAN's image set will lack
seed = 0  # one seed for everything in this chapter
data_dir = None  # folder with CIFAR-10 or an image folder; None for the bundled data
run_dir = "runs"  # cache, samples and ledger, relative to the project root

# %%
import torch

import probelib as pl
from probelib import book, data, viz
from probelib.book import runs
from probelib.book.chapters import problem

ch = book.setup(profile=profile, dataset=dataset, target_class=target_class, seed=seed,
                data_dir=data_dir, run_dir=run_dir)
P = ch.profile
print(f"profile {P.name!r} on {ch.device}; dataset {ch.dataset!r} with "
      f"{len(ch.classes)} classes; target {ch.target_class!r} (index {ch.target}); "
      f"run_dir {ch.run_dir}")

# %% [markdown]
# ## The data
#
# Animal-MNIST {footcite:p}`mohammadi_animalmnist` ships inside the `animal-mnist` wheel:
# 10,000 silhouettes of 28×28 pixels, 1,000 per class, which we pad to 32×32 and map to
# [-1, 1] ({numref}`fig-01-data`). Its pickles are read by an unpickler that refuses anything
# but numpy arrays. The wheel holds 284 exact duplicates (mostly birds and bears); we keep one
# copy of each, so that no test image is also a training image. The train/test split is fixed
# and stratified (80 / 20), independent of the experiment seed.

# %%
train = ch.load("train")
test = ch.load("test")
print(f"train {tuple(train.images.shape)}, test {tuple(test.images.shape)}, "
      f"values in [{train.images.min():.0f}, {train.images.max():.0f}]")

# %% tags=["hide-input"]
per_class = max(4, P.vis_n)
rows = [train.images[train.labels == c][:per_class] for c in range(train.num_classes)]
book.figure("fig-01-data", viz.image_grid(rows, train.classes),
            f"{ch.dataset}: the first {per_class} training images of each of the "
            f"{train.num_classes} classes. The {ch.target_class!r} row is the class the "
            "GAN will never see.")

# %% [markdown]
# ## The target-absence split
#
# The GAN of the next chapters will only ever see `without_class(train, target)`: every
# image of the target class is dropped, while the *label space* is kept whole, so the
# generator can still be asked for the absent class and the classifier still has one
# output per class. The function is short enough to read in full:

# %%
viz.source(data.without_class)

# %%
absent = data.without_class(train, ch.target_class)
assert (absent.labels != ch.target).all() and absent.classes == train.classes
print(f"{ch.target_class!r} images left in the GAN's image set: "
      f"{int((absent.labels == ch.target).sum())}; "
      f"label space still has {absent.num_classes} classes")

# %% [markdown]
# {numref}`tbl-01-split` and {numref}`fig-01-split` count the images per class of both sets.

# %% tags=["hide-input"]
book.table("tbl-01-split", problem.split_table(train, absent),
           f"Training images per class, in full and in the GAN's image set without "
           f"{ch.target_class!r}: only the {ch.target_class!r} row changes.")
fig = viz.bar_counts({"full": train.counts(), "target absent": absent.counts()})
book.figure("fig-01-split", fig, f"Images per class, with and without "
            f"{ch.target_class!r}: the {ch.target_class!r} bar of the target-absent set "
            "is empty.")

# %% [markdown]
# ## The probed classifiers and the judges
#
# The classifier being probed is a small pre-activation ResNet {footcite:p}`he2016identity`,
# trained on **all** classes (it knows the target; only the GAN's image set will not). We
# train it twice:
#
# - **regular**: plain cross-entropy with shifts and flips;
# - **robust**: the same, but every batch is first attacked by PGD in an L2 ball of radius
#   ε {footcite:p}`madry2018towards`, the recipe of the paper's "-robust" classifier
#   (MadryLab, ε = 0.5 on the [0, 1] scale of 224×224 ImageNet images). Our ε is measured on
#   the [-1, 1] scale our 32×32 images live in: our ε = 2.0 is 1.0 on the [0, 1] scale.
#
# The **development judge** (evaluation network) is a different architecture (a VGG-style
# CNN {footcite:p}`simonyan2015very` with max-pooling and an MLP head) trained with its own
# seed on all classes. It never takes part in training a probe; the sweeps that chose some of
# the book's settings (the `cpu` learning rate, chapter 5's and 7's settings) looked at its
# scores, so it is the judge of *development*. Results are reported by a **panel** of two
# more judges that no setting was chosen with: a small vision transformer
# {footcite:p}`dosovitskiy2021image`, and a non-neural judge — histograms of oriented
# gradients {footcite:p}`dalal2005histograms` read by a kernel logistic regression (random Fourier
# features) — each trained on
# all classes with its own seed. All come from the run cache when they were trained before;
# {numref}`tbl-01-judges` gives their accuracy.

# %%
nets = runs.classifiers(ch)  # {"regular", "robust", "eval"}: cached or trained now
judges = runs.judges(ch, nets)  # the development judge and the reporting panel

# %% tags=["hide-input"]
book.table("tbl-01-judges", problem.judge_table(judges, test),
           f"The judges' clean accuracy on all {len(test)} test images of {ch.dataset} "
           "and their size: the development judge first, then the reporting panel.")

# %% [markdown]
# ### Clean and attacked accuracy, and the choice of ε
#
# The robust classifier's ε is a profile setting. We want an ε at which the regular model
# is broken (PGD accuracy below 30 %) while the robust one keeps most of its clean accuracy.
# Both models are attacked on the same held-out images with the same untargeted PGD-L2
# ({numref}`tbl-01-classifiers`, {numref}`fig-01-eps` and {numref}`tbl-01-eps`); the judge is
# only measured clean (it is never attacked or optimised against).

# %%
x_eval, y_eval = problem.eval_subset(ch, test)  # P.eval_limit test images, seeded order
curves = problem.attack_curves(nets, x_eval, y_eval, P.eps_grid, P.attack_steps)
eps = P.robust_eps
book.glue("attack steps", P.attack_steps)
book.glue("attacked images", len(y_eval))
for name, value in problem.eps_numbers(curves, eps).items():
    book.glue(name, value)  # "eps", "eps regular (%)", "eps robust (%)", ...

# %% [markdown]
# Clean accuracy is measured on all of the test images, PGD ({glue:text}`attack steps` steps)
# on {glue:text}`attacked images` of them. At the chosen ε = {glue:text}`eps:g` the regular
# ResNet keeps {glue:text}`eps regular (%):.1f` % (the criterion: below 30 %), the robust one
# {glue:text}`eps robust (%):.1f` %, {glue:text}`eps robust over regular:.1f`× the regular
# model and {glue:text}`eps robust keeps (%):.0f` % of its own clean accuracy.

# %% tags=["hide-input"]
book.table("tbl-01-classifiers", problem.classifier_table(ch, nets, curves, test),
           f"The trained networks: size, training time, clean test accuracy and accuracy "
           f"under PGD-L2 at the chosen ε = {eps:g} ({P.attack_steps} steps, "
           f"{len(y_eval)} test images). Compare the last column of the two ResNets.")
fig = viz.eps_curve({problem.names(ch)[k]: list(c.items()) for k, c in curves.items()},
                    chosen_eps=eps)
book.figure("fig-01-eps", fig, f"Accuracy under PGD-L2 against the radius ε, one line "
            f"per ResNet: look where each crosses the dotted 30 % line; dashed: the "
            f"chosen ε = {eps:g}.")
book.table("tbl-01-eps", problem.curve_table(ch, curves),
           "The numbers behind the accuracy curves: accuracy (%) under PGD-L2 at each ε "
           "of the grid.")

# %% [markdown]
# ## A first look at memory, without a GAN
#
# The simplest probe of a classifier's memory is activation maximisation in pixel space:
# start from noise and follow the gradient that makes the target class more likely. We use
# targeted PGD with a deliberately huge L2 radius. The starting noise is Gaussian with the
# mean and covariance of the GAN's image set, *which has no target image*: blurry blobs
# that carry no information about the target, so whatever class shape appears was put there
# by the classifier. For a regular classifier such gradients are known to make adversarial
# texture; for a robust one they tend to be *perceptually aligned*
# {footcite:p}`santurkar2019image`, i.e. they draw the class.

# %%
viz.source(pl.train.class_visualisation)

# %%
targets = torch.arange(train.num_classes).repeat_interleave(P.vis_n)  # (classes * n,)
start = pl.train.gaussian_noise(absent.images, len(targets), seed=ch.seed)  # no target
looks = {k: pl.train.class_visualisation(nets[k].model, start, targets, P.vis_eps,
                                         P.vis_steps).cpu()
         for k in problem.KINDS}  # {kind: (classes * n, C, H, W)}, class-major

# %% tags=["hide-input"]
fig = problem.looks_figure(start, looks, train.classes, P.vis_n, title=None)
book.figure("fig-01-looks", fig, f"Targeted PGD from noise (ε = {P.vis_eps:g}, "
            f"{P.vis_steps} steps): the first row is the starting noise, then per class "
            "the regular and the robust classifier's image. Look for the class's outline "
            "in the robust rows and its absence in the regular ones.")

# %% [markdown]
# How recognisable are the images of {numref}`fig-01-looks`? The probed classifiers are of
# course convinced (they were optimised to be); the judges, which never saw these gradients,
# give independent verdicts ({numref}`tbl-01-verdict`). This is the measurement the paper made
# with human raters, and the one the next chapters use for ProbeGAN.

# %%
verdict = problem.verdict_table(ch, nets, judges, looks, targets)  # recognition (%)
problem.glue_verdict(verdict)  # "looks robust <column>", "looks regular <column>"
book.glue("looks images", len(targets))  # per classifier
book.glue("chance (%)", 100 / train.num_classes)
book.finding(problem.verdict_finding(verdict, train.num_classes))

# %% [markdown]
# The panel's ViT recognises {glue:text}`looks robust panel: ViT (%):.0f` % of the robust
# classifier's images as their class and {glue:text}`looks regular panel: ViT (%):.0f` % of
# the regular one's (chance: {glue:text}`chance (%):.0f` %; {glue:text}`looks images` images
# per classifier, one seed).

# %% tags=["hide-input"]
book.table("tbl-01-verdict", problem.format_percent(verdict),
           f"Recognition (%) of the first look's images as the class they were pushed "
           f"toward, by the probed classifier itself and by each judge "
           f"({len(targets)} images per classifier, one seed; chance "
           f"{100 / train.num_classes:.0f} %). Compare the panel's columns row by row.")

# %% [markdown]
# The contrast is the point of the paper's robust/regular comparison: the regular
# classifier's gradient moves pixels in ways that convince *it* but that another network
# reads far less often as the class, while the robust classifier's gradient paints blobs
# with the outline of the class ({numref}`tbl-01-verdict` measures it; {numref}`fig-01-looks`
# shows it). Pixel-space activation maximisation has no notion of a natural image, though:
# even the robust drawings are grainy and often show several fragments of the class at once.
# ProbeGAN replaces the pixel space by the output space of a generator trained on the
# *other* classes, so that the class must be drawn in the style of natural images; the next
# chapter, {doc}`02_class_dilution`, starts with its objective.
#
# ## In this chapter we
#
# - loaded the bundled data and removed the target class from the GAN's image set while
#   keeping the label space;
# - trained a regular and a robust (PGD-L2) classifier, the development judge and a reporting
#   panel of two judges of other families, all cached under `run_dir` so later chapters reuse
#   them;
# - measured accuracy against the attack radius and chose the robust ε;
# - saw that gradients of a robust classifier carry visible class shape, and measured it with
#   every judge.

# %% [markdown]
# ## Exercises
#
# ```{exercise} A smaller radius for the first look
# :label: ex-01-small-radius
#
# **Level** ★★☆ medium · **Time** 10 min
#
# The first look used a huge radius, `P.vis_eps`. Rerun it for the target class only (to keep
# it cheap: `P.vis_n` images per classifier) with the radius the robust classifier was trained
# at, `P.robust_eps`, and the same `P.vis_steps`. Predict first, for each of the two
# classifiers: does its own verdict stay high? Do the judges recognise more or fewer of its
# images than at `P.vis_eps`? Then run `pl.train.class_visualisation` and
# `problem.verdict_table` on both and compare.
# ```

# %% [markdown]
# ```{solution-start} ex-01-small-radius
# :class: dropdown
# ```
# Expect the regular classifier to be fooled well inside this radius ({numref}`fig-01-eps`):
# its own verdict stays high while its images hardly leave the noise, so the judges read them
# near chance. The robust classifier was trained to resist changes of this size, so inside
# the ball it cannot draw much of the class: expect its own verdict to drop and the judges'
# recognition to fall toward chance too. Perceptually aligned gradients need room to act.
# The printout says how far this run follows the prediction.

# %%
mine = targets == ch.target  # the target class's rows of the first look
small = {k: pl.train.class_visualisation(nets[k].model, start[mine], targets[mine],
                                         P.robust_eps, P.vis_steps).cpu()
         for k in problem.KINDS}
smaller = problem.verdict_table(ch, nets, judges, small, targets[mine])
before = problem.verdict_table(ch, nets, judges, {k: v[mine] for k, v in looks.items()},
                               targets[mine])
print(f"{ch.target_class!r}, recognition (%) at ε = {P.robust_eps:g}:")
print(smaller.to_string())
print(f"change against ε = {P.vis_eps:g} (points):")
print((smaller - before).round(1).to_string())

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} Whose verdict to trust
# :label: ex-01-judges
#
# **Level** ★☆☆ easy · **Time** 5 min
#
# In {numref}`tbl-01-verdict`, compare the development judge's column with the panel's. Which
# judge is the most generous to the robust classifier's images, and by how many points does
# it separate robust from regular? Why does the book report the panel's numbers, and why is
# the probed classifier's own verdict no evidence at all?
# ```

# %% [markdown]
# ```{solution-start} ex-01-judges
# :class: dropdown
# ```
# The own verdict measures only whether PGD succeeded: the images were optimised against
# that very network. The development judge is independent of the images but not of the
# book's choices: settings were tuned while looking at it, so a number it gives may be
# flattered by that tuning. The panel was never looked at while choosing anything, which is
# why findings quote it. The gap per judge is printed below.

# %%
gap = verdict.loc[problem.names(ch)["robust"]] - verdict.loc[problem.names(ch)["regular"]]
judge_cols = [c for c in verdict.columns if c != "its own verdict (%)"]
most = verdict.loc[problem.names(ch)["robust"], judge_cols].idxmax()
print(f"most generous to the robust images: {most} "
      f"({verdict.loc[problem.names(ch)['robust'], most]:.1f} %)")
print("robust − regular (points):\n" + gap.round(1).to_string())

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} Where the regular classifier breaks
# :label: ex-01-break
#
# **Level** ★☆☆ easy · **Time** 5 min
#
# From `curves` ({numref}`tbl-01-eps`), find the smallest ε of the grid at which the regular
# classifier's accuracy falls below 30 %, and the robust classifier's accuracy there. Would
# a smaller robust ε than `P.robust_eps` have met the chapter's criterion on this grid?
# ```

# %% [markdown]
# ```{solution-start} ex-01-break
# :class: dropdown
# ```
# The criterion has two halves: the regular model broken (below 30 %) and the robust one
# keeping most of its clean accuracy. Any ε of the grid at or above the breaking point meets
# the first half; the printout says where that is on this run and what the robust model keeps.

# %%
broken = [e for e, a in curves["regular"].items() if a < 0.3]
first = min(broken) if broken else None
print(f"regular below 30 % from ε = {first} on this grid" if broken
      else "the regular classifier stays above 30 % on the whole grid")
if broken:
    rob = curves["robust"]
    print(f"robust there: {100 * rob[first]:.1f} % "
          f"({100 * rob[first] / max(rob[0.0], 1e-9):.0f} % of its clean accuracy); "
          f"chosen ε = {P.robust_eps:g}")

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ## References
#
# ```{footbibliography}
# ```
