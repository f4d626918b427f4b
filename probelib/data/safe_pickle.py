"""Reading numpy pickles without unpickling code: an unpickler that builds arrays only."""
from __future__ import annotations

import importlib
import io
import pickle

__all__ = ["restricted_loads"]

_NUMPY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"): ("numpy", "ndarray"),
    ("numpy", "dtype"): ("numpy", "dtype"),
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler that builds numpy arrays and refuses every other global."""

    def find_class(self, module: str, name: str):
        target = _NUMPY_GLOBALS.get((module, name))
        if target is None:
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}: only numpy arrays are allowed")
        return getattr(importlib.import_module(target[0]), target[1])


def restricted_loads(data: bytes):
    """``pickle.loads`` that accepts numpy arrays only (anything else raises UnpicklingError)."""
    return _NumpyOnlyUnpickler(io.BytesIO(data)).load()
