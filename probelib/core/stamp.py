"""Provenance stamps: the machine, the date and the command behind a measurement, so a stored
number always says where it came from (the "Results and benchmarks" page prints them)."""
from __future__ import annotations

import json
import os
import platform
import shlex
import sys
from datetime import datetime, timezone

import torch

__all__ = ["machine", "record", "stamp"]


def machine() -> str:
    """This machine in words: the GPU by name, else the CPU's cores and torch threads."""
    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)}), torch {torch.__version__}"
    return (f"cpu ({os.cpu_count()} cores, {torch.get_num_threads()} torch threads, {platform.machine()}), "
            f"torch {torch.__version__}")


def stamp(row: dict) -> dict:
    """``row`` with ``date`` (UTC), ``machine`` and ``command`` (this process's command line) added."""
    command = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0]) if sys.argv[0] else "python",
                                                 *sys.argv[1:]])
    return {**row, "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
            "command": command}


def record(row: dict, out: str | os.PathLike | None = None) -> dict:
    """Stamp ``row``, print it as one JSON line and, with ``out``, append that line to the file
    (a benchmark's stored measurement); return the stamped row."""
    stamped = stamp(row)
    line = json.dumps(stamped)
    print(line, flush=True)
    if out:
        with open(out, "a") as f:
            f.write(line + "\n")
    return stamped
