"""Progress bars: tqdm's ``disable=`` from a ``progress`` flag and ``$TQDM_DISABLE``."""
from __future__ import annotations

import os

__all__ = ["quiet"]


def quiet(progress: bool) -> bool:
    """``disable=`` for tqdm: off when ``progress`` is False or ``$TQDM_DISABLE`` is set (the book
    build sets it, so executed pages hold no frozen bars; tqdm ignores the variable when
    ``disable`` is passed explicitly)."""
    return (not progress) or os.environ.get("TQDM_DISABLE", "") not in ("", "0")
