"""The layers contract (pyproject.toml, import-linter) holds, and it can fail: an upward import
or a cycle added to a copy of the package breaks it."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(where: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache"], cwd=where, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(where)})


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "probelib", tmp_path / "probelib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layers_contract_is_kept():
    proc = _lint(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 kept, 0 broken" in proc.stdout


@pytest.mark.parametrize("module, line, broken", [
    ("core/hashing.py", "from ..book import profiles  # noqa", "probelib layers"),  # core imports the top layer
    ("measure/fid.py", "from ..train import losses  # noqa", "probelib layers"),  # one sibling imports another
    ("data/imageset.py", "from . import registry  # noqa", "no import cycles"),  # registry imports imageset
    ("book/runs.py", "from ..build import runner  # noqa", "probelib layers"),  # the kit imports the build
    ("book/compare.py", "from .chapters import table1  # noqa", "chapters > its page kit"),  # the kit imports a page
    ("__init__.py", "from . import book  # noqa", "public surface does not import"),  # the library carries the book
])
def test_an_upward_import_or_a_cycle_breaks_the_contract(tmp_path, module, line, broken):
    where = _copy(tmp_path)
    path = where / "probelib" / module
    path.write_text(path.read_text() + "\n" + line + "\n")
    proc = _lint(where)
    assert proc.returncode != 0
    assert f"{broken}" in proc.stdout and "BROKEN" in proc.stdout
