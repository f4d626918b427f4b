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
# horses. ProbeGAN (Wang et al., AAAI 2022) asks how much of it can be drawn back out when
# the images we are allowed to use contain **no horse at all**: the *class absence
# constraint*. Whatever horse-like appears then came from the classifier's memory, not from
# the image set.
#
# This chapter shows:
# - the data set (Animal-MNIST, bundled offline) with every class;
# - the target-absence split: the image set loses the target class, the label space keeps it;
# - the probed classifiers, trained regularly and robustly (PGD-L2 adversarial training, as
#   the paper's "-robust" classifier), with clean and attacked accuracy and the ε curve;
# - the independent *judge* network that later chapters use for recognition rates and FID;
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
import pandas as pd
import torch
from IPython.display import display

import probelib as pl
from probelib import book, data, measure, models, viz
from probelib.book import experiments

ch = book.setup(profile=profile, dataset=dataset, target_class=target_class, seed=seed,
           data_dir=data_dir, run_dir=run_dir)
P = ch.profile
print(f"profile {P.name!r} on {ch.device}; dataset {ch.dataset!r} with {len(ch.classes)} classes; "
      f"target {ch.target_class!r} (index {ch.target}); run_dir {ch.run_dir}")

# %% [markdown]
# ## The data
#
# Animal-MNIST ships inside the `animal-mnist` wheel: 10,000 silhouettes of 28×28 pixels,
# 1,000 per class, which we pad to 32×32 and map to [-1, 1]. Its pickles are read by an
# unpickler that refuses anything but numpy arrays. The wheel holds 284 exact duplicates
# (mostly birds and bears); we keep one copy of each, so that no test image is also a
# training image. The train/test split is fixed and stratified (80 / 20), independent of the
# experiment seed.

# %%
train = ch.load("train")
test = ch.load("test")
print(f"train {tuple(train.images.shape)}, test {tuple(test.images.shape)}, "
      f"values in [{train.images.min():.0f}, {train.images.max():.0f}]")
per_class = max(4, P.vis_n)
rows = [train.images[train.labels == c][:per_class] for c in range(train.num_classes)]
viz.image_grid(rows, train.classes, title=f"{ch.dataset}: {per_class} training images per class");

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
counts = pd.DataFrame({"full training set": train.counts(), "image set of the GAN": absent.counts()})
counts.loc["total"] = counts.sum()
display(counts)
assert (absent.labels != ch.target).all() and absent.classes == train.classes
print(f"{ch.target_class!r} images left in the GAN's image set: {int((absent.labels == ch.target).sum())}; "
      f"label space still has {absent.num_classes} classes")
viz.bar_counts({"full": train.counts(), "target absent": absent.counts()},
                 title=f"Images per class, with and without {ch.target_class!r}");

# %% [markdown]
# ## The probed classifiers and the judges
#
# The classifier being probed is a small pre-activation ResNet, trained on **all** classes
# (it knows the target; only the GAN's image set will not). We train it twice:
#
# - **regular**: plain cross-entropy with shifts and flips;
# - **robust**: the same, but every batch is first attacked by PGD in an L2 ball of radius
#   ε (Madry et al. 2018), the recipe of the paper's "-robust" classifier (MadryLab, ε = 0.5
#   on the [0, 1] scale of 224×224 ImageNet images). Our ε is measured on the [-1, 1] scale
#   our 32×32 images live in: our ε = 2.0 is 1.0 on the [0, 1] scale.
#
# The **development judge** (evaluation network) is a different architecture (a VGG-style
# CNN with max-pooling and an MLP head) trained with its own seed on all classes. It never
# takes part in training a probe; the sweeps that chose some of the book's settings (the
# `cpu` learning rate, chapter 5's and 7's settings) looked at its scores, so it is the judge
# of *development*. Results are reported by a **panel** of two more judges that no setting was
# chosen with: a small vision transformer, and a non-neural judge — histograms of oriented
# gradients read by a logistic regression — each trained on all classes with its own seed.
# All come from the run cache when they were trained before.

# %%
nets = experiments.classifiers(ch)  # {"regular", "robust", "eval"}: from the cache or trained now
judges = experiments.judges(ch, nets)  # the development judge and the reporting panel
names = {"regular": "regular ResNet", "robust": f"robust ResNet (ε = {P.robust_eps:g})",
         "eval": "development judge (VGG)"}
display(pd.DataFrame({name: {"test accuracy (%)": 100 * models.accuracy(j, test.images, test.labels),
                             "parameters": sum(p.numel() for p in j.parameters())}
                      for name, j in judges.items()}).T.round(1))

# %% [markdown]
# ### Clean and attacked accuracy, and the choice of ε
#
# The robust classifier's ε is a profile setting. We want an ε at which the regular model
# is broken (PGD accuracy below 30 %) while the robust one keeps most of its clean accuracy.
# Both models are attacked on the same held-out images with the same untargeted PGD-L2;
# the judge is only measured clean (it is never attacked or optimised against).

# %%
g = torch.Generator().manual_seed(ch.seed)
order = torch.randperm(len(test), generator=g)
limit = P.eval_limit or len(test)
x_eval, y_eval = test.images[order[:limit]], test.labels[order[:limit]]
curves = {k: {eps: pl.train.robust_accuracy(nets[k].model, x_eval, y_eval, eps, P.attack_steps) for eps in P.eps_grid}
          for k in ("regular", "robust")}
eps = P.robust_eps
table = pd.DataFrame([
    {
        "model": names[k],
        "parameters": sum(p.numel() for p in net.model.parameters()),
        "train time (s)": round(net.record["seconds"], 1),
        "from cache": net.cache_hit,
        "clean test accuracy (%)": 100 * models.accuracy(net.model, test.images, test.labels),
        f"PGD-L2 accuracy at ε = {eps:g} (%)": 100 * curves[k][eps] if k in curves else float("nan"),
    }
    for k, net in nets.items()
]).set_index("model")
display(table.round(1))
print(f"clean accuracy on all {len(test)} test images; PGD ({P.attack_steps} steps) on {limit} test images")

# %%
viz.eps_curve({names[k]: list(c.items()) for k, c in curves.items()}, chosen_eps=eps);
display(pd.DataFrame({names[k]: {f"ε = {e:g}": round(100 * a, 1) for e, a in c.items()}
                      for k, c in curves.items()}))
reg, rob = curves["regular"], curves["robust"]
print(f"at the chosen ε = {eps:g}: regular {100 * reg[eps]:.1f} % (below 30 %: {reg[eps] < 0.3}), "
      f"robust {100 * rob[eps]:.1f} % = {rob[eps] / max(reg[eps], 1e-9):.1f}× the regular model; "
      f"robust keeps {100 * rob[eps] / rob[0.0]:.0f} % of its clean accuracy")

# %% [markdown]
# ## A first look at memory, without a GAN
#
# The simplest probe of a classifier's memory is activation maximisation in pixel space:
# start from noise and follow the gradient that makes the target class more likely. We use
# targeted PGD with a deliberately huge L2 radius. The starting noise is Gaussian with the
# mean and covariance of the GAN's image set, *which has no target image*: blurry blobs
# that carry no information about the target, so whatever class shape appears was put there
# by the classifier. For a regular classifier such gradients are known to make adversarial
# texture; for a robust one they tend to be *perceptually aligned* (Santurkar et al. 2019),
# i.e. they draw the class.

# %%
viz.source(pl.train.class_visualisation)

# %%
targets = torch.arange(train.num_classes).repeat_interleave(P.vis_n)  # (classes * n,)
start = pl.train.gaussian_noise(absent.images, len(targets), seed=ch.seed)  # fitted without the target class
shape = (train.num_classes, P.vis_n, *train.images.shape[1:])
looks = {k: pl.train.class_visualisation(nets[k].model, start, targets, P.vis_eps, P.vis_steps).cpu().view(shape)
         for k in ("regular", "robust")}  # (classes, n, C, H, W)
rows, labels = [start[: P.vis_n]], ["start (noise)"]
for c, name in enumerate(train.classes):
    rows += [looks["regular"][c], looks["robust"][c]]
    labels += [f"{name} · regular", f"{name} · robust"]
viz.image_grid(rows, labels, title=f"Targeted PGD from noise (ε = {P.vis_eps:g}, {P.vis_steps} steps)", cell=0.8);

# %% [markdown]
# How recognisable are these images? The probed classifiers are of course convinced (they
# were optimised to be); the judges, which never saw these gradients, give independent
# verdicts. This is the measurement the paper made with human raters, and the one the next
# chapters use for ProbeGAN.

# %%
rows = []
for k in ("regular", "robust"):
    imgs = looks[k].flatten(0, 1)
    rows.append({"probed classifier": names[k],
                 "its own verdict (%)": 100 * float((models.predict(nets[k].model, imgs).argmax(1) == targets)
                                                    .float().mean()),
                 **{f"{name} (%)": 100 * float((models.predict(j, imgs).argmax(1) == targets).float().mean())
                    for name, j in judges.items()}})
verdict = pd.DataFrame(rows).set_index("probed classifier").round(1)
display(verdict)
vit = verdict["panel: ViT (%)"]
print(f"the panel's ViT recognises {vit.iloc[1]:.0f} % of the robust classifier's images as their class "
      f"and {vit.iloc[0]:.0f} % of the regular one's (chance: {100 / train.num_classes:.0f} %); "
      f"{len(targets)} images per classifier, one seed")
for col in verdict.columns:
    book.glue(f"looks robust {col}", float(verdict[col].iloc[1]))
    book.glue(f"looks regular {col}", float(verdict[col].iloc[0]))
book.finding(f"targeted PGD from noise: the panel's ViT recognises {vit.iloc[1]:.1f} % of the robust classifier's "
             f"images as their class, {vit.iloc[0]:.1f} % of the regular one's, the HOG judge "
             f"{verdict['panel: HOG (%)'].iloc[1]:.1f} % and {verdict['panel: HOG (%)'].iloc[0]:.1f} % "
             f"(chance {100 / train.num_classes:.0f} %; one seed)")

# %% [markdown]
# The contrast is the point of the paper's robust/regular comparison: the regular
# classifier's gradient moves pixels in ways that convince *it* but that another network
# reads far less often as the class, while the robust classifier's gradient paints blobs
# with the outline of the class (the table above measures it; the grid shows it).
# Pixel-space activation maximisation has no notion of a natural image, though: even the
# robust drawings are grainy and often show several fragments of the class at once.
# ProbeGAN replaces the pixel space by the output space of a generator trained on the
# *other* classes, so that the class must be drawn in the style of natural images.
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
#
# ## References
#
# - Wang, Z. et al. *ProbeGAN: Probing the memory of image classifiers with class-absent
#   generative adversarial networks*, AAAI 2022.
# - Madry, A. et al. *Towards deep learning models resistant to adversarial attacks*, ICLR 2018.
# - Santurkar, S. et al. *Image synthesis with a single (robust) classifier*, NeurIPS 2019.
# - Animal-MNIST: Mohammadi, S., `animal-mnist` package (MIT licence).
