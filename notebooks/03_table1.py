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
# The paper's main table {footcite:p}`zhang2022probegan` asks how well each method draws a
# class that its image set lacks. We rebuild it on the bundled data: every method, with the
# regular and the robust classifier where it applies, several seeds, each run scored by the
# development judge and by a reporting panel of two judges that no setting of this book was
# chosen with.
#
# **Prerequisites** the absence split, the regular and robust classifiers and the development
# judge ({doc}`chapter 1 <01_problem>`); ProbeGAN's two discriminators and class dilution
# ({doc}`chapter 2 <02_class_dilution>`).
#
# **You will learn**
# - the methods: BigGAN on all classes (upper bound), ProbeGAN-oracle (target present),
#   BigGAN-AM, NAIVE and ProbeGAN, each probing the regular and the robust classifier;
# - to read recognition, intra-FID, KID and precision / recall / coverage of the target by
#   every judge, mean and 95 % interval over seeds, with the paper's CIFAR-10 numbers beside ours;
# - to decide which of the paper's orderings hold with intervals apart, only on average, or not
#   at all;
# - what every method draws, and where the exported samples are for scoring with your own judge.

# %% tags=["parameters"]
profile = "cpu"  # smoke (seconds) | cpu (minutes on 2 cores) | gpu (paper scale) | gpu-smoke (gpu at 200 steps)
dataset = "animal-mnist"  # animal-mnist | digits | cifar10 | imagefolder
target_class = "horse"  # the class absent from the GAN's image set
seed = 0  # first seed; methods with several seeds use seed, seed + 1, ...
data_dir = None  # folder with CIFAR-10 or an image folder; None for the bundled data
run_dir = "runs"  # cache, samples and ledger, relative to the project root
fid_extractor = None  # FID features: None = as the profile says (judge on smoke and cpu, inception on gpu) | judge | inception
inception_weights = None  # path to weights-inception-2015-12-05-6726825d.pth (or $PROBELIB_INCEPTION_WEIGHTS)

# %%
import torch
from IPython.display import Markdown, display

from probelib import book, viz
from probelib.book import compare, runs
from probelib.book.chapters import table1

ch = book.setup(profile=profile, dataset=dataset, target_class=target_class, seed=seed,
                data_dir=data_dir, run_dir=run_dir)
train = ch.load("train")
nets = runs.classifiers(ch)
judges = runs.judges(ch, nets)  # the development judge and the reporting panel
fid_feats = table1.fid_features(ch, nets, fid_extractor, inception_weights)
real_target = runs.real_target_images(ch)  # evaluation only
real_all = table1.real_features(ch, fid_feats)  # every class's real images, as FID features (read once)

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
# The BigGAN architecture is that of {footcite:t}`brock2019large`. The paper's BigGAN-AM
# {footcite:p}`li2020biggan_am` searches an ImageNet-pretrained BigGAN; offline we search a GAN
# of the same architecture trained on the seen classes. No method selects checkpoints with
# target images: every GAN is its EMA generator after the last step, with batch-norm
# statistics recomputed on the labels that method trained on. The robust classifier is
# PGD-trained {footcite:p}`madry2018towards`, as in {doc}`chapter 1 <01_problem>`.
#
# All GANs share the profile's trainer settings. On the `cpu` profile three differ from the
# paper for every method alike: the classifier weight λg is 2 (the paper: 1), the
# discriminator sees DiffAugment-ed images {footcite:p}`zhao2020diffaugment`, and the learning
# rate is 6e-4 (the paper: 2e-4) — the last chosen with the **development judge** from a stored
# sweep ({numref}`fig-03-sweeps`). {doc}`Chapter 2 <02_class_dilution>` measures the paper's exact recipe
# beside ours.
#
# ## The judges
#
# Each run is scored by three judges, all trained on every class of the data:
#
# - `dev: VGG` — the **development judge** of {doc}`chapter 1 <01_problem>`. The `cpu` learning rate (and
#   chapter 5's and 7's settings) were chosen by looking at its scores, so its numbers here are
#   not independent of the recipe;
# - `panel: ViT` (a small vision transformer {footcite:p}`dosovitskiy2021image`) and
#   `panel: HOG` (histograms of oriented gradients {footcite:p}`dalal2005histograms` read by a
#   kernel logistic regression: no neural network at all) — the **reporting panel**, trained with
#   their own seeds and looked at by no sweep or setting.
#
# Per judge: recognition (its top-1 on the generated target images; the paper used people),
# intra-FID {footcite:p}`miyato2018cgans` and KID {footcite:p}`binkowski2018demystifying`
# against the real target images in its feature space, and precision / recall / coverage
# {footcite:p}`naeem2020reliable` (k = 5): coverage near 0 means collapse. The number of runs
# behind every row is in {numref}`tbl-03-runs`.
#
# A judge's recognition of *generated* images is read against its recognition of *real* ones:
# one that misses real images of the target misses generated ones too, and every interval
# widens with it. {numref}`tbl-03-judges-real` gives each judge's top-1 per class on the held-out
# real test images (which no judge trained on), with Wilson 95 % intervals over the images. On
# real {glue:text}`target` images: development judge {glue:text}`real dev:.1f` %, the
# panel's ViT {glue:text}`real vit:.1f` %, its HOG judge {glue:text}`real hog:.1f` %.

# %%
test = ch.load("test")
real_rates = compare.real_accuracy(judges, test.images, test.labels, list(ch.classes))
book.table("tbl-03-judges-real", compare.real_accuracy_wide(real_rates),
           f"Each judge's top-1 (%) on the {len(test)} real held-out test images of {ch.dataset!r}, per class "
           "(Wilson 95 % interval over the images), and over all classes: the ceiling its recognition of "
           "generated images is read against. The panel's settings were chosen on real images only "
           "(benchmarks/panel_judges.py), never on generated ones.")
book.glue("target", ch.target_class)
for j, slug in ((runs.DEV, "dev"), ("panel: ViT", "vit"), ("panel: HOG", "hog")):
    book.glue(f"real {slug}", float(real_rates.loc[(j, ch.target_class), "recognised (%)"]))

# %% [markdown]
# ## Train every row
#
# The chapter's plan names every GAN before anything trains: each row's method, the
# classifier it probes and its seeds, then BigGAN-AM's prior. One call trains the ones the run
# cache lacks (side by side on a CPU) and reads the rest.

# %%
plan = table1.plan(ch)  # every row × seed, and BigGAN-AM's prior (a GAN of the seen classes)
gans = runs.train(ch, train, nets, plan)  # trained now, or read from the cache
print(len(plan), "GANs:", ", ".join(f"{p.row} s{p.seed}" for p in plan))

# %% [markdown]
# ## Sample and score every run
#
# Each run draws `n_samples` images of the absent class and, for the FID over all classes,
# images of every class (NAIVE draws only the target). BigGAN-AM searches its prior's class
# embedding once per classifier. Every judge then scores every run.

# %%
scored, fakes = [], {}
for p, gan in gans.items():
    if p.method == "biggan-seen":  # BigGAN-AM: search the prior for each classifier's target
        for kind in ("robust", "regular"):
            x_t, x_all = table1.am_draw(ch, gan, nets[kind], p.seed)
            scored.append(table1.scored_run(f"biggan-am-{kind}", p.seed, x_t, x_all, real_all, fid_feats,
                                            table1.minutes(gan)))
            fakes.setdefault(f"biggan-am-{kind}", []).append(x_t)
        continue
    x_t = runs.target_samples(gan, ch.profile.n_samples, seed=p.seed)  # the absent class
    x_all = None if p.method == "naive" else table1.every_class(ch, gan, p.seed)
    scored.append(table1.scored_run(p.row, p.seed, x_t, x_all, real_all, fid_feats, table1.minutes(gan)))
    fakes.setdefault(p.row, []).append(x_t)
long = compare.score_runs(scored, judges, real_target, ch.target)  # one line per run × judge

# %%
book.table("tbl-03-runs", table1.run_counts(long),
           f"Runs per row and judge on the {ch.profile.name!r} profile: each run is one "
           "GAN trained with its own seed, and the intervals below are over these runs.")

# %% [markdown]
# ## The table
#
# For every judge and metric: the mean over seeds and, in brackets, the Student-t 95 %
# interval **over seeds** (runs), cut to the metric's range (with few seeds a t interval can
# reach past 100 %); a row with one seed has no interval. Image-level variation inside one run
# is not an interval of these tables. {numref}`tbl-03-recognition` holds the paper's two
# columns (FID over all classes, intra-FID of the target) and recognition;
# {numref}`tbl-03-kid-coverage` and {numref}`tbl-03-precision-recall` the distances and the
# k-NN metrics. {numref}`tbl-03-paper` is the paper's own Table 1 (CIFAR-10, Inception
# features): its *ordering*, not its numbers, is what ours can be compared with.

# %%
t = ch.target_class
main = table1.metric_table(long, ["recognition (%)", "intra-FID"], fid_all=True)
book.table("tbl-03-recognition", main,
           f"Recognition (%) of the generated {t!r} images and their intra-FID, per "
           "judge, mean (95 % interval over seeds). Look at ProbeGAN-robust against "
           "NAIVE-robust and BigGAN-AM-robust: higher recognition and lower intra-FID "
           "are better.")
book.table("tbl-03-paper", table1.paper_table(),
           "The paper's Table 1 on CIFAR-10 (Inception features), for its two absent "
           f"classes; this run's absent class is {t!r} on {ch.dataset!r}, so compare "
           "orderings, not numbers.")
book.glue("fid images per class", table1.n_per_class(ch))
print(table1.provenance(ch, judges, real_target))  # each judge's FID features

# %% [markdown]
# The FID over all classes uses the profile's extractor on {glue:text}`fid images per class`
# images per class. The learning rate was chosen by the development judge (recipe sweep,
# 2026-11-26); no panel judge was looked at before these tables.

# %% tags=["hide-input"]
book.table("tbl-03-kid-coverage", table1.metric_table(long, ["KID", "coverage"]),
           "KID (lower is better) and coverage (k = 5; near 0 means collapse) of the "
           f"generated {t!r} images against the real ones, in each judge's features; "
           "mean (95 % interval over seeds).")
book.table("tbl-03-precision-recall", table1.metric_table(long, ["precision", "recall"]),
           f"Precision (fakes that look like real {t!r}) and recall (real {t!r} the "
           "fakes reach), in each judge's features; mean (95 % interval over seeds).")

# %% [markdown]
# {numref}`fig-03-recognition` draws the recognition column of {numref}`tbl-03-recognition`,
# one panel per judge.

# %%
_, rec = compare.summarise(long, "recognition (%)", table1.ORDER)
fig = viz.interval_panels(rec, ylabel="recognition (%)")
book.figure("fig-03-recognition", fig,
            f"Recognition of the generated {ch.target_class!r} images by each judge, "
            "mean and 95 % interval over seeds (rows with one seed: no bar). Where the "
            "bars of ProbeGAN-robust and NAIVE-robust do not overlap, the ordering holds "
            "with intervals apart.")

# %% [markdown]
# ## What each method draws
#
# {numref}`fig-03-samples` shows the first seed's first 8 samples of the target class per
# method, and real target images for reference.

# %% tags=["readme-figure"]
draw = torch.Generator().manual_seed(ch.seed)
pick = torch.randperm(len(real_target), generator=draw)[:8]
fig = viz.image_grid([real_target[pick]] + [fakes[m][0][:8] for m in table1.ORDER],
                     [f"real {ch.target_class}"] + table1.ORDER, cell=0.8)
book.figure("fig-03-samples", fig,
            f"Generated {ch.target_class!r} images, first seed of every method (the top "
            "row is real). Compare the regular and robust rows of each method: which of "
            f"them draw a {ch.target_class} a person would name?")

# %% [markdown]
# ## Where we agree with the paper, and where we differ
#
# Each of the paper's orderings, per judge ({numref}`tbl-03-verdicts`): **apart** — it holds
# and the 95 % intervals over seeds do not overlap; **on average** — the means are in the
# paper's order but the intervals overlap; **fails** — the means are the other way;
# **reversed** — the other way with intervals apart. A row with one seed counts as a point.

# %%
checks = compare.verdicts(long, table1.CLAIMS)
panel = table1.panel_judges(judges)
book.table("tbl-03-verdicts", checks.rename_axis("the paper's ordering"),
           f"Verdicts on the paper's orderings for the absent {ch.target_class!r}, per "
           "judge. Read the panel's columns first: the development judge chose the "
           "learning rate.")
display(Markdown(table1.verdict_summary(checks, panel)))
table1.glue_recognition(rec)
book.finding(table1.finding(ch, rec, checks, panel))

# %% [markdown]
# ### When NAIVE wins
#
# In the paper NAIVE fails: its unconditional discriminator sees *only* target fakes against
# seen-class reals, learns to reject whatever makes an image the target, and pushes the
# generator away from it. That failure needs a discriminator that has learned something. The
# cell below reads this run's numbers (the panel's ViT) to say whether NAIVE beat ProbeGAN
# here, and what the run itself shows about why.

# %%
display(Markdown(table1.naive_reading(ch, rec)))

# %% [markdown]
# ### What the judges take each method's images for
#
# The oracle trains with the target's real images present, so in the paper it is an upper
# bound. {numref}`tbl-03-called` asks every judge what it calls the generated target images
# of the rows trained with the target present (BigGAN-all, the oracle) and of ProbeGAN-robust,
# all seeds pooled: the share given to each of its three most frequent classes. Judges of
# different families can read the same images very differently; where they do, the table
# shows it.

# %%
book.table("tbl-03-called", table1.called_as(ch, judges, fakes),
           f"What each judge calls the generated {ch.target_class!r} images (all seeds "
           "pooled): its three most frequent classes and their shares.")
display(Markdown(table1.oracle_reading(ch, rec, panel)))

# %% [markdown]
# ### How much training the ordering needs
#
# Two stored sweeps scored ProbeGAN-robust and NAIVE-robust at milestones with the
# **development judge** (`benchmarks/recipe_sweep.py`; not this run's numbers — each panel of
# {numref}`fig-03-sweeps` names its file, machine and date): at the paper's learning rate
# (2e-4) on a lent GPU, and at this profile's 6e-4 on the 2-core machine with the trainer as
# this book runs it.

# %% tags=["hide-input"]
stored = table1.stored_sweeps(book.project_root() / "benchmarks" / "measured")
book.figure("fig-03-sweeps", table1.sweep_figure(stored),
            "Stored, not rerun: recognition (development judge) of ProbeGAN-robust "
            "(blue) and NAIVE-robust (red) against generator steps, one line per stored "
            "seed. Look at where the lines cross.")
table1.glue_sweeps(stored)  # "stored <sweep> <method> <steps>", "stored <sweep> scores"

# %% [markdown]
# The sweeps stored {glue:text}`stored lr2e-4 scores` (2e-4) and
# {glue:text}`stored lr6e-4 scores` (6e-4) scores of 500 samples each; this run does not
# recompute them.
#
# At the paper's 2e-4, NAIVE is ahead at 700 steps (recognised {glue:text}`stored lr2e-4 naive 700:.1f` %
# against {glue:text}`stored lr2e-4 probegan 700:.1f` % for ProbeGAN, means over the stored seeds) and the
# paper's ordering appears only after a few thousand steps, as NAIVE's discriminator learns to reject
# the target. At this profile's 6e-4 the same happens within 700 steps: NAIVE starts high and falls
# ({glue:text}`stored lr6e-4 naive 300:.1f` % at 300 steps, {glue:text}`stored lr6e-4 naive 700:.1f` % at 700)
# while ProbeGAN rises ({glue:text}`stored lr6e-4 probegan 300:.1f` % → {glue:text}`stored lr6e-4 probegan 700:.1f` %).
# A shorter run would therefore favour NAIVE, so the profile keeps 700 steps. The learning rate was
# chosen by the development judge; the tables above are the panel's verdict on it.

# %% [markdown]
# Was 700 steps of this trainer the best use of a GAN's CPU time? A second stored sweep,
# {numref}`tbl-03-recipe-budget`, gave each candidate one change (width, batch, learning rates and
# their ratio, D steps, EMA decay and start, augmentation, the shared embedding, bfloat16) and the
# CPU time of 700 steps of today's recipe, two seeds each, scored by the development judge only:
# recognition / 100 × coverage of real horses (the sweep's target, whatever this page's), so a
# collapsed generator scores near 0. The
# rule, written before any candidate ran (`benchmarks/recipe_sweep.py`), replaces today's recipe
# only when a candidate's lowest seed beats today's highest.

# %% tags=["hide-input"]
budget, source = table1.stored_budget_choice(book.project_root() / "benchmarks" / "measured")
if budget is None:
    print(source)
    book.glue("recipe budget chosen", "none (no stored sweep)")
else:
    book.table("tbl-03-recipe-budget", budget,
               f"Stored, not rerun ({source}): the recipe sweep at one CPU budget, horse absent, "
               "ProbeGAN-robust, seeds 0 and 1, development judge only. 'chosen' marks the recipe the rule "
               "kept or picked; this chapter's rows are trained with it.")
    kept = budget.index[budget["chosen"] == "yes"]
    book.glue("recipe budget chosen", kept[0] if len(kept) else "none")

# %% [markdown]
# The rule's choice: {glue:text}`recipe budget chosen`. Two seeds per candidate are few, and the
# best mean may differ from the choice; the table shows both, and where they differ, the
# seeds overlapped.

# %% [markdown]
# Our numbers are not the paper's and cannot be: the paper trains on CIFAR-10 photographs
# for ~100k steps on a GPU and measures FID {footcite:p}`heusel2017gans` with Inception
# features; the `cpu` profile trains on 32×32 silhouettes for minutes on two cores and
# measures FID with the judge's features (FIDs from different feature extractors are on
# different scales). What can be compared is the *ordering* of the methods, which
# {numref}`tbl-03-verdicts` checks.

# %% [markdown]
# ## Exported samples
#
# Every method's target samples (all seeds) are written to
# `runs/samples/table1/<method>.npz` (`images` float32 N×C×H×W in [-1, 1], `labels`, `seed`),
# so anyone can score them with their own judge.

# %%
print(table1.export_samples(ch, long, fakes))

# %% [markdown]
# ## In this chapter we
#
# - trained every method of the paper's Table 1 on the target-absent image set (the oracle
#   and BigGAN-all with the target present), with several seeds where it matters;
# - scored every run with the development judge and a reporting panel of two judges of other
#   families (a ViT, and HOG features with a kernel logistic regression): recognition, intra-FID, KID and
#   precision / recall / coverage, with 95 % intervals over seeds; put the paper's CIFAR-10
#   numbers beside ours;
# - checked which of the paper's orderings hold with intervals apart, only on average, or not
#   at all, and exported every method's samples.
#
# Next, {doc}`chapter 4 <04_leakage>` uses a probe to find a shortcut that a classifier learned.

# %% [markdown]
# ## Exercises
#
# ```{exercise} Probe the regular classifier
# :label: ex-03-regular
#
# **Level** ★☆☆ easy · **Time** 10 min
#
# {numref}`tbl-03-recognition` has ProbeGAN probing the *regular* classifier as well as the
# robust one. Predict first: what share of `probegan-regular`'s images does the **regular
# classifier itself** call the target, and what share do the judges? Then ask the probed
# classifier (`nets["regular"].model`, `nets["robust"].model`) with
# `measure.recognition_rate(model, images, ch.target)` about the images in `fakes`, and
# explain the difference from the table.
# ```

# %% [markdown]
# ```{solution-start} ex-03-regular
# :class: dropdown
# ```
# Each probe optimises its own classifier's verdict, so both probed classifiers accept their
# probe's images at a high rate. The judges, which never saw the probe, accept the regular
# probe's images far less often: a regular classifier's gradients are adversarial noise, so the
# generator can satisfy it with patterns that are not the class
# {footcite:p}`santurkar2019image`; the robust classifier's gradients look like the class. The
# gap between "own verdict" and "judges" is what the table's regular rows measure.

# %%
import torch
from probelib import measure

for kind in ("regular", "robust"):
    x = torch.cat(fakes[f"probegan-{kind}"])
    own = 100 * measure.recognition_rate(nets[kind].model, x, ch.target)
    seen = ", ".join(f"{j} {rec.loc[f'probegan-{kind}', j][0]:.1f} %" for j in judges)
    print(f"probegan-{kind}: the {kind} classifier says {ch.target_class!r} for "
          f"{own:.1f} %; the judges: {seen}")

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} Predict an ordering, then check it
# :label: ex-03-orderings
#
# **Level** ★★☆ medium · **Time** 10 min
#
# {numref}`tbl-03-verdicts` checks the paper's orderings. Write two of your own as
# `compare.Claim(text, better, worse, metric)`: NAIVE-regular is recognised more often than
# ProbeGAN-regular, and BigGAN-all (target present) has a lower intra-FID than
# ProbeGAN-robust. Predict the verdict of each panel judge first (apart, on average, fails,
# reversed); then run `compare.verdicts(long, claims)`.
# ```

# %% [markdown]
# ```{solution-start} ex-03-orderings
# :class: dropdown
# ```
# BigGAN-all saw real target images, so it should be closer to them in every judge's features
# than a GAN that never did — unless, at this budget, the classifier term does more for the
# target than the data (see "When NAIVE wins"). NAIVE-regular and ProbeGAN-regular both probe a
# regular classifier whose gradients are noise, so their recognition is low and the intervals
# are likely to overlap. The run prints what this run says:

# %%
mine = [compare.Claim("NAIVE-regular is recognised more often than ProbeGAN-regular",
                      "naive-regular", "probegan-regular", "recognition (%)"),
        compare.Claim("BigGAN-all has a lower intra-FID than ProbeGAN-robust",
                      "biggan-all", "probegan-robust", "intra-FID")]
print(compare.verdicts(long, mine).to_string())

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ```{exercise} Intervals over images or over seeds
# :label: ex-03-seeds
#
# **Level** ★★☆ medium · **Time** 10 min
#
# The tables give intervals **over seeds**. Compute the other kind for one run: the panel
# ViT's recognition of the first seed's `probegan-robust` images with a Wilson interval over
# its images (`measure.proportion_ci(hits, n)`). Predict first: which interval is wider, and
# why does the book report the one over seeds?
# ```

# %% [markdown]
# ```{solution-start} ex-03-seeds
# :class: dropdown
# ```
# An interval over images says how well we measured *this* GAN; with hundreds of images it is
# narrow. An interval over seeds also holds how much GANs trained with other seeds differ, which
# is what a claim about a *method* needs. When the runs differ more than the images of one run
# let us see, the interval over seeds is the wider one; with few seeds the t interval is wide
# in any case. The run prints both:

# %%
from probelib import measure, models

x = fakes["probegan-robust"][0]
hits = int((models.predict(judges["panel: ViT"], x).argmax(1) == ch.target).sum())
p, lo, hi = measure.proportion_ci(hits, len(x))
print(f"one run, {len(x)} images (Wilson): "
      f"{100 * p:.1f} % ({100 * lo:.1f}–{100 * hi:.1f})")
print(f"over {rec.loc['probegan-robust', 'panel: ViT'][3]} seeds (t): "
      f"{compare.fmt_ci(*rec.loc['probegan-robust', 'panel: ViT'])} %")

# %% [markdown]
# ```{solution-end}
# ```

# %% [markdown]
# ## References
#
# ```{footbibliography}
# ```
