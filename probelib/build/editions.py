"""The two editions of the book from one papermill run, and the build variables of a course.

- **instructor** (``make book``): ``book/`` as executed, solutions shown, folded;
  HTML in ``book/_build/html``.
- **student** (``make book-student``): a copy of ``book/`` in ``book/_build/student`` whose
  chapter notebooks have their solution cells removed (so neither the pages nor the
  downloadable ``.ipynb`` sources hold them), built to ``book/_build/student/_build/html``
  and searched for every solution's text afterwards. Nothing is executed again.

Build variables (environment or the runner's options; defaults in ``_config.yml``):
``REPO_URL`` (the repository a JupyterHub pulls; also the repository button), ``BRANCH`` and
``HUB_URL`` (the course's JupyterHub: the launch button is an nbgitpuller link that opens the
chapter's ``notebooks/NN_topic.py`` in JupyterLab, where jupytext opens it as a notebook).
"""
from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import course

__all__ = ["EDITIONS", "BuildVariables", "book_config", "add_cost_headers", "stage_student", "html_dir",
           "launch_link", "page_sources", "page_numbers"]

EDITIONS = ("instructor", "student")
_ENV = {"repo_url": "REPO_URL", "branch": "BRANCH", "hub_url": "HUB_URL"}


@dataclass(frozen=True)
class BuildVariables:
    repo_url: str | None = None
    branch: str | None = None
    hub_url: str | None = None

    @classmethod
    def from_env(cls, env=None, **given) -> "BuildVariables":
        """The given values, else ``$REPO_URL`` / ``$BRANCH`` / ``$HUB_URL``, else None (``_config.yml``'s)."""
        env = os.environ if env is None else env
        return cls(**{k: given.get(k) or env.get(v) or None for k, v in _ENV.items()})


def _yaml():
    import yaml

    return yaml


def page_sources(chapters: list[str], variants: dict[str, tuple]) -> dict[str, str]:
    """``{page: source}``: each chapter page's jupytext source (a variant page's is its chapter's)."""
    return {f"chapters/{c}": f"notebooks/{variants.get(c, (c,))[0]}.py" for c in chapters}


def page_numbers(chapters: list[str]) -> dict[str, list[int]]:
    """``{page: number}`` for the per-page figure numbers: chapter ``03_table1`` is [3], its section
    pages (``03_table1-elephant``) [3, 1], [3, 2], ... in name order."""
    out = {}
    for name in sorted(chapters):
        chapter = int(name[:2])
        if "-" in name:
            out[f"chapters/{name}"] = [chapter, sum(1 for p in out if p[9:11] == name[:2] and "-" in p) + 1]
        else:
            out[f"chapters/{name}"] = [chapter]
    return out


def book_config(root: Path, edition: str, variables: BuildVariables, sources: dict[str, str]) -> dict:
    """``_config.yml`` with the build variables, the pages' sources and the edition applied."""
    if edition not in EDITIONS:
        raise ValueError(f"edition {edition!r}: choose one of {', '.join(EDITIONS)}")
    cfg = _yaml().safe_load((root / "_config.yml").read_text())
    repo = cfg.setdefault("repository", {})
    if variables.repo_url:
        repo["url"] = variables.repo_url
    if variables.branch:
        repo["branch"] = variables.branch
    if variables.hub_url:
        cfg.setdefault("launch_buttons", {})["jupyterhub_url"] = variables.hub_url
    sphinx = cfg.setdefault("sphinx", {})
    sphinx["local_extensions"] = {name: str((root / path).resolve())
                                  for name, path in sphinx.get("local_extensions", {}).items()}
    conf = sphinx.setdefault("config", {})
    conf["probelib_sources"] = sources
    conf["probelib_page_numbers"] = page_numbers([p.removeprefix("chapters/") for p in sources])
    host = repo.get("url", "").lower()
    provider = next((p for p in ("github", "gitlab", "bitbucket") if p in host), "gitlab")  # self-hosted: GitLab
    sphinx["recursive_update"] = True  # merge into the theme options Jupyter Book builds, do not replace them
    conf.setdefault("html_theme_options", {})["repository_provider"] = provider
    if edition == "student":
        conf["hide_solutions"] = True
        cfg["title"] = f"{cfg.get('title', 'probelib')} (student edition)"
    return cfg


def write_config(root: Path, cfg: dict, edition: str) -> Path:
    path = root / "book" / "_build" / f"_config.{edition}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_yaml().safe_dump(cfg, sort_keys=False, allow_unicode=True))
    return path


def _title_cell(nb) -> int:
    return next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.lstrip().startswith("# ")),
                -1)


def add_cost_headers(root: Path, chapters: list[str], costs: dict, predicted: dict[str, float] | None = None) -> None:
    """Put (or replace) the cost header right under the title of every executed chapter notebook
    (a title cell that goes on with the introduction is split after its heading line)."""
    for name in chapters:
        path = root / "book" / "chapters" / f"{name}.ipynb"
        nb = nbformat.read(path, as_version=4)
        nb.cells = [c for c in nb.cells if course.HEADER_TAG not in c.metadata.get("tags", [])]
        at = _title_cell(nb)
        if at >= 0:
            heading, _, rest = nb.cells[at].source.lstrip().partition("\n")
            if rest.strip():
                nb.cells[at].source = heading
                nb.cells.insert(at + 1, nbformat.v4.new_markdown_cell(rest.strip("\n")))
        cell = nbformat.v4.new_markdown_cell(course.cost_header(name, costs, (predicted or {}).get(name)))
        cell.metadata["tags"] = [course.HEADER_TAG]
        nb.cells.insert(at + 1, cell)
        nbformat.write(nb, path)


def stage_student(root: Path) -> tuple[Path, list[str]]:
    """Copy ``book/`` (without its builds) to ``book/_build/student`` with every chapter's solutions
    removed; return the staged folder and the solutions' text to search the build for."""
    book = root / "book"
    stage = book / "_build" / "student"
    if stage.exists():
        shutil.rmtree(stage)
    shutil.copytree(book, stage, ignore=lambda d, names: ["_build"] if Path(d) == book else [])
    markers = []
    for path in sorted((stage / "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        markers += course.solution_markers(nb)
        nbformat.write(course.strip_solutions(nb), path)
    return stage, markers


def html_dir(root: Path, edition: str) -> Path:
    return root / "book" / "_build" / ("html" if edition == "instructor" else "student/_build/html")


def _extension(root: Path):
    spec = importlib.util.spec_from_file_location("probelib_pages", root / "book" / "_ext" / "probelib_pages.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def launch_link(root: Path, page: str, variables: BuildVariables | None = None, variants: dict | None = None) -> str:
    """The JupyterHub launch button's link of a chapter page (e.g. ``chapters/03_table1``);
    ``variants``: the runner's ``VARIANTS`` (a variant page opens its chapter's source)."""
    cfg = book_config(root, "instructor", variables or BuildVariables.from_env(),
                      page_sources([page.removeprefix("chapters/")], variants or {}))
    source = cfg["sphinx"]["config"]["probelib_sources"][page]
    return _extension(root).launch_url(cfg["launch_buttons"]["jupyterhub_url"], cfg["repository"]["url"],
                                       cfg["repository"].get("branch", "main"), source)
