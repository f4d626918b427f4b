"""Chapter set-up: parameter validation, seeding, paths from one root.

Every notebook has one cell tagged ``parameters`` holding plain literals; the next cell
calls :func:`setup` with them, which validates the values (one-line errors), seeds every
generator and resolves paths. :func:`declared_parameters` and :func:`check_overrides` let
the runner validate a rerun's overrides *before* a kernel starts.
"""
from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from .. import data as datamod
from ..core.device import pick_device, seed_everything
from ..core.errors import UserError
from .profiles import PROFILES, Profile, get

__all__ = ["ParameterError", "Chapter", "describe", "setup", "project_root", "declared_parameters", "check_overrides"]

#: the parameters every chapter understands, with their allowed types
COMMON = {
    "profile": (str,),
    "dataset": (str,),
    "target_class": (str,),
    "seed": (int,),
    "data_dir": (str, type(None)),
    "run_dir": (str,),
}


#: optional parameters some chapters declare, with their allowed types
OPTIONAL = {
    "fid_extractor": (str, type(None)),
    "inception_weights": (str, type(None)),
    "memnet_weights": (str, type(None)),
    "biggan_weights": (str, type(None)),
    "classifier": (str, type(None)),  # chapter 9: a classifier file (or torchvision:NAME / module:factory)
    "weights": (str, type(None)),
    "images": (str, type(None)),
    "reference": (str, type(None)),
    "resolution": (int, type(None)),
    "steps": (int, type(None)),
}


class ParameterError(UserError, ValueError):
    """A bad chapter parameter; the message names it and the fix in one line."""


def project_root(start: Path | None = None) -> Path:
    """The repository root (``$PROBELIB_ROOT``, else the first parent holding ``_config.yml``
    and ``notebooks/``, else the current directory); relative paths are resolved from it."""
    if os.environ.get("PROBELIB_ROOT"):
        return Path(os.environ["PROBELIB_ROOT"]).resolve()
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        if (d / "_config.yml").is_file() and (d / "notebooks").is_dir():
            return d
    return here


@dataclass(frozen=True)
class Chapter:
    """The resolved settings of one chapter run."""

    profile: Profile
    dataset: str
    classes: tuple[str, ...]
    target_class: str
    target: int  # index of the target class in the full label space
    seed: int
    data_dir: Path | None
    run_dir: Path
    device: torch.device

    def data_options(self) -> dict:
        """What the chapter's data set needs beyond its name: the profile's corpus settings and
        the chapter's run directory for ``speech``; nothing for the image data sets."""
        if self.dataset == "speech":
            return {"config": self.profile.audio.corpus, "run_dir": self.run_dir}
        return {}

    def load(self, split: str = "train") -> datamod.ImageSet:
        """The chapter's data set, ``split`` (``train``, ``test`` or ``all``)."""
        return datamod.load(self.dataset, split, self.data_dir, **self.data_options())

    def samples_dir(self, *parts: str) -> Path:
        """``<run_dir>/samples/<parts>``, created."""
        path = self.run_dir.joinpath("samples", *parts)
        path.mkdir(parents=True, exist_ok=True)
        return path


def _check_type(name: str, value, types: tuple) -> None:
    if isinstance(value, bool) and bool not in types:
        ok = False
    else:
        ok = isinstance(value, types)
    if not ok:
        wanted = " or ".join("None" if t is type(None) else t.__name__ for t in types)
        raise ParameterError(f"parameter {name!r} must be {wanted}, got {value!r}")


def describe(
    profile: str = "cpu",
    dataset: str = "animal-mnist",
    target_class: str = "horse",
    seed: int = 0,
    data_dir: str | None = None,
    run_dir: str = "runs",
    device=None,
) -> Chapter:
    """Validate a chapter's parameters and resolve them (the class name to its index, once) into a
    :class:`Chapter`, touching nothing: what ``--estimate`` reads a chapter's plan from."""
    for name, value in dict(profile=profile, dataset=dataset, target_class=target_class, seed=seed,
                            data_dir=data_dir, run_dir=run_dir).items():
        _check_type(name, value, COMMON[name])
    if profile not in PROFILES:
        raise ParameterError(f"unknown profile {profile!r}; choose one of: {', '.join(PROFILES)}")
    if dataset not in datamod.DATASETS:
        raise ParameterError(f"unknown dataset {dataset!r}; choose one of: {', '.join(datamod.DATASETS)}")
    root = project_root()
    data_path = None if data_dir is None else (root / data_dir).resolve()
    classes = datamod.class_names(dataset, data_path)
    target = datamod.class_index(classes, target_class)
    return Chapter(get(profile), dataset, classes, classes[target], target, seed, data_path,
                   (root / run_dir).resolve(), pick_device(device))


def setup(
    profile: str = "cpu",
    dataset: str = "animal-mnist",
    target_class: str = "horse",
    seed: int = 0,
    data_dir: str | None = None,
    run_dir: str = "runs",
    device=None,
) -> Chapter:
    """Validate a chapter's parameters, seed everything, resolve paths; return a :class:`Chapter`."""
    ch = describe(profile, dataset, target_class, seed, data_dir, run_dir, device)
    seed_everything(seed)
    ch.run_dir.mkdir(parents=True, exist_ok=True)
    return ch


def declared_parameters(notebook) -> dict:
    """The ``parameters`` cell of a notebook as a dict; only plain literal assignments allowed."""
    cells = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ParameterError(f"a chapter needs exactly one cell tagged 'parameters', found {len(cells)}")
    declared = {}
    for node in ast.parse(cells[0].source).body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise ParameterError(f"the parameters cell may hold only `name = literal` lines (line {node.lineno})")
        try:
            declared[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError as err:
            raise ParameterError(f"parameter {node.targets[0].id!r} is not a plain literal") from err
    return declared


def check_overrides(declared: dict, overrides: dict, chapter: str = "chapter") -> dict:
    """Merge ``overrides`` into ``declared``: unknown keys, wrong types and unknown names are errors."""
    merged = dict(declared)
    for key, value in overrides.items():
        if key not in declared:
            raise ParameterError(f"unknown parameter {key!r} for {chapter}; choose one of: {', '.join(declared)}")
        default = declared[key]
        optional = OPTIONAL.get(key) if default is None else None  # "None: the profile's" declared as None
        types = COMMON.get(key) or optional or ((float, int) if isinstance(default, float) else (type(default),))
        _check_type(key, value, types)
        merged[key] = value
    if merged.get("profile") not in PROFILES:
        raise ParameterError(f"unknown profile {merged.get('profile')!r}; choose one of: {', '.join(PROFILES)}")
    if "dataset" in merged:
        if merged["dataset"] not in datamod.DATASETS:
            raise ParameterError(
                f"unknown dataset {merged['dataset']!r}; choose one of: {', '.join(datamod.DATASETS)}")
        if "target_class" in merged:
            data_dir = merged.get("data_dir")
            classes = datamod.class_names(merged["dataset"], None if data_dir is None else project_root() / data_dir)
            datamod.class_index(classes, merged["target_class"])
    return merged
