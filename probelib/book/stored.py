"""Stored measurements (``benchmarks/measured/``) as a page reads them: one file's rows, read by
code and never typed into a page, and the caption's source — the file with the machine and date its
``manifest.json`` entry gives (or the first row's stamp)."""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["stored_rows"]


def stored_rows(measured, name: str) -> tuple[list[dict] | None, str]:
    """``(rows, source)`` of the stored file ``name`` under ``measured``: its JSON lines, and
    ``"name (machine, date)"`` for a caption; ``(None, reason)`` when the file is not there."""
    path = Path(measured) / name
    if not path.is_file():
        return None, f"no stored {name} under {measured}"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    manifest = Path(measured) / "manifest.json"
    info = json.loads(manifest.read_text()).get(name, {}) if manifest.is_file() else {}
    stamp = rows[0] if rows else {}
    machine = info.get("machine", stamp.get("machine", "machine not recorded"))
    date = info.get("date", str(stamp.get("date", "no date"))[:10])
    return rows, f"{name} ({machine}, {date})"
