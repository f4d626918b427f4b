"""Profiles: named, frozen settings for every component, so one word picks the scale.

``smoke`` runs in seconds (tests), ``cpu`` in minutes on two cores (the default book),
``gpu`` at paper scale. Each component's config lives beside its code (``ClassifierConfig`` in
:mod:`probelib.train.classifier`, ``ProbeGANConfig`` in :mod:`probelib.train.probegan`, ...);
a profile composes them with the chapters' own settings. A notebook reads one profile, then
applies its overrides with :func:`get` (unknown keys and wrong types are errors, not silently
ignored).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..data.mel import AudioConfig
from ..models.gan import GANConfig
from ..train.baselines import AMConfig
from ..train.classifier import ClassifierConfig
from ..train.ganalyze import GANalyzeConfig
from ..train.probegan import ProbeGANConfig

__all__ = ["ShortcutConfig", "GANalyzeSettings", "AudioSettings", "ExemplarSettings", "OwnModelSettings", "SeveralSettings",
           "PanelSettings", "Profile", "PROFILES", "CHECKS", "get",
           "override"]


@dataclass(frozen=True)
class ShortcutConfig:
    """Chapters 4 and 5: classifiers that learned a shortcut, and the probes that expose it."""

    classifier: ClassifierConfig = ClassifierConfig()  # ERM / DRO (ch. 5)
    leakage: ClassifierConfig = ClassifierConfig(adv_eps=2.0)  # marked / clean (ch. 4): PGD-robust
    background: ClassifierConfig = ClassifierConfig()  # ch. 5: predicts the background, not the class
    probe_steps: int = 700  # generator steps of each probe (the profile's ProbeGAN trainer otherwise)
    leakage_seeds: int = 3  # ch. 4: probes (seeds) per classifier; its headline is the mean over them
    spurious_seeds: int = 3  # ch. 5: probes (seeds) per classifier, ERM and DRO; its headline is the mean over them
    marker_size: int = 8  # red blocks in pixels at 32×32 (the paper: 8×8)
    decoy_fraction: float = 0.5  # share of images (all classes) with non-red corner blocks (ch. 4)
    near_miss_fraction: float = 0.25  # share of images (all classes) with red in another shape or place (ch. 4)
    spurious_scale: float = 1.0  # × the Waterbirds group sizes (train 4,795 images, test 5,794)
    # group-DRO step size η: Sagawa et al. 2019's value (0.01 over 300 epochs), taken WITHOUT a choice (ProbeGAN trains
    # its DRO classifier with their settings). The stored sweep benchmarks/measured/dro_eta_cpu.jsonl (η = 0.1 vs 0.01,
    # worst group on the TEST split of data seeds 0-3, seed 0 being chapter 5's own data) chose nothing and may not:
    # it looked at what the chapter reports; chapter 5 shows it only as an illustration
    dro_eta: float = 0.01
    # ch. 5's probes' λ_cls (ch. 4 keeps the profile's ProbeGAN trainer's): measured on the `cpu`
    # data (benchmarks/shortcut_sweep.py, jobs 42-44), λ_cls = 2 leaves the land-only realism
    # critic stronger than the classifier and neither probe paints water; at 10 ERM's does.
    spurious_lambda_cls: float = 10.0
    window_images: int = 3000  # background crops per place for the window classifier (ch. 5)
    window_steps: int = 1500  # its training steps (batch 128 of 8×8 windows)
    n_samples: int = 500  # generated target images per probe (≥ 500 exported)


@dataclass(frozen=True)
class GANalyzeSettings:
    """Chapter 6: GANalyze on the book's all-class GAN (Table 1's BigGAN-all run)."""

    train: GANalyzeConfig = GANalyzeConfig()  # one transformer θ (steps, batch, lr, α range)
    directions: int = 3  # directions trained per assessor (transformer seeds): the slope's interval is over them
    area_steps: int = 600  # training steps of the area assessor
    n_seeds: int = 20  # seeds (z, class) per α sweep
    alphas: tuple[float, ...] = (-0.2, -0.1, 0.0, 0.1, 0.2)  # the paper's test α
    wide_alphas: tuple[float, ...] = (-0.8, -0.4, 0.0, 0.4, 0.8)  # the paper's object-size range


@dataclass(frozen=True)
class AudioSettings:
    """Chapter 7: ProbeGAN on log-mel spectrograms."""

    corpus: AudioConfig = AudioConfig()  # clips per class, sample rate, mel parameters
    classifier: ClassifierConfig = ClassifierConfig(augment=False)  # regular and robust (no flips in time)
    evalnet: ClassifierConfig = ClassifierConfig(arch="evalnet", augment=False, seed=1000)
    # measured on the `cpu` corpus (benchmarks/shortcut_sweep.py: jobs 12-16 on an H200, 28-37
    # on 2 cores): ε = 2 leaves the probed classifier at 75 % test accuracy and its probe of "men"
    # is heard as men 21 % of the time; ε = 1 (88 %) with λ_cls = 2 draws men and women but not
    # nonhuman sounds; ε = 1 with λ_cls = 10 draws all three.
    robust_eps: float = 1.0
    lambda_cls: float = 10.0  # the probes' λ_cls (the image chapters: the profile's ProbeGAN trainer's)
    probe_steps: int = 600
    seeds: int = 3  # probes (one GAN each) per absent class: the chapter's intervals are over them
    n_samples: int = 500  # generated spectrograms per probe
    n_inverted: int = 100  # of which inverted to audio and re-analysed for the recognition rate
    n_wavs: int = 6  # WAVs exported per class


@dataclass(frozen=True)
class ExemplarSettings:
    """Chapter 8: natural exemplars vs feature visualisation (Borowski et al. 2021)."""

    layer: str = "blocks.5"  # the probed ResNet's last block (4w channels at 8×8)
    n_units: int = 24  # units per classifier (the acceptance asks for ≥ 20)
    n_refs: int = 9  # reference images per side (the paper: 9; the 1-reference condition uses the first)
    n_trials: int = 10  # query pairs per unit
    render_steps: int = 128  # feature-visualisation optimisation steps
    render_lr: float = 0.05
    diversity: float = 0.3  # weight of the diversity term across the 9 synthetic references
    gan_samples: int = 1000  # ProbeGAN samples ranked per unit


@dataclass(frozen=True)
class OwnModelSettings:
    """Chapter 9: the stand-in user's folder and torchvision model."""

    arch: str = "resnet18"  # torchvision architecture, trained from scratch
    size: int = 64  # the folder's image size (and the model's input)
    per_class: int = 400  # training images per class written to the folder
    epochs: int = 3
    adv_eps: float = 0.0  # PGD-L2 radius of the stand-in's adversarial training ([-1, 1] units); 0 = regular
    adv_steps: int = 1  # its PGD steps (one: fast adversarial training)
    resolution: int | None = None  # the probe's resolution (None: the probe's default, the folder's 64 px) unless
    # the chapter's parameter says otherwise. Was 32 on `cpu` until 2026-12-02: at 32 px (the model's 64-px input
    # upsampled) both probes collapsed onto one image per class; see the chapter's note. FROZEN 2026-12-06: changed
    # after looking at the report's judge (seed 1000), so it stays as it is; the headline is read by judge_seed's judge
    seeds: int = 3  # probes (one GAN each) whose mean the chapter reports: issue 32's >= 3 (2 until 2026-12-06;
    # the count was set by the issue, not by looking at any judge)
    # the seed of the judge that reads the chapter's headline: the report's judge (probelib.probing.settings, its
    # architecture, data and training) with a seed nobody had used or looked at when its settings were frozen
    # (2026-12-06); the report's own judge (seed 1000) was looked at and stays only as a labelled row
    judge_seed: int = 5000


@dataclass(frozen=True)
class SeveralSettings:
    """Chapter 10: several classes absent from one ProbeGAN, and the memory map of every class."""

    ks: tuple[int, ...] = (1, 2, 3, 5)  # classes absent at once (the chapter's target always among them)
    seeds: int = 2  # GANs per k
    kind: str = "robust"  # the classifier probed by the sweep over k
    within: float = 10.0  # the memory map's k: the largest whose recognition (development judge) stays this
    # many points of k = 1's
    grid: int = 6  # generated images per class and classifier in the memory map's figure


@dataclass(frozen=True)
class PanelSettings:
    """The reporting panel: judges of other families than the probed ResNets and the development
    judge, trained on every class with their own seeds, used by the chapters only (never by a
    sweep, a benchmark or a recipe choice). Their settings were chosen before any chapter read them,
    on real images only, by ``benchmarks/panel_judges.py`` (its written rule: the cheapest
    candidate with validation top-1 >= 96 % on a held-out tenth of the training split, else the
    best; ``benchmarks/measured/panel_judges_cpu.jsonl``, one thread of the 2-core machine). No
    candidate reached 96 % on validation, so each is the best one within 360 s of training: the ViT
    with a convolutional stem, width 48, 3 blocks, 30 epochs, label smoothing 0.1 (validation
    95.5 %, test 95.4 %, 4-5 min; the earlier 4×4-patch ViT of 10 epochs: 78.8 % on validation),
    and HOG at cells of 4 and 8 px, fitted on the images and their mirror images, through 8,192
    random Fourier features, C = 10 (validation 94.0 %, test 95.3 %, 30 s; the earlier 8-px linear
    judge: 86.0 %). Test top-1 per class, Animal-MNIST, `cpu`: ViT 90.5 % (horse) to 100 %, HOG
    92.5 % (dog) to 99 %."""

    vit: ClassifierConfig = ClassifierConfig(arch="vit", width=48, epochs=30, lr=2e-3, seed=2000, stem="conv",
                                             label_smoothing=0.1)
    hog_c: float = 10.0  # inverse L2 strength of the HOG judge's logistic regression
    hog_seed: int = 3000  # also draws its random Fourier features
    hog_cells: tuple[int, ...] = (4, 8)  # HOG cell sizes (px), descriptors concatenated
    hog_orientations: int = 9  # HOG orientation bins
    hog_pixels: int = 0  # the silhouette averaged down to this side, appended (0 = none)
    # random Fourier features (Gaussian kernel) before the linear layer (0 = none): part of the read-out only; FID,
    # KID and coverage stay in the 2,088 descriptors (in 8,192 features one FID took 221 s, in 2,088 6 s: 2026-12-06)
    hog_rff: int = 8192
    hog_gamma: float = 1.0  # the kernel's γ times the descriptor length
    hog_flip: bool = True  # fit on the mirror images too
    hog_shifted: int = 0  # further randomly shifted and flipped copies to fit on


@dataclass(frozen=True)
class Profile:
    """One scale of the whole book."""

    name: str
    classifier: ClassifierConfig  # the probed classifier, regular training
    robust_eps: float  # PGD-L2 radius ([-1, 1] units) of the robust classifier and the headline attack
    evalnet: ClassifierConfig  # the development judge: other architecture, other seed; sweeps may look at it
    attack_steps: int = 20  # PGD steps when *evaluating* robustness
    eps_grid: tuple[float, ...] = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
    eval_limit: int = 1000  # test images used for the PGD curves
    vis_eps: float = 16.0  # radius of the targeted PGD "first look" (large on purpose)
    vis_steps: int = 60
    vis_n: int = 8  # images per class in the first look
    probegan: ProbeGANConfig = ProbeGANConfig()  # the GAN trainer (ProbeGAN and every GAN baseline)
    am: AMConfig = AMConfig()  # BigGAN-AM's embedding search
    n_samples: int = 500  # generated images per method and class for the metrics and exports
    seeds_main: int = 3  # seeds of ProbeGAN-robust
    seeds_other: int = 3  # seeds of ProbeGAN-regular and the NAIVE rows
    seeds_single: int = 1  # seeds of BigGAN-all, ProbeGAN-oracle, BigGAN-AM
    seeds_ablation: int = 2  # seeds of each of chapter 2's settings besides 1/C (which has seeds_main)
    gan_workers: int = 2  # GANs trained side by side on a CPU, one torch thread each (book/jobs.py)
    dilution_fractions: tuple[float, ...] = (0.3, 0.5, 1.0)  # chapter 2's ablation (besides 1/C)
    fid_extractor: str = "judge"  # FID features: "judge" (offline), "inception" (weights on disk) or "auto"
    shortcut: ShortcutConfig = ShortcutConfig()  # chapters 4 and 5
    ganalyze: GANalyzeSettings = GANalyzeSettings()  # chapter 6
    audio: AudioSettings = AudioSettings()  # chapter 7
    exemplars: ExemplarSettings = ExemplarSettings()  # chapter 8
    panel: PanelSettings = PanelSettings()  # the reporting judges (chapters only)
    own_model: OwnModelSettings = OwnModelSettings()  # chapter 9
    several: SeveralSettings = SeveralSettings()  # chapter 10

    def classifier_config(self, kind: str, seed: int | None = None) -> ClassifierConfig:
        """Config of the ``regular``, ``robust`` or ``eval`` network for ``seed``."""
        kinds = ("regular", "robust", "eval")
        if kind not in kinds:
            raise ValueError(f"unknown classifier kind {kind!r}; choose one of: {', '.join(kinds)}")
        base = self.evalnet if kind == "eval" else self.classifier
        changes: dict = {}
        if kind == "robust":
            changes["adv_eps"] = self.robust_eps
        if seed is not None:
            # the judge keeps its own seed stream, never equal to the probed classifier's
            changes["seed"] = seed + (1000 if kind == "eval" else 0)
        return dataclasses.replace(base, **changes)


_SMOKE = Profile(
    name="smoke",
    classifier=ClassifierConfig(width=8, epochs=1, batch_size=64, adv_steps=2, train_limit=512),
    robust_eps=2.0,
    evalnet=ClassifierConfig(arch="evalnet", width=8, epochs=1, batch_size=64, train_limit=512, seed=1000),
    attack_steps=3,
    eps_grid=(0.0, 1.0, 2.0),
    eval_limit=64,
    vis_eps=16.0,
    vis_steps=5,
    vis_n=2,
    probegan=ProbeGANConfig(gan=GANConfig(ch=2, z_dim=20, shared_dim=8, g_mult=(4, 4, 2, 1), d_mult=(1, 2, 4, 4)),
                            steps=3, batch_size=8, checkpoint_every=2),
    am=AMConfig(rounds=1, steps=2, restarts=1, batch_size=4),
    n_samples=24,
    seeds_main=2,  # two, so that the smoke run goes through the intervals over seeds
    seeds_other=1,
    seeds_ablation=1,
    gan_workers=1,  # smoke GANs take a second: a worker process would cost more than it saves
    shortcut=ShortcutConfig(classifier=ClassifierConfig(width=8, epochs=1, batch_size=64, train_limit=512),
                            leakage=ClassifierConfig(width=8, epochs=1, batch_size=64, train_limit=512, adv_eps=2.0,
                                                     adv_steps=2),
                            background=ClassifierConfig(width=8, epochs=1, batch_size=64, train_limit=256),
                            probe_steps=3, spurious_scale=0.02, n_samples=24, window_images=32, window_steps=5,
                            leakage_seeds=2, spurious_seeds=2),
    ganalyze=GANalyzeSettings(train=GANalyzeConfig(steps=3, batch_size=4), directions=2, area_steps=3, n_seeds=3),
    audio=AudioSettings(corpus=AudioConfig(clips_per_class=12, griffin_lim_iters=4),
                        classifier=ClassifierConfig(width=8, epochs=1, batch_size=16, augment=False, adv_steps=2),
                        evalnet=ClassifierConfig(arch="evalnet", width=8, epochs=1, batch_size=16, augment=False,
                                                 seed=1000),
                        probe_steps=3, seeds=2, n_samples=8, n_inverted=5, n_wavs=5),
    exemplars=ExemplarSettings(n_units=3, n_refs=3, n_trials=3, render_steps=4, gan_samples=40),
    panel=PanelSettings(vit=ClassifierConfig(arch="vit", width=16, epochs=1, batch_size=64, train_limit=512,
                                             seed=2000, stem="conv", label_smoothing=0.1),
                        hog_cells=(8,), hog_rff=64, hog_flip=False),
    own_model=OwnModelSettings(per_class=12, epochs=1, resolution=32, seeds=2),
    several=SeveralSettings(ks=(1, 2, 3), grid=3),
)

_CPU = Profile(
    name="cpu",
    classifier=ClassifierConfig(width=16, epochs=5, batch_size=128, adv_steps=3),
    robust_eps=2.0,
    evalnet=ClassifierConfig(arch="evalnet", width=32, epochs=6, batch_size=128, seed=1000),
    attack_steps=20,
    eps_grid=(0.0, 0.5, 1.0, 2.0, 3.0),
    eval_limit=500,
    vis_eps=16.0,
    vis_steps=60,
    vis_n=8,
    # measured on 2 cores (horse, robust classifier, seed 0): λg = 1 without DiffAugment reached
    # 28 % recognition after 900 steps of batch 64; λg = 2 with DiffAugment 72 % (batch 64, 900
    # steps) and 54 % (batch 32, 600 steps); chapter 2 reruns the paper's recipe beside this one.
    # At lr 2e-4 NAIVE beat ProbeGAN at 700 steps (87 % vs 58 %); an H200 sweep of the same model
    # (benchmarks/recipe_sweep.py) showed the paper's ordering from ~2,200 steps (ProbeGAN 95–97 %,
    # NAIVE 53–60 %); lr 6e-4 reached it at 700 steps on the CPU (ProbeGAN 93.8 %, NAIVE 70.0 %, seed 0)
    probegan=ProbeGANConfig(gan=GANConfig(ch=16, g_mult=(4, 4, 2, 1), d_mult=(1, 2, 4, 4)),
                            steps=700, batch_size=32, lr_g=6e-4, lr_d=6e-4, lambda_cls=2.0, diffaug=True,
                            ema_decay=0.99, checkpoint_every=350),
    am=AMConfig(),
    n_samples=500,
    # measured on the Waterbirds analogue (2 cores): 4 epochs leave group DRO at 31 % worst-group
    # accuracy (weights hardly move at η = 0.01 in 150 steps), hence 8 epochs (chosen by looking;
    # chapter 5 says so). η is Sagawa et al.'s 0.01, not chosen: the stored η sweep over data seeds
    # 0-3 (benchmarks/dro_eta.py, test splits, seed 0 the chapter's own) is an illustration only
    # chapter 4, measured: with regular classifiers neither probe painted a block (0 % of 500,
    # although the marked classifier called 96 % of marked non-horses "horse"); robust ones follow
    shortcut=ShortcutConfig(classifier=ClassifierConfig(width=16, epochs=8, batch_size=128),
                            leakage=ClassifierConfig(width=16, epochs=4, batch_size=128, adv_eps=2.0, adv_steps=3),
                            background=ClassifierConfig(width=8, epochs=2, batch_size=128),
                            probe_steps=600, spurious_scale=1.0, dro_eta=0.01, n_samples=500),
    ganalyze=GANalyzeSettings(train=GANalyzeConfig(steps=400, batch_size=16, lr=0.01), area_steps=600, n_seeds=20),
    audio=AudioSettings(corpus=AudioConfig(clips_per_class=1000),
                        classifier=ClassifierConfig(width=16, epochs=6, batch_size=64, augment=False, adv_steps=3),
                        evalnet=ClassifierConfig(arch="evalnet", width=32, epochs=8, batch_size=64, augment=False,
                                                 seed=1000),
                        probe_steps=600, n_samples=500, n_inverted=100, n_wavs=6),
    # seeds that decide (issue 32): Table 1's four main rows over 5 seeds (the Student-t 95 % half-width
    # is 4.30 s/√3 = 2.5 s over 3 seeds, 2.78 s/√5 = 1.2 s over 5); chapter 2's ablation rows and
    # chapter 10's k over 3
    seeds_main=5,
    seeds_other=5,
    seeds_ablation=3,
    several=SeveralSettings(seeds=3),
)

_GPU = Profile(
    name="gpu",
    classifier=ClassifierConfig(width=64, epochs=30, batch_size=128, adv_steps=7),
    robust_eps=2.0,
    evalnet=ClassifierConfig(arch="evalnet", width=64, epochs=30, batch_size=128, seed=1000),
    attack_steps=50,
    eps_grid=(0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0),
    eval_limit=0,
    vis_eps=16.0,
    vis_steps=200,
    vis_n=16,
    # bfloat16 autocast (the penalty in float32; train/speed.py): 0.59x the float32 step at this
    # scale on 2 CPU cores (benchmarks/measured/fast_step_cpu.jsonl); the GPU's ratio awaits a lent GPU
    probegan=ProbeGANConfig(gan=GANConfig(ch=64), steps=100_000, d_steps=4, batch_size=64, ema_decay=0.9999,
                            ema_start=1000, checkpoint_every=2000, precision="bfloat16"),
    am=AMConfig(),
    n_samples=10_000,
    fid_extractor="inception",
    gan_workers=1,
    shortcut=ShortcutConfig(classifier=ClassifierConfig(width=64, epochs=30, batch_size=128),
                            leakage=ClassifierConfig(width=64, epochs=30, batch_size=128, adv_eps=2.0, adv_steps=7),
                            background=ClassifierConfig(width=32, epochs=10, batch_size=128),
                            probe_steps=20_000, spurious_scale=1.0, n_samples=2000),
    ganalyze=GANalyzeSettings(train=GANalyzeConfig(steps=100_000, batch_size=4, lr=2e-4), area_steps=5000,
                              n_seeds=200),
    audio=AudioSettings(corpus=AudioConfig(clips_per_class=5000, griffin_lim_iters=64),
                        classifier=ClassifierConfig(width=64, epochs=30, batch_size=128, augment=False, adv_steps=7),
                        evalnet=ClassifierConfig(arch="evalnet", width=64, epochs=30, batch_size=128, augment=False,
                                                 seed=1000),
                        probe_steps=20_000, n_samples=2000, n_inverted=500, n_wavs=10),
    exemplars=ExemplarSettings(n_units=64, n_trials=20, render_steps=512, gan_samples=10_000),
    panel=PanelSettings(vit=ClassifierConfig(arch="vit", width=96, epochs=40, lr=1e-3, seed=2000)),
    own_model=OwnModelSettings(per_class=0, epochs=20, resolution=64, seeds=3),
    several=SeveralSettings(seeds=3),
)

#: the `gpu` profile's architecture and data at a few hundred steps: every chapter on a lent GPU in
#: minutes, the first thing to run on any GPU (it checks the paper-scale path end to end; its
#: numbers are not results). FID uses Inception where its weights are given, else the judge.
_GPU_SMOKE = dataclasses.replace(
    _GPU,
    name="gpu-smoke",
    classifier=dataclasses.replace(_GPU.classifier, epochs=2),
    evalnet=dataclasses.replace(_GPU.evalnet, epochs=2),
    attack_steps=10,
    eval_limit=1000,
    vis_steps=40,
    probegan=dataclasses.replace(_GPU.probegan, steps=200, ema_start=100, checkpoint_every=100),
    n_samples=1000,
    seeds_main=2,
    seeds_other=2,
    fid_extractor="auto",
    shortcut=dataclasses.replace(_GPU.shortcut, classifier=dataclasses.replace(_GPU.shortcut.classifier, epochs=2),
                                 leakage=dataclasses.replace(_GPU.shortcut.leakage, epochs=2),
                                 background=dataclasses.replace(_GPU.shortcut.background, epochs=2),
                                 probe_steps=200, n_samples=1000),
    ganalyze=GANalyzeSettings(train=GANalyzeConfig(steps=200, batch_size=4, lr=2e-4), area_steps=200, n_seeds=20),
    audio=dataclasses.replace(_GPU.audio, corpus=AudioConfig(clips_per_class=300, griffin_lim_iters=16),
                              classifier=dataclasses.replace(_GPU.audio.classifier, epochs=2),
                              evalnet=dataclasses.replace(_GPU.audio.evalnet, epochs=2), probe_steps=200,
                              seeds=2, n_samples=200, n_inverted=50),
    exemplars=ExemplarSettings(n_units=8, n_trials=5, render_steps=64, gan_samples=1000),
    panel=PanelSettings(vit=dataclasses.replace(_GPU.panel.vit, epochs=2)),
    own_model=OwnModelSettings(per_class=200, epochs=2, resolution=64, seeds=2),
    several=SeveralSettings(seeds=2),
)

PROFILES: dict[str, Profile] = {p.name: p for p in (_SMOKE, _CPU, _GPU, _GPU_SMOKE)}
#: profiles that check that everything runs; their numbers are not results (the README and the
#: results page never show them as findings)
CHECKS = ("smoke", "gpu-smoke")


def override(obj, **changes):
    """``dataclasses.replace`` that refuses unknown keys and wrong types with one-line errors."""
    fields = {f.name: f for f in dataclasses.fields(obj)}
    for key, value in changes.items():
        if key not in fields:
            raise KeyError(f"unknown setting {key!r} for {type(obj).__name__}; choose one of: {', '.join(fields)}")
        current = getattr(obj, key)
        if dataclasses.is_dataclass(current) and isinstance(value, dict):
            changes[key] = override(current, **value)
            continue
        ok = isinstance(value, type(current)) or (isinstance(current, float) and isinstance(value, int))
        if isinstance(value, bool) != isinstance(current, bool):
            ok = False
        if not ok:
            raise TypeError(
                f"setting {key!r} of {type(obj).__name__} must be {type(current).__name__}, got {value!r}"
            )
        if isinstance(current, float):
            changes[key] = float(value)
    return dataclasses.replace(obj, **changes)


def get(name: str, **overrides) -> Profile:
    """The profile called ``name`` with ``overrides`` applied (nested configs as dicts)."""
    if name not in PROFILES:
        raise KeyError(f"unknown profile {name!r}; choose one of: {', '.join(PROFILES)}")
    profile = PROFILES[name]
    return override(profile, **overrides) if overrides else profile
