"""``probelib.probe``: what has *your* classifier memorised about one of its classes (or several)?

Point it at any classifier (an ``nn.Module`` giving logits over the folder's classes, or a
:class:`~probelib.models.adapter.ClassifierAdapter` that fits its input and maps its outputs) and
the image folder it was trained on. The target's own images are held out; ProbeGAN (class
dilution, both discriminator heads, the classifier's cross-entropy, EMA, resumable, stopped on
NaN) is trained through the run cache on the other classes alone, and whatever target images it
draws came from the classifier. The :class:`~probelib.probing.report.ProbeReport` says what was
drawn, how sure the classifier is of it, which seen classes it resembles, and — with real target
images as a ``reference``, used for evaluation only — whether an independent judge recognises it.
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
from ..models.adapter import AdapterInputError, ClassifierAdapter
from ..models.gan import RESOLUTIONS
from ..models.predict import predict
from ..train.gans import sample
from ..train.jobs import GanJob, gan_cached, one_thread, train_or_load
from ..train.probegan import ProbeGANTrainer
from .evaluate import judge_references, nearest_seen, spread
from .report import ProbeReport, SeveralProbeReport
from .settings import settings, trainer_config

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
    except AssertionError as err:  # torch.export's shape guards
        raise ProbeError(f"the classifier takes only fixed input shapes ({str(err).splitlines()[0]}); export it with "
                         "a dynamic batch: torch.export.export(model, (x,), dynamic_shapes=({0: "
                         "torch.export.Dim('batch')},))") from None
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


def probe(classifier: nn.Module, images: ImageSet | str | Path, target: str | Sequence[str], *,
          resolution: int | None = None, steps: int | None = None, profile: str = "cpu", reference=None,
          run_dir: str | Path = "runs", device=None, progress: bool = True, seeds: tuple[int, ...] = (0,),
          max_bad: float = 0.05, on_plan: Callable[[float, int, int, int], None] | None = None
          ) -> ProbeReport | SeveralProbeReport:
    """Probe ``classifier``'s memory of class ``target`` with a ProbeGAN trained without it.

    ``target``: a class name, or a list of names: several classes absent at once from one GAN
    (per seed), each at the same share of the unconditional head's fakes (1/C, class dilution);
    a list gives a :class:`~probelib.probing.report.SeveralProbeReport` with a report per target.
    ``images``: an :class:`ImageSet` or a folder ``<dir>/<class>/*`` (any size, grey or RGB); the
    targets' images are held out of the GAN's data. ``resolution``: 32, 64 or 128 (default: the
    largest not above the images' median size). ``steps``: generator steps (default: the
    profile's). ``reference``: real target images, for the report's evaluation only: a folder
    (one target), or a folder with one sub-folder per target, or ``{target: folder}``.
    ``seeds``: one GAN per seed (trained side by side on a CPU). ``on_plan(seconds per step,
    steps, GANs to train, workers)`` hears a measured time estimate before training starts (the
    command line prints it). Returns the report.
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
    if not isinstance(classifier, ClassifierAdapter):
        classifier = ClassifierAdapter(classifier)  # a no-op that finds the model's penultimate features
    classifier = classifier.to(device).eval()
    for p in classifier.parameters():
        p.requires_grad_(False)
    check_classifier(classifier, data, device)
    ref = _reference(reference, targets, data, res, max_bad)
    jobs = [GanJob(dataclasses.replace(trainer_config(s, res, data.channels, steps, seed), targets=tuple(ts[1:])),
                   data, classifier, ts[0], f"probe-{'+'.join(targets)}-s{seed}") for seed in seeds]
    workers = s.gan_workers if device.type == "cpu" else 1
    misses = [j for j in jobs if not gan_cached(j, run_dir)]
    if on_plan is not None and misses:
        on_plan(estimate_seconds_per_step(jobs[0].cfg, data, classifier, ts[0], device), jobs[0].cfg.steps,
                len(misses), workers)
    train_start = time.perf_counter()
    results = train_or_load(jobs, run_dir, workers, str(device), progress=progress)
    train_seconds = time.perf_counter() - train_start
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
            spread=[spread(f, data) for f in fakes[t]], absent=held_out)
    return reports[targets[0]] if isinstance(target, str) else SeveralProbeReport(reports)
