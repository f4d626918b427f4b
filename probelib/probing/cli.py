"""``python -m probelib probe``: what has my classifier memorised about one of its classes?

    python -m probelib probe --classifier model.pt2 --images my_folder/ --target cat --out report/
    python -m probelib probe --classifier model.onnx --images my_folder/ --target cat,dog --reference refs/
    python -m probelib probe --classifier timm:resnet18 --weights w.safetensors --images my_folder/ \\
        --target cat --reference cats/ --seeds 0,1 --out report/

Prints an up-front time estimate (from a measured step: "at most S steps, about M minutes"),
trains until the GAN draws the seen classes (or to the budget, ``--max-steps``; ``--steps N``
trains exactly N) with a progress bar, and writes ``<out>/report.html`` (self-contained),
``samples.npz``, ``generator.safetensors`` and ``config.json``. The report's reading follows,
first whether the GAN draws the seen classes; the last line is its verdict (``NOT EVIDENCE: ...``
when the GAN does not draw them). Bad input is one ``[probelib] error:`` line and exit status 2; anything else
(a bug) is one line naming a log file with its traceback, and exit status 1.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import traceback
from pathlib import Path

from ..core.errors import UserError

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        print(f"[probelib] error: {message}; see python -m probelib probe --help", file=sys.stderr, flush=True)
        raise SystemExit(2)


def _normalisation(text: str | None) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None]:
    """``--normalize``: ``None`` (the model's own, if it declares one), ``()`` for none, or mean / std."""
    from ..models.adapter import IMAGENET_MEAN, IMAGENET_STD
    from .loading import ClassifierFileError

    if text is None:
        return None, None
    if text == "none":
        return (), ()
    if text == "imagenet":
        return IMAGENET_MEAN, IMAGENET_STD
    try:
        mean, std = text.split("/")
        return tuple(float(v) for v in mean.split(",")), tuple(float(v) for v in std.split(","))
    except ValueError:
        raise ClassifierFileError(f"--normalize {text!r}: give imagenet, none or m1,m2,m3/s1,s2,s3") from None


def _executor(args):
    """``--executor`` / ``--max-jobs`` / ``--slurm``: where the GANs train (``None``: as
    ``PROBELIB_EXECUTOR`` says)."""
    from ..train.jobs import ExecutorSettings, JobError, executor_settings

    if args.executor is None and args.max_jobs is None and not args.slurm:
        return None
    base = executor_settings()
    if args.max_jobs is not None and args.max_jobs < 1:
        raise JobError(f"--max-jobs {args.max_jobs}: give at least 1")
    kind = args.executor or base.kind
    if args.slurm and kind != "slurm":
        raise JobError("--slurm parameters need --executor slurm")
    params = dict(base.slurm)
    for item in args.slurm:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise JobError(f"--slurm {item!r}: give KEY=VALUE, e.g. slurm_partition=gpu")
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return ExecutorSettings(kind, args.max_jobs if args.max_jobs is not None else base.max_jobs,
                            tuple(sorted(params.items())))


def _probe(args) -> int:
    from ..data.folder import scan_folder
    from .api import probe
    from .loading import ClassifierSpec, parse_class_map

    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):  # before any training, not after
        from .report import OutputError

        raise OutputError(f"{out} exists and is not an empty folder; choose another --out or remove it")
    scan = scan_folder(args.images)
    mean, std = _normalisation(args.normalize)
    class_map = parse_class_map(args.class_map, scan.classes)
    spec = ClassifierSpec(args.classifier, args.weights, size=args.input_size, in_channels=args.in_channels,
                          mean=mean, std=std, class_map=tuple(class_map) if class_map is not None else None)
    seeds = tuple(int(s) for s in args.seeds.split(","))
    targets = [t.strip() for t in args.target.split(",")]
    target = targets[0] if len(targets) == 1 else targets  # several: one GAN with all of them absent
    print(f"[probelib] {args.images}: {sum(len(v) for v in scan.files.values())} images of {len(scan.classes)} "
          f"classes ({', '.join(scan.classes)}); target{'s' if len(targets) > 1 else ''} "
          f"{', '.join(map(repr, targets))}; {len(scan.skipped)} file(s) skipped", flush=True)
    report = probe(spec, args.images, target, resolution=args.resolution, steps=args.steps,
                   max_steps=args.max_steps, profile=args.profile, reference=args.reference, run_dir=args.run_dir,
                   device=args.device, progress=True, seeds=seeds, on_plan=_print_estimate, workers=args.workers,
                   executor=_executor(args))
    path = report.save(args.out)
    for note in (report if len(targets) == 1 else report.first).notes:
        print(f"[probelib] {note}", flush=True)
    print(f"[probelib] report: {path / 'report.html'}", flush=True)
    for line in report.headline():
        print(f"[probelib] {line}", flush=True)
    print(f"[probelib] verdict: {report.verdict}", flush=True)
    return 0


def _unexpected(err: BaseException) -> int:
    """A bug: one line naming a log file that holds the traceback; exit status 1."""
    fd, log = tempfile.mkstemp(prefix="probelib-probe-error-", suffix=".log")
    with open(fd, "w") as f:
        f.write(f"python -m probelib {' '.join(sys.argv[1:])}\n\n")
        traceback.print_exception(type(err), err, err.__traceback__, file=f)
    first = (str(err).strip().splitlines() or [""])[0][:200]
    print(f"[probelib] unexpected error: {type(err).__name__}{': ' + first if first else ''} — a bug in probelib, "
          f"please report it; the traceback is in {log}", file=sys.stderr, flush=True)
    return 1


def _print_estimate(seconds_per_step: float, steps: int, n_gans: int, workers: int,
                    check_every: int | None = None) -> None:
    total = seconds_per_step * steps * max(1, -(-n_gans // max(workers, 1)))
    if check_every is None:
        print(f"[probelib] measured {seconds_per_step:.2f} s per step: about {total / 60:.1f} min for {n_gans} GAN(s) "
              f"of {steps} steps", flush=True)
        return
    print(f"[probelib] training until the GAN draws the seen classes (a check every {check_every} steps): at most "
          f"{steps} steps, about {total / 60:.1f} minutes at the measured step time ({seconds_per_step:.2f} s per "
          f"step) for {n_gans} GAN(s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m probelib", description="probelib's command line")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("probe", help="probe a classifier's memory of one class", description=__doc__.split("\n")[0])
    p.add_argument("--classifier", required=True, help="model.pt2 (torch.export), model.onnx, model.pt (TorchScript), "
                   "timm:NAME, torchvision:NAME or module:factory (the last three with --weights)")
    p.add_argument("--weights", help="state dict (.safetensors or torch.save(model.state_dict()))")
    p.add_argument("--images", required=True, help="folder <dir>/<class>/*.png|jpg|… the classifier was trained on")
    p.add_argument("--target", required=True, help="the class to probe (its images are held out of the GAN's data); "
                   "several, comma-separated (a,b): all absent from one GAN, a report section each")
    p.add_argument("--resolution", type=int, choices=(32, 64, 128), help="default: the largest not above the "
                   "images' median size")
    p.add_argument("--steps", type=int, help="exactly this many generator steps (default: until the GAN draws the "
                   "seen classes, at most --max-steps)")
    p.add_argument("--max-steps", type=int, help="the budget of training until the GAN draws the seen classes "
                   "(default: the profile's)")
    p.add_argument("--reference", help="folder of real target images, for the report's evaluation only (several "
                   "targets: one sub-folder per target)")
    p.add_argument("--out", default="probe-report", help="the report's folder (must not exist, or be empty)")
    p.add_argument("--device", help="cpu, cuda, cuda:1, ... (default: cuda when available)")
    p.add_argument("--profile", default="cpu", choices=("smoke", "cpu", "gpu"))
    p.add_argument("--seeds", default="0", help="comma-separated seeds, one GAN each (e.g. 0,1)")
    p.add_argument("--workers", type=int, help="GANs trained side by side on this machine (default: the profile's)")
    p.add_argument("--executor", choices=("local", "slurm"), help="where the GANs train: local processes (default) "
                   "or Slurm jobs through submitit (--run-dir on a file system the nodes share)")
    p.add_argument("--max-jobs", type=int, metavar="N", help="at most N training jobs at once")
    p.add_argument("--slurm", action="append", default=[], metavar="KEY=VALUE",
                   help="a submitit Slurm parameter, e.g. --slurm slurm_partition=gpu --slurm timeout_min=240")
    p.add_argument("--class-map", help="JSON file {folder class: output index} or name=index,name=index")
    p.add_argument("--input-size", type=int, help="the model's input side; generated images are resized to it")
    p.add_argument("--in-channels", type=int, help="the model's input channels (grey images are repeated to 3)")
    p.add_argument("--normalize", help="imagenet, none or m1,m2,m3/s1,s2,s3 on the [0, 1] scale (default: the "
                   "model's own for timm, else none)")
    p.add_argument("--run-dir", default="runs", help="the run cache")
    args = parser.parse_args(argv)
    try:
        return _probe(args)
    except UserError as err:
        print(f"[probelib] error: {err}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print("[probelib] interrupted; a rerun resumes from the last checkpoint", file=sys.stderr, flush=True)
        return 130
    except Exception as err:  # noqa: BLE001 - anything else is a bug: one line and its log, not a traceback
        return _unexpected(err)
