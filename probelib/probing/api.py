"""``probelib.probe``: what has *your* classifier memorised about one of its classes (or several)?

Point it at any classifier (an ``nn.Module`` giving logits over the folder's classes, a
:class:`~probelib.models.adapter.ClassifierAdapter` that fits its input and maps its outputs, or
a :class:`~probelib.probing.loading.ClassifierSpec` naming a file, which training jobs in other
processes build again) and the image folder it was trained on. The target's own images are held
out; ProbeGAN (class dilution, both discriminator heads, the classifier's cross-entropy, EMA,
resumable, stopped on NaN) is trained through the run cache on the other classes alone — until
it draws them (:mod:`probelib.probing.stopping`), within a budget — and whatever target images it
draws came from the classifier. The report first checks that the GAN draws the seen classes
(:mod:`probelib.probing.seen`); when it does not, its probe is not evidence and the report says so
before anything else. The
:class:`~probelib.probing.report.ProbeReport` says what was drawn, how sure the classifier is of
it, which seen classes it resembles, and — with real target images as a ``reference``, used for
evaluation only — whether an independent judge recognises it.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from ..core.device import pick_device
from ..core.errors import UserError
from ..data.folder import FolderScan, read_folder, scan_folder
from ..data.imageset import DatasetError, ImageSet, class_index, concat, without_class
from ..models.adapter import AdapterInputError, ClassifierAdapter, FixedShape
from ..models.gan import RESOLUTIONS
from ..models.predict import predict
from ..train.gans import sample
from ..train.jobs import ExecutorSettings, GanJob, gan_cached, one_thread, train_or_load
from ..train.probegan import ProbeGANTrainer
from .evaluate import judge_references, nearest_seen, spread
from .loading import ClassifierSpec, model_input
from .report import ProbeReport, SeveralProbeReport
from .seen import SeenCheck
from .settings import settings, trainer_config
from .stopping import StopRule, stopped_cached, train_or_load_stopped

__all__ = ["ProbeError", "probe", "pick_resolution", "check_classifier", "estimate_seconds_per_step"]


class ProbeError(UserError, ValueError):
    """Bad input to a probe; one line naming the problem and the fix."""


def pick_resolution(median_side: int) -> int:
    """The largest of 32, 64, 128 not above ``median_side`` (32 for smaller images)."""
    fits = [r for r in RESOLUTIONS if r <= median_side]
    return fits[-1] if fits else RESOLUTIONS[0]


def check_classifier(classifier: nn.Module, images: ImageSet, device) -> None:
    """One forward pass on three images: a channel mismatch, a fixed batch size or an output size
    other than the folder's number of classes is a one-line :class:`ProbeError`."""
    x = images.images[:3].to(device)
    try:
        with torch.no_grad():
            out = classifier(x)
    except AdapterInputError as err:
        raise ProbeError(str(err)) from None
    except AssertionError as err:  # torch.export's shape guards beyond a fixed shape (a bounded dynamic size)
        raise ProbeError(f"the classifier refuses the folder's {images.channels}-channel {images.images.shape[-1]} px "
                         f"images ({str(err).splitlines()[0]}); export it for this input shape") from None
    except RuntimeError as err:
        text = str(err)
        if "channels" in text or "size mismatch" in text or "shape" in text:
            raise ProbeError(f"the classifier does not take the folder's {images.channels}-channel "
                             f"{images.images.shape[-1]}×{images.images.shape[-1]} images ({text.splitlines()[0]}); "
                             "wrap it in ClassifierAdapter(model, size=..., in_channels=...)") from None
        raise
    if out.ndim != 2 or out.shape[1] != images.num_classes:
        raise ProbeError(f"the classifier gives {tuple(out.shape[1:])} outputs for the folder's {images.num_classes} "
                         f"classes ({', '.join(images.classes)}); pass ClassifierAdapter(model, class_map=[...]) with "
                         "each folder class's output index")


def estimate_seconds_per_step(cfg, images: ImageSet, classifier: nn.Module, target: int, device, steps: int = 2) -> float:
    """Seconds per training step, measured on a throw-away trainer after one warm-up step."""
    with one_thread():
        trainer = ProbeGANTrainer(cfg, images, classifier, target, device=device)
        trainer.run(until=1, progress=False)
        start = time.perf_counter()
        trainer.run(until=1 + steps, progress=False)
    return (time.perf_counter() - start) / steps



def _targets(target: str | Sequence[str]) -> list[str]:
    """``target`` as a list of distinct class names (one-line errors for none or a repeat)."""
    targets = [target] if isinstance(target, str) else list(target)
    if not targets or not all(isinstance(t, str) and t for t in targets):
        raise ProbeError(f"target: give a class name or a list of class names, not {target!r}")
    twice = sorted({t for t in targets if targets.count(t) > 1})
    if twice:
        raise ProbeError(f"target class {twice[0]!r} named twice; name each absent class once")
    return targets


def _load(images: ImageSet | str | Path, targets: list[str], resolution: int | None, max_bad: float
          ) -> tuple[ImageSet, FolderScan | None, int, dict[str, int]]:
    """The GAN's data at the probe's resolution (every target held out), its scan, the
    resolution and the number of images held out per target."""
    if isinstance(images, ImageSet):
        unknown = [t for t in targets if t not in images.classes]
        if unknown:
            raise ProbeError(f"unknown target class {unknown[0]!r}; the image set's classes: {', '.join(images.classes)}")
        side = int(images.images.shape[-1])
        res = resolution or pick_resolution(side)
        if res not in RESOLUTIONS:
            raise ProbeError(f"no GAN architecture for {res}×{res} images; choose one of: "
                             f"{', '.join(map(str, RESOLUTIONS))}")
        held = {t: int((images.labels == images.classes.index(t)).sum()) for t in targets}
        kept = without_class(images, set(targets))  # nothing of a target: not the GAN's, the judge's or the report's
        x = kept.images if side == res else torch.nn.functional.interpolate(
            kept.images, size=(res, res), mode="bilinear", antialias=True, align_corners=False)
        return ImageSet(x, kept.labels, images.classes, images.name, images.split), None, res, held
    try:
        scan = scan_folder(images, max_bad)
    except DatasetError as err:
        raise ProbeError(str(err)) from None
    unknown = [t for t in targets if t not in scan.classes]
    if unknown:
        raise ProbeError(f"unknown target class {unknown[0]!r}; the folder's classes: {', '.join(scan.classes)} "
                         f"(an empty sub-folder {Path(images) / unknown[0]} probes a class with no images)")
    res = resolution or pick_resolution(scan.median_side)
    if res not in RESOLUTIONS:
        raise ProbeError(f"no GAN architecture for {res}×{res} images; choose one of: {', '.join(map(str, RESOLUTIONS))}")
    return read_folder(scan, res, skip=tuple(targets)), scan, res, {t: scan.count(t) for t in targets}


def _reference(reference, targets: list[str], data: ImageSet, res: int, max_bad: float) -> ImageSet | None:
    """Real images of the targets, labelled, for the evaluation only. One target: a folder of its
    images (flat, or in sub-folders). Several: a folder with a sub-folder per target
    (``<ref>/<target>/*.png``) or a mapping ``{target: folder}``."""
    if reference is None:
        return None
    if isinstance(reference, (str, Path)) and len(targets) > 1:
        root = Path(reference)
        missing = [t for t in targets if not (root / t).is_dir()]
        if missing:
            raise ProbeError(f"reference: no sub-folder {root / missing[0]}; with several targets give a folder "
                             "with one sub-folder per target (<ref>/<target>/*.png)")
        reference = {t: root / t for t in targets}
    folders = reference if isinstance(reference, Mapping) else {targets[0]: reference}
    extra = [t for t in folders if t not in targets]
    if extra:
        raise ProbeError(f"reference: {extra[0]!r} is not a target of this probe ({', '.join(targets)})")
    parts = []
    for name, folder in folders.items():
        try:
            ref_scan = scan_folder(folder, max_bad, flat=True)  # a flat folder of target images, or sub-folders
        except DatasetError as err:
            raise ProbeError(f"reference: {err}") from None
        ref = read_folder(ref_scan, res, grey=data.channels == 1)  # every image in it is of ``name``
        parts.append(ImageSet(ref.images, torch.full((len(ref),), data.classes.index(name)), data.classes, ref.name,
                              "all"))
    out = parts[0]
    for part in parts[1:]:
        out = concat(out, part)
    return out


def _classifier(classifier: nn.Module | ClassifierSpec) -> tuple[ClassifierAdapter, ClassifierSpec | None]:
    """The classifier behind its adapter (a bare model: with its own declared input settings,
    :func:`~probelib.probing.loading.model_input`), and the spec that builds it again, if any."""
    if isinstance(classifier, ClassifierSpec):
        return classifier.load(), classifier
    if not isinstance(classifier, ClassifierAdapter):
        classifier = ClassifierAdapter(classifier, **model_input(classifier))  # else a no-op (features found)
    return classifier, None


def _notes(classifier: ClassifierAdapter) -> list[str]:
    """What the report should say about how the classifier was called."""
    model = classifier.model
    if isinstance(model, FixedShape) and model.batch is not None:
        return [f"{model.what} takes batches of {model.batch} only: it was called in chunks of {model.batch} (the "
                "last chunk padded, the padding's outputs dropped)."]
    return []


def probe(classifier: nn.Module | ClassifierSpec, images: ImageSet | str | Path, target: str | Sequence[str], *,
          resolution: int | None = None, steps: int | None = None, max_steps: int | None = None,
          profile: str = "cpu", reference=None, run_dir: str | Path = "runs", device=None, progress: bool = True,
          seeds: tuple[int, ...] = (0,), max_bad: float = 0.05,
          on_plan: Callable[[float, int, int, int, int | None], None] | None = None,
          workers: int | None = None, executor: ExecutorSettings | None = None
          ) -> ProbeReport | SeveralProbeReport:
    """Probe ``classifier``'s memory of class ``target`` with a ProbeGAN trained without it.

    ``target``: a class name, or a list of names: several classes absent at once from one GAN
    (per seed), each at the same share of the unconditional head's fakes (1/C, class dilution);
    a list gives a :class:`~probelib.probing.report.SeveralProbeReport` with a report per target.
    ``images``: an :class:`ImageSet` or a folder ``<dir>/<class>/*`` (any size, grey or RGB); the
    targets' images are held out of the GAN's data. ``resolution``: 32, 64 or 128 (default: the
    largest not above the images' median size). Training: by default until the GAN draws the
    seen classes (a check every ``check_every`` steps of the profile's settings), at most
    ``max_steps`` (default: the profile's budget); ``steps``: exactly that many steps instead, no
    rule. Either way the report checks the final GAN on the seen classes first. ``reference``:
    real target images, for the report's evaluation only: a folder (one target), or a folder with
    one sub-folder per target, or ``{target: folder}``.
    ``seeds``: one GAN per seed (trained side by side on a CPU, ``workers`` at a time; default:
    the profile's). ``executor``: where they train (default: ``PROBELIB_EXECUTOR``, see
    :mod:`probelib.train.jobs`); a :class:`~probelib.probing.loading.ClassifierSpec` travels to
    any worker, a live module only when it pickles. ``on_plan(seconds per step, steps, GANs to
    train, workers, check_every)`` hears a measured time estimate before training starts (the
    command line prints it; ``steps`` is the budget and ``check_every`` the rule's interval, or
    ``None`` for a fixed ``steps``). Returns the report.
    """
    start = time.perf_counter()
    targets = _targets(target)
    s = settings(profile)
    device = pick_device(device)
    data, scan, res, held_out = _load(images, targets, resolution, max_bad)
    ts = [class_index(data, t) for t in targets]  # the boundary: names become indices here, once
    seen = [c for c in range(data.num_classes) if c not in ts and int((data.labels == c).sum()) > 0]
    if len(seen) < 2:
        raise ProbeError(f"the GAN needs images of at least two classes besides {', '.join(map(repr, targets))}; "
                         f"found {', '.join(data.classes[c] for c in seen) or 'none'}")
    classifier, spec = _classifier(classifier)
    classifier = classifier.to(device).eval()
    for p in classifier.parameters():
        p.requires_grad_(False)
    check_classifier(classifier, data, device)
    ref = _reference(reference, targets, data, res, max_bad)
    rule = StopRule(s.check_every, s.seen) if steps is None else None
    n_steps = steps if steps is not None else (max_steps or s.trainer.steps)
    jobs = [GanJob(dataclasses.replace(trainer_config(s, res, data.channels, n_steps, seed), targets=tuple(ts[1:])),
                   data, classifier, ts[0], f"probe-{'+'.join(targets)}-s{seed}", rebuild=spec) for seed in seeds]
    workers = workers or (s.gan_workers if device.type == "cpu" else 1)
    misses = [j for j in jobs if not (gan_cached(j, run_dir) if rule is None else stopped_cached(j, rule, run_dir))]
    if on_plan is not None and misses:
        on_plan(estimate_seconds_per_step(jobs[0].cfg, data, classifier, ts[0], device), n_steps, len(misses),
                workers, rule.check_every if rule is not None else None)
    train_start = time.perf_counter()
    if rule is None:
        results, stops = train_or_load(jobs, run_dir, workers, str(device), progress=progress, where=executor), None
    else:
        pairs = train_or_load_stopped(jobs, rule, run_dir, workers, str(device), progress=progress, where=executor)
        results, stops = [r for r, _ in pairs], [stop for _, stop in pairs]
    train_seconds = time.perf_counter() - train_start
    check = SeenCheck(classifier, data, seen, s.seen)  # the GAN on the seen classes, before its probe is read
    checks = [check(r.generator, seed=seed) for r, seed in zip(results, seeds)]
    fakes = {t: [sample(r.generator, t, s.n_samples, seed=seed) for r, seed in zip(results, seeds)] for t in ts}
    judged = judge_references(data, ref, {t: fakes[t] for t in ts if bool((ref.labels == t).any())}, list(seeds),
                              s.judge, run_dir, device, progress) if ref is not None else {}
    seen_fakes = {data.classes[c]: sample(results[0].generator, c, 8, seed=seeds[0]) for c in seen[:4]}
    seconds = {"training": train_seconds, "total": time.perf_counter() - start}
    reports = {}
    for name, t in zip(targets, ts):
        probs = [predict(classifier, f).softmax(1) for f in fakes[t]]
        own = [{"seed": seed, "mean p(target)": float(p[:, t].mean()),
                "top-1 target (%)": 100 * float((p.argmax(1) == t).float().mean())} for seed, p in zip(seeds, probs)]
        reports[name] = ProbeReport(
            target=name, classes=data.classes, resolution=res, channels=data.channels, profile=profile,
            n_images=len(data), per_class=data.counts(), held_out=held_out[name],
            skipped=list(scan.skipped) if scan is not None else [], seeds=list(seeds), results=results,
            fakes=fakes[t], seen_fakes=seen_fakes, own_verdict=own,
            neighbours=nearest_seen(classifier, fakes[t][0][:16], data, s.neighbours), reference=judged.get(t),
            n_reference=int((ref.labels == t).sum()) if ref is not None else 0, seconds=seconds,
            steps=jobs[0].cfg.steps, seconds_per_step=[r.seconds_per_step for r in results],
            spread=[spread(f, data) for f in fakes[t]], absent=held_out, notes=_notes(classifier),
            seen_checks=checks, seen_rule=s.seen, stopping=stops,
            steps_trained=[stop["steps"] for stop in stops] if stops else [n_steps] * len(seeds))
    return reports[targets[0]] if isinstance(target, str) else SeveralProbeReport(reports)
