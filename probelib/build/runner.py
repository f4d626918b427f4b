"""Run every chapter with papermill for a profile, record a run ledger, build the book.

    python -m probelib.run --profile cpu                 # the whole book (what `make book` does)
    python -m probelib.run --profile smoke --only 01_problem
    python -m probelib.run --profile gpu -p target_class zebra -p seed 1
    python -m probelib.run --profile gpu --estimate       # predicted GPU-hours per chapter; trains nothing
    python -m probelib.run --profile gpu --executor slurm --slurm slurm_partition=gpu --max-jobs 32

Every chapter's overrides are checked before any kernel starts. A user error (an unknown
parameter, class, data set or chapter; a stale checkpoint) ends as one ``[probelib] error:``
line and exit status 2; a chapter that raises stops the run with status 1, naming the chapter
and the failing cell. The book is built with Jupyter Book 1 and warnings as errors, and the
HTML page of every chapter must exist afterwards. After the chapters the runner writes the
"Results and benchmarks" page; a build of a non-``smoke`` profile also refreshes the README's
chapter table and picture.
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from ..core.errors import UserError
from . import course, editions
from ..book.chapter import ParameterError, check_overrides, declared_parameters, project_root
from ..book.ledger import glued_values, load_ledger, save_ledger, tagged_png
from ..book.profiles import CHECKS
from .pages import VARIANTS, chapter_sources
from .results import results_page, update_readme

__all__ = ["RunError", "chapter_sources", "chapter_titles", "check_chapter", "execute_chapter", "build_book",
           "executor_environment", "main", "README_FIGURE"]

#: where a non-smoke build writes the README's picture (the chapter cell tagged ``readme-figure``)
README_FIGURE = Path("book") / "_static" / "readme-samples.png"
#: files the runner rewrites from executed chapters (tracked, but not code)
GENERATED = ("README.md", str(README_FIGURE), "book/costs.json")

PACKAGES = ("probelib", "torch", "torchvision", "numpy", "safetensors", "scikit-learn", "scikit-image",
            "matplotlib", "papermill", "jupytext", "jupyter-book", "nbval")


class RunError(RuntimeError):
    """A chapter or the book build failed; the message says which and where."""


def chapter_titles(sources: list[Path]) -> dict[str, str]:
    """``{stem: title}``: each chapter's first Markdown heading (``# 3 · Table 1: ...``)."""
    titles = {}
    for src in sources:
        heading = next((line[4:].strip() for line in src.read_text().splitlines() if line.startswith("# # ")), None)
        titles[src.stem] = heading or src.stem
    return titles


def check_chapter(src: Path, overrides: dict) -> dict:
    """The chapter's parameters with ``overrides`` applied, or a one-line ParameterError /
    DatasetError: unknown names, wrong types, unknown profiles, data sets and classes."""
    import jupytext

    return check_overrides(declared_parameters(jupytext.read(src)), overrides, src.stem)


def _versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _git_commit(root: Path) -> str:
    try:
        sha = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                             check=True).stdout.strip()
        # what the runner itself writes (the README's chapter block and picture) does not make the code dirty
        generated = [f":(exclude){p}" for p in GENERATED]
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", *generated],
                               cwd=root, capture_output=True, text=True).stdout.strip()
        return sha + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _device() -> str:
    import torch

    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return f"cpu ({os.cpu_count()} cores, {torch.get_num_threads()} torch threads)"


def _cache_files(root: Path, params: dict) -> set[str]:
    cache = (root / str(params.get("run_dir", "runs"))) / "cache"
    return {p.name for p in cache.glob("*.safetensors")} if cache.is_dir() else set()


def execute_chapter(src: Path, out: Path, overrides: dict, root: Path, readme_figure: bool = True,
                    variant: str | None = None) -> dict:
    """Execute one chapter with papermill; return its ledger entry (raises RunError on failure).
    ``readme_figure``: write the cell tagged ``readme-figure`` to the README's picture. A
    ``variant`` page (the chapter again with other parameters) runs without the chapter's
    exercises, its figure/table labels suffixed with ``-variant``. The entry's ``trained`` counts
    the models the run added to the cache (0: the cache was warm)."""
    import jupytext
    import papermill as pm

    nb = jupytext.read(src)
    params = check_chapter(src, overrides)
    if variant:
        number = ".".join(map(str, editions.page_numbers([src.stem, out.stem])[f"chapters/{out.stem}"]))
        changed = ", ".join(f"{k} = {v!r}" for k, v in VARIANTS.get(out.stem, (None, {}))[1].items())
        nb = course.retitle(course.relabel(course.strip_exercises(nb), variant), number, changed or variant)
    before = _cache_files(root, params)
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"[probelib] {out.stem}: running on profile {params.get('profile')!r} ...", flush=True)
    start = time.perf_counter()
    try:
        pm.execute_notebook(nb, str(out), parameters=overrides, kernel_name="python3", language="python",
                            cwd=str(root), progress_bar=False, log_output=False)
    except pm.PapermillExecutionError as err:
        raise RunError(
            f"chapter {src.stem} failed in cell {err.cell_index} (execution count {err.exec_count}): "
            f"{err.ename}: {err.evalue}; the executed notebook with the traceback is {out}"
        ) from err
    seconds = time.perf_counter() - start
    trained = len(_cache_files(root, params) - before)
    print(f"[probelib] {out.stem}: done in {seconds / 60:.1f} min ({trained} models trained)", flush=True)
    import nbformat

    executed = nbformat.read(out, as_version=4)
    meta = executed.metadata.get("papermill", {})
    if not isinstance(meta.get("input_path"), str):  # papermill stores a notebook given as an object whole
        meta["input_path"] = str(src.relative_to(root)) if src.is_relative_to(root) else str(src)
        nbformat.write(executed, out)
    png = tagged_png(executed)
    if png is not None and readme_figure and params.get("profile") not in CHECKS:
        (root / README_FIGURE).parent.mkdir(parents=True, exist_ok=True)
        (root / README_FIGURE).write_bytes(png)
    return {
        "chapter": src.stem,
        "parameters": params,
        "profile": params.get("profile"),
        "seed": params.get("seed"),
        "device": _device(),
        "seconds": round(seconds, 1),
        "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git_commit": _git_commit(root),
        "glued": glued_values(executed),
        "trained": trained,
    }


def _toc_entries(root: Path) -> set[str]:
    toc = (root / "book" / "_toc.yml").read_text()
    return {line.split(":", 1)[1].strip() for line in toc.splitlines() if line.strip().startswith("- file:")}


def build_book(root: Path, chapters: list[str], edition: str = "instructor",
               variables: editions.BuildVariables | None = None) -> Path:
    """Build one edition of the HTML book with Jupyter Book 1, warnings as errors, from the executed
    chapters (nothing runs again); check every chapter's page. The student edition is built from a
    copy without the solutions and fails if any solution's text is found in what it built."""
    missing = [c for c in chapters if not (root / "book" / "chapters" / f"{c}.ipynb").exists()]
    if missing:
        first = VARIANTS.get(missing[0], (missing[0],))[0]  # a variant runs with its chapter
        raise RunError(f"chapter(s) {', '.join(missing)} not executed yet; run "
                       f"`python -m probelib.run --only {first}` first")
    listed = _toc_entries(root)
    unlisted = [c for c in chapters if f"chapters/{c}" not in listed]
    if unlisted:
        raise RunError(f"chapter(s) {', '.join(unlisted)} missing from book/_toc.yml; add `- file: chapters/<name>`")
    variables = variables or editions.BuildVariables.from_env()
    editions.add_cost_headers(root, chapters, course.load_costs(root), _predicted_gpu_hours(root))
    cfg = editions.write_config(root, editions.book_config(root, edition, variables,
                                                           editions.page_sources(chapters, VARIANTS)), edition)
    source, markers = (root / "book", []) if edition == "instructor" else editions.stage_student(root)
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb) if jb.exists() else "jupyter-book", "build", str(source.relative_to(root)), "--config",
           str(cfg.relative_to(root)), "--path-output", str(source.relative_to(root)), "-W", "--keep-going"]
    print(f"[probelib] building the {edition} edition: {' '.join(cmd)}", flush=True)
    proc = subprocess.run(cmd, cwd=root)
    if proc.returncode != 0:
        raise RunError(f"jupyter-book build failed (exit {proc.returncode}); warnings are errors, see above")
    html = editions.html_dir(root, edition)
    absent = [c for c in chapters if not (html / "chapters" / f"{c}.html").exists()]
    if absent:
        raise RunError(f"the book has no page for {', '.join(absent)} in {html}")
    if edition == "student":
        leaks = course.find_leaks(source / "_build", markers)
        if leaks:
            raise RunError(f"the student edition holds solution text ({len(leaks)} files), e.g. {leaks[0]}")
        print(f"[probelib] student edition: none of {len(markers)} solution lines found in its pages or sources",
              flush=True)
    return html


def _predicted_gpu_hours(root: Path) -> dict[str, float]:
    """Each chapter's predicted paper-scale GPU-hours of GAN training ({} without a stored GPU step)."""
    from .estimate import estimate
    from ..book.profiles import get

    try:
        return {c: r["hours"] for c, r in estimate(get("gpu"), root)["chapters"].items()}
    except FileNotFoundError:
        return {}


def _parse_value(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text  # a bare word is a string


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one ``[probelib] error:`` line, status 2."""

    def error(self, message: str):
        print(f"[probelib] error: {message}; see python -m probelib.run --help", file=sys.stderr, flush=True)
        raise SystemExit(2)


def _select(sources: list[Path], only: list[str]) -> list[Path]:
    """The chapters ``--only`` names (all of them without it); the name of a variant page of one of
    ``sources`` selects no chapter (:func:`variants` runs it alone)."""
    pages = [n for n, (stem, _) in VARIANTS.items() if any(s.stem == stem for s in sources)]
    chapters = [o for o in only if o not in pages]
    if not only:
        return sources
    unknown = [o for o in chapters if not any(s.stem == o or s.stem.startswith(o + "_") for s in sources)]
    if unknown:
        raise ParameterError(f"unknown chapter {unknown[0]!r}; choose one of: "
                             f"{', '.join([s.stem for s in sources] + pages)}")
    return [s for s in sources if any(s.stem == o or s.stem.startswith(o + "_") for o in chapters)]


def variants(selected: list[Path], overrides: dict, only: tuple[str, ...] = (),
             sources: list[Path] = ()) -> list[tuple[str, Path, dict]]:
    """``(page name, chapter source, parameters)`` of the :data:`VARIANTS` of the selected chapters;
    none of a chapter whose variant parameters the command line sets itself (``-p target_class
    zebra`` reruns chapter 3 for zebra only). A variant page named in ``only`` (``--only
    03_table1-elephant``) runs alone, its chapter taken from ``sources``."""
    out = []
    for name, (stem, params) in VARIANTS.items():
        src = next((s for s in selected if s.stem == stem), None)
        if src is None and name in only:
            src = next((s for s in sources if s.stem == stem), None)
            if set(params) & set(overrides):
                raise ParameterError(f"{name} is {stem} with {', '.join(f'{k}={v!r}' for k, v in params.items())}; "
                                     f"to set {', '.join(sorted(set(params) & set(overrides)))} yourself, run "
                                     f"--only {stem} instead")
        if src is not None and not set(params) & set(overrides):
            out.append((name, src, {**overrides, **params}))
    return out


def _write_pages(root: Path, run_dir: Path, sources: list[Path], profile: str, executed: bool = True) -> None:
    ledger = load_ledger(run_dir)
    ledger.update(git_commit=_git_commit(root), versions=_versions(), python=platform.python_version(),
                  platform=platform.platform(), built=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    save_ledger(run_dir, ledger)
    (root / "book" / "results.md").write_text(results_page(ledger, root))
    if executed and profile not in CHECKS and (root / "README.md").is_file():  # not on --build-only
        update_readme(root / "README.md", ledger, chapter_titles(sources))


def executor_environment(executor: str | None, max_jobs: int | None, slurm: list[str]) -> dict[str, str]:
    """The environment that sends every chapter's training jobs where the command line says
    (read by :func:`probelib.train.jobs.executor_settings` in each chapter's kernel)."""
    env = {}
    if executor:
        env["PROBELIB_EXECUTOR"] = executor
    if max_jobs is not None:
        if max_jobs < 1:
            raise ParameterError(f"--max-jobs {max_jobs}: give at least 1")
        env["PROBELIB_MAX_JOBS"] = str(max_jobs)
    if slurm:
        if executor != "slurm":
            raise ParameterError("--slurm parameters need --executor slurm")
        params = {}
        for item in slurm:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise ParameterError(f"--slurm {item!r}: give KEY=VALUE, e.g. slurm_partition=gpu")
            params[key] = _parse_value(value)
        env["PROBELIB_SLURM"] = json.dumps(params)
    return env


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="python -m probelib.run", description=__doc__.split("\n")[0])
    from ..book.profiles import PROFILES

    parser.add_argument("--profile", default="cpu", choices=tuple(PROFILES),
                        help="smoke (seconds), cpu (the default book), gpu (paper scale), gpu-smoke (the paper's "
                             "architecture at 200 steps: check a GPU end to end in minutes)")
    parser.add_argument("--only", action="append", default=[], metavar="CHAPTER",
                        help="run only this chapter (e.g. 01_problem or 01; a variant page such as "
                             "03_table1-elephant runs alone); repeatable")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                        help="override a chapter parameter (literal, e.g. -p seed 1 -p target_class zebra)")
    parser.add_argument("--run-dir", default="runs", help="where the cache, samples and ledger live")
    parser.add_argument("--executor", choices=("local", "slurm"),
                        help="where the chapters' GAN training jobs run: local processes (default) or Slurm jobs "
                             "through submitit (the run directory must be on a file system the nodes share)")
    parser.add_argument("--max-jobs", type=int, metavar="N", help="at most N training jobs at once")
    parser.add_argument("--slurm", action="append", default=[], metavar="KEY=VALUE",
                        help="a submitit Slurm parameter, e.g. --slurm slurm_partition=gpu --slurm timeout_min=240")
    parser.add_argument("--estimate", action="store_true", help="print each chapter's predicted GPU-hours of GAN "
                        "training for --profile from the stored step time, and train nothing")
    parser.add_argument("--edition", choices=editions.EDITIONS, default="instructor",
                        help="instructor (solutions shown, folded; book/_build/html) or student (solutions removed "
                             "from pages and downloadable notebooks; book/_build/student/_build/html)")
    parser.add_argument("--repo-url", help="the repository a JupyterHub pulls (default $REPO_URL, else _config.yml)")
    parser.add_argument("--branch", help="its branch (default $BRANCH, else _config.yml)")
    parser.add_argument("--hub-url", help="the course's JupyterHub for the launch button (default $HUB_URL, else "
                                          "_config.yml)")
    parser.add_argument("--no-build", action="store_true", help="execute chapters, skip the HTML build")
    parser.add_argument("--build-only", action="store_true", help="build the HTML book from executed chapters")
    args = parser.parse_args(argv)

    root = project_root()
    os.environ.setdefault("PROBELIB_ROOT", str(root))
    if args.estimate:
        from .estimate import estimate, format_estimate
        from ..book.profiles import get

        try:
            print(format_estimate(estimate(get(args.profile), root), args.profile), flush=True)
        except FileNotFoundError as err:
            print(f"[probelib] error: {err}", file=sys.stderr, flush=True)
            return 2
        return 0
    try:
        os.environ.update(executor_environment(args.executor, args.max_jobs, args.slurm))
    except ParameterError as err:
        print(f"[probelib] error: {err}", file=sys.stderr, flush=True)
        return 2
    # progress bars help in JupyterLab; in an executed page they would be frozen "0 %" widgets
    os.environ.setdefault("TQDM_DISABLE", "1")
    sources = chapter_sources(root)
    overrides = {"profile": args.profile, "run_dir": args.run_dir}
    overrides.update({k: _parse_value(v) for k, v in args.parameter})
    run_dir = (root / args.run_dir).resolve()
    try:
        wanted = [] if args.build_only else _select(sources, args.only)
        extra = [] if args.build_only else variants(wanted, overrides, tuple(args.only), sources)
        for src, params in [(s, overrides) for s in wanted] + [(s, p) for _, s, p in extra]:
            check_chapter(src, params)  # every chapter's parameters before any kernel starts
        runs = [(s.stem, s, overrides, True) for s in wanted] + [(n, s, p, False) for n, s, p in extra]
        # the whole book in one command: its wall time is the budget's measure (cold from an empty cache)
        whole, empty, started, trained = not args.only and args.profile not in CHECKS, not _cache_files(
            root, overrides), time.monotonic(), 0
        for name, src, params, figure in runs:
            variant = None if figure else name.split("-", 1)[-1]
            entry = execute_chapter(src, root / "book" / "chapters" / f"{name}.ipynb", params, root, figure, variant)
            entry["chapter"] = name
            ledger = load_ledger(run_dir)  # re-read: another run may have recorded a chapter meanwhile
            ledger["chapters"][name] = entry
            save_ledger(run_dir, ledger)
            if entry["profile"] not in CHECKS:  # the cost header of the chapter's page
                costs = course.record_cost(course.load_costs(root), name, entry, entry["trained"])
                (root / course.COSTS).write_text(json.dumps(costs, indent=2) + "\n")
            trained += entry["trained"]
        if whole and runs:
            costs = course.record_book(course.load_costs(root), args.profile, _device(), time.monotonic() - started,
                                       len(runs), trained, empty, datetime.now(timezone.utc).isoformat(),
                                       _git_commit(root))
            (root / course.COSTS).write_text(json.dumps(costs, indent=2) + "\n")
        _write_pages(root, run_dir, sources, args.profile, executed=bool(runs))
        if not args.no_build:
            html = build_book(root, [s.stem for s in sources] + list(VARIANTS), args.edition,
                              editions.BuildVariables.from_env(repo_url=args.repo_url, branch=args.branch,
                                                               hub_url=args.hub_url))
            print(f"[probelib] book built: {html / 'index.html'}", flush=True)
    except RunError as err:  # a chapter or the build failed
        print(f"[probelib] error: {err}", file=sys.stderr, flush=True)
        return 1
    except UserError as err:  # bad input: one line, no traceback
        print(f"[probelib] error: {err}", file=sys.stderr, flush=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
