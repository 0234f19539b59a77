"""The demo runs (real Keras training reproducing each post, and healthy runs),
with the labels the demo writes beside them (`demo/labels.json`).

The logs are generated on first use into `benchmarks/out/demo/` with
`python -m demo.generate` (a few minutes of CPU training; later runs reuse them)
and read back from the event files like any logdir.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import List

from benchmarks.corpus import CACHE_DIR, Case, Expect, read_logdir

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
LABELS = os.path.join(ROOT, "demo", "labels.json")
LOGDIR = os.path.join(CACHE_DIR, "demo")


def ensure_logs(logdir: str = LOGDIR) -> str:
    """Writes the demo logs unless every run is already complete (the generator checks)."""
    os.makedirs(logdir, exist_ok=True)
    print("  generating the demo runs into %s (skipped when complete) ..." % logdir, file=sys.stderr)
    subprocess.run(
        [sys.executable, "-m", "demo.generate", "--logdir", logdir], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
    )
    return logdir


def _under(run: str, prefix: str) -> bool:
    return run == prefix or run.startswith(prefix + "/")


def cases() -> List[Case]:
    if not os.path.exists(LABELS):
        return []
    with open(LABELS, encoding="utf-8") as f:
        labels = json.load(f)
    scalars, histograms = read_logdir(ensure_logs())
    out = []
    for entry in labels:
        prefix = entry["run_prefix"]
        out.append(
            Case(
                name="demo_" + prefix,
                family="demo",
                healthy=bool(entry["healthy"]),
                scalars={r: t for r, t in scalars.items() if _under(r, prefix)},
                histograms={r: t for r, t in histograms.items() if _under(r, prefix)},
                expect=[Expect(e["kind"], e["run"], e["tag"], tuple(e["steps"])) for e in entry["expect"]],
                also_ok=tuple(entry.get("also_ok", ())),
                source="demo/" + prefix,
            )
        )
    return out
