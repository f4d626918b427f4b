"""Shared fixtures, and the smoke-profile copies of every chapter that nbval executes.

At session start every ``notebooks/NN_*.py`` is converted with jupytext and parameterised
with papermill (``profile="smoke"``, a fresh ``run_dir``) into ``tests/_notebooks/``;
``--nbval-lax`` (set in pyproject.toml) then runs each one and fails on any error.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = Path(__file__).resolve().parent / "_notebooks"


def _wants_notebooks(config) -> bool:
    args = [str(a) for a in config.args] or ["tests"]
    return any(Path(a).resolve() in (Path(__file__).parent.resolve(), NB_DIR, ROOT) or "_notebooks" in a
               for a in args)


def pytest_configure(config):
    if not _wants_notebooks(config):
        return
    import jupytext
    import nbformat
    from papermill.parameterize import parameterize_notebook

    shutil.rmtree(NB_DIR, ignore_errors=True)
    NB_DIR.mkdir()
    run_dir = NB_DIR / "runs"
    for src in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"), key=lambda p: p.stem):
        nb = jupytext.read(src)
        nb.metadata.setdefault("papermill", {})  # what papermill's own loader adds before parameterising
        for cell in nb.cells:
            cell.metadata.setdefault("tags", [])
        params = {"profile": "smoke", "run_dir": str(run_dir)}
        if src.stem.startswith("06_"):  # the MemNet adapter's path through the chapter, with random weights
            params["memnet_weights"] = str(_random_memnet(run_dir))
        nb = parameterize_notebook(nb, params)
        nbformat.write(nb, NB_DIR / f"{src.stem}.ipynb")


def _random_memnet(run_dir: Path) -> Path:
    """A MemNet state dict with random weights (half precision: 115 MB), the shape of the real one."""
    from probelib.models.memnet import MemNet

    path = run_dir / "memnet-random.pth"
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    torch.save({k: v.half() for k, v in MemNet().state_dict().items()}, path)
    return path


@pytest.fixture(autouse=True)
def _environment_as_it_was():
    """``python -m probelib.run`` configures its process (``$PROBELIB_ROOT`` for its kernels, the
    executor, ``TQDM_DISABLE``); a test that runs it in-process must not leave that set for the tests
    after it (the estimate's page list once depended on test order)."""
    before = dict(os.environ)
    yield
    if os.environ != before:
        os.environ.clear()
        os.environ.update(before)


@pytest.fixture
def tiny_images():
    """A 3-class ImageSet of 12 random grey images (4 per class)."""
    from probelib.data import ImageSet

    g = torch.Generator().manual_seed(0)
    x = torch.rand(12, 1, 32, 32, generator=g) * 2 - 1
    y = torch.arange(3).repeat_interleave(4)
    return ImageSet(x, y, ("ant", "bee", "cow"), "tiny", "train")
