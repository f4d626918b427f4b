"""The public API: every name in ``probelib.__all__`` (and in each layer's ``__all__``) is
importable and documented, and no module grows past ~400 lines without saying why."""
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import probelib

LAYERS = ("core", "data", "models", "train", "measure", "viz", "probing", "book")


def _documented(obj) -> bool:
    """Its own docstring: not inherited, and not the signature a dataclass writes for itself."""
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    return bool(doc and doc.strip()) and not doc.startswith(f"{obj.__name__}(")


@pytest.mark.parametrize("package", ["probelib", *(f"probelib.{layer}" for layer in LAYERS)])
def test_every_public_name_is_importable_and_documented(package):
    mod = importlib.import_module(package)
    assert mod.__doc__ and mod.__doc__.strip(), f"{package} has no docstring"
    names = mod.__all__
    assert len(names) == len(set(names)), f"{package}.__all__ repeats a name"
    undocumented = []
    for name in names:
        obj = getattr(mod, name)  # AttributeError = a name in __all__ that is not there
        if inspect.ismodule(obj) or inspect.isfunction(obj) or inspect.isclass(obj):
            if not _documented(obj):
                undocumented.append(name)
    assert not undocumented, f"undocumented in {package}: {undocumented}"


def test_the_top_level_re_exports_the_user_path():
    for name in ("load_image_folder", "without_class", "ProbeGANConfig", "load_or_train_gan", "sample", "fid",
                 "recognition_rate"):
        assert name in probelib.__all__


def _modules():
    for info in pkgutil.walk_packages(probelib.__path__, "probelib."):
        yield info.name


@pytest.mark.parametrize("name", sorted(_modules()))
def test_modules_are_short_or_say_why(name):
    mod = importlib.import_module(name)
    lines = len(Path(mod.__file__).read_text().splitlines())
    assert lines <= 400 or "longer than 400 lines because" in (mod.__doc__ or "").lower(), \
        f"{name} has {lines} lines and its docstring gives no reason"
