"""``python -m probelib probe``: what has my classifier memorised about one of its classes?

    python -m probelib probe --classifier model.pt --images my_folder/ --target cat --out report/
    python -m probelib probe --classifier model.pt --images my_folder/ --target cat,dog --reference refs/
    python -m probelib probe --classifier torchvision:resnet18 --weights w.safetensors --images my_folder/ \\
        --target cat --input-size 224 --normalize imagenet --reference cats/ --out report/

Prints an up-front time estimate (from a measured step), trains with a progress bar, and writes
``<out>/report.html`` (self-contained), ``samples.npz``, ``generator.safetensors`` and
``config.json``. Bad input is one ``[probelib] error:`` line and exit status 2.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..core.errors import UserError

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        print(f"[probelib] error: {message}; see python -m probelib probe --help", file=sys.stderr, flush=True)
        raise SystemExit(2)


def _normalisation(text: str | None) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None]:
    from ..models.adapter import IMAGENET_MEAN, IMAGENET_STD
    from .loading import ClassifierFileError

    if text in (None, "none"):
        return None, None
    if text == "imagenet":
        return IMAGENET_MEAN, IMAGENET_STD
    try:
        mean, std = text.split("/")
        return tuple(float(v) for v in mean.split(",")), tuple(float(v) for v in std.split(","))
    except ValueError:
        raise ClassifierFileError(f"--normalize {text!r}: give imagenet, none or m1,m2,m3/s1,s2,s3") from None


def _probe(args) -> int:
    import torch

    from ..data.folder import scan_folder
    from ..models.adapter import ClassifierAdapter
    from .api import probe
    from .loading import load_classifier, parse_class_map

    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):  # before any training, not after
        from .report import OutputError

        raise OutputError(f"{out} exists and is not an empty folder; choose another --out or remove it")
    model = load_classifier(args.classifier, args.weights)
    scan = scan_folder(args.images)
    mean, std = _normalisation(args.normalize)
    adapter = ClassifierAdapter(model, size=args.input_size, in_channels=args.in_channels, mean=mean, std=std,
                                class_map=parse_class_map(args.class_map, scan.classes))
    seeds = tuple(int(s) for s in args.seeds.split(","))
    targets = [t.strip() for t in args.target.split(",")]
    target = targets[0] if len(targets) == 1 else targets  # several: one GAN with all of them absent
    print(f"[probelib] {args.images}: {sum(len(v) for v in scan.files.values())} images of {len(scan.classes)} "
          f"classes ({', '.join(scan.classes)}); target{'s' if len(targets) > 1 else ''} "
          f"{', '.join(map(repr, targets))}; {len(scan.skipped)} file(s) skipped", flush=True)
    report = probe(adapter, args.images, target, resolution=args.resolution, steps=args.steps,
                   profile=args.profile, reference=args.reference, run_dir=args.run_dir, device=args.device,
                   progress=True, seeds=seeds, on_plan=_print_estimate)
    path = report.save(args.out)
    for one in ([report] if len(targets) == 1 else report.reports.values()):
        own = one.own_verdict[0]
        print(f"[probelib] the classifier calls {own['top-1 target (%)']:.1f} % of its probe {one.target!r} "
              f"(mean p = {own['mean p(target)']:.2f})", flush=True)
        if one.reference is not None:
            m = one.reference["mean"]["recognition (%)"]
            print(f"[probelib] the independent judge recognises {m[0]:.1f} % of them", flush=True)
    print(f"[probelib] report: {path / 'report.html'}", flush=True)
    del torch
    return 0


def _print_estimate(seconds_per_step: float, steps: int, n_gans: int, workers: int) -> None:
    total = seconds_per_step * steps * max(1, -(-n_gans // max(workers, 1)))
    print(f"[probelib] measured {seconds_per_step:.2f} s per step: about {total / 60:.1f} min for {n_gans} GAN(s) of "
          f"{steps} steps", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m probelib", description="probelib's command line")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("probe", help="probe a classifier's memory of one class", description=__doc__.split("\n")[0])
    p.add_argument("--classifier", required=True, help="model.pt (TorchScript), model.pt2 (torch.export), "
                   "module:factory or torchvision:NAME (the last two with --weights)")
    p.add_argument("--weights", help="state dict (.safetensors or torch.save(model.state_dict()))")
    p.add_argument("--images", required=True, help="folder <dir>/<class>/*.png|jpg|… the classifier was trained on")
    p.add_argument("--target", required=True, help="the class to probe (its images are held out of the GAN's data); "
                   "several, comma-separated (a,b): all absent from one GAN, a report section each")
    p.add_argument("--resolution", type=int, choices=(32, 64, 128), help="default: the largest not above the "
                   "images' median size")
    p.add_argument("--steps", type=int, help="generator steps (default: the profile's)")
    p.add_argument("--reference", help="folder of real target images, for the report's evaluation only (several "
                   "targets: one sub-folder per target)")
    p.add_argument("--out", default="probe-report", help="the report's folder (must not exist, or be empty)")
    p.add_argument("--device", help="cpu, cuda, cuda:1, ... (default: cuda when available)")
    p.add_argument("--profile", default="cpu", choices=("smoke", "cpu", "gpu"))
    p.add_argument("--seeds", default="0", help="comma-separated seeds, one GAN each (e.g. 0,1)")
    p.add_argument("--class-map", help="JSON file {folder class: output index} or name=index,name=index")
    p.add_argument("--input-size", type=int, help="the model's input side; generated images are resized to it")
    p.add_argument("--in-channels", type=int, help="the model's input channels (grey images are repeated to 3)")
    p.add_argument("--normalize", help="imagenet, none (default) or m1,m2,m3/s1,s2,s3 on the [0, 1] scale")
    p.add_argument("--run-dir", default="runs", help="the run cache")
    args = parser.parse_args(argv)
    try:
        return _probe(args)
    except UserError as err:
        print(f"[probelib] error: {err}", file=sys.stderr, flush=True)
        return 2
