"""Each model format probed end to end through the real CLI on `smoke`, timed (issue 31).

The four formats a user hands the probe (a default `.pt2` with its fixed batch of 1, a batch-2
`.pt2`, a timm model with random weights in safetensors, an ONNX export of a small CNN), each with
one seed and with ``--seeds 0,1``: the end-to-end test of ``tests/probing/test_formats.py`` run
by pytest, its wall time per case read from pytest's JUnit report (model export, training,
report: everything the test does). Timing lives here, not in the tests.

    .venv/bin/python benchmarks/probe_formats.py --out benchmarks/measured/probe_formats_smoke.jsonl
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/probing/test_formats.py::test_each_format_is_probed_end_to_end"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="jsonl file the rows are appended to")
    ap.add_argument("--note", default="", help="what else ran on the machine meanwhile")
    args = ap.parse_args(argv)
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST,
                               f"--junitxml={xml}"], cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"})
        cases = ET.parse(xml).getroot().iter("testcase")
        rows = []
        for case in cases:
            kind, seeds = re.search(r"\[(.+)-(.+)\]$", case.get("name")).groups()  # [kind-seeds]
            failed = case.find("failure") is not None or case.find("error") is not None
            rows.append({"format": kind, "seeds": seeds, "seconds": round(float(case.get("time")), 1),
                         "passed": not failed, "profile": "smoke", "date": datetime.date.today().isoformat(),
                         "machine": f"{os.cpu_count()} cores, {platform.machine()}, torch {torch.__version__}",
                         "note": args.note})
    with args.out.open("a") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
            print(f"{row['format']:>11}  seeds {row['seeds']:<4} {row['seconds']:6.1f} s  "
                  f"{'passed' if row['passed'] else 'FAILED'}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
