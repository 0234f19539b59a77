"""Memory of a real TensorBoard with CurveCheck when every request names a new
experiment id (issue 13.2).

TensorBoard answers any `/experiment/<id>/` prefix with the same local data,
so anyone who can reach the server can send a new id per request.  Writes
(once, into benchmarks/out/) a logdir of 20 runs x 5 tags x 5,000 steps
(500k points, every fifth run with a NaN), starts `tensorboard` on it, asks
for the findings under 200 distinct ids, and reports the resident memory of
TensorBoard and its data server (RustBoard) before the first request, after
it, and every 50 ids.

Usage:  python benchmarks/plugin_memory.py [--loader rust|python] [--ids 200]

Figures are printed, never asserted: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from demo.tbprocess import tensorboard_process  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("CURVECHECK_BENCH_CACHE", os.path.join(HERE, "out"))
LOGDIR = os.path.join(OUT, "plugin_memory_logdir")
RUNS, STEPS = 20, 5_000
TAG_NAMES = ["loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"]
DONE_MARK = os.path.join(LOGDIR, "COMPLETE")


def ensure_logdir() -> None:
    if os.path.exists(DONE_MARK):
        return
    from tensorboardX import SummaryWriter

    os.makedirs(LOGDIR, exist_ok=True)
    t = np.arange(STEPS, dtype=np.float64)
    for i in range(RUNS):
        rng = np.random.default_rng(i)
        curves = {
            "loss": 2.0 * np.exp(-t / 1000) + 0.05 * rng.normal(size=STEPS) + 0.1,
            "accuracy": 1 - 0.5 * np.exp(-t / 800) - 0.02 * np.abs(rng.normal(size=STEPS)),
            "val_loss": 2.1 * np.exp(-t / 1000) + 0.05 * rng.normal(size=STEPS) + 0.15,
            "val_accuracy": 1 - 0.52 * np.exp(-t / 800) - 0.02 * np.abs(rng.normal(size=STEPS)),
            "learning_rate": np.where(t < STEPS // 2, 1e-3, 1e-4),
        }
        if i % 5 == 0:
            curves["loss"][STEPS * 3 // 4 :] = np.nan
        w = SummaryWriter(os.path.join(LOGDIR, "run_%02d" % i), max_queue=10_000, flush_secs=600)
        for step in range(STEPS):
            for tag in TAG_NAMES:
                w.add_scalar(tag, float(curves[tag][step]), step)
        w.close()
    with open(DONE_MARK, "w") as f:
        f.write("ok\n")


def _rss_kb(pid: int) -> int:
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pid: int) -> list:
    out = []
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        return out
    for tid in tasks:
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            continue
        for k in kids:
            out.append(k)
            out.extend(_descendants(k))
    return out


def rss_mb(pid: int) -> dict:
    """Resident memory of TensorBoard and of its child processes (the data server)."""
    kids = _descendants(pid)
    return {"tensorboard": _rss_kb(pid) / 1024, "children": sum(_rss_kb(k) for k in kids) / 1024}


def _get(base: str, path: str) -> dict:
    with urllib.request.urlopen(base + path, timeout=600) as r:
        return json.loads(r.read().decode("utf-8"))


def wait_loaded(base: str) -> None:
    """Until every run is analysed in full (RustBoard serves while loading)."""
    while True:
        body = _get(base, "/experiment/warmup/data/plugin/curvecheck/findings")
        runs = [r for r in body["runs"] if r["status"] == "analysed"]
        if len(runs) == RUNS and body["summary"]["series"] == RUNS * len(TAG_NAMES):
            s = _get(base, "/data/plugin/curvecheck/series?run=run_%02d&tag=loss&max_points=10" % (RUNS - 1))
            if s["series"][0]["total_points"] == STEPS:
                return
        time.sleep(1.0)


def bench(loader: str, n_ids: int) -> dict:
    tmp = tempfile.mkdtemp(prefix="curvecheck-mem-")
    with tensorboard_process(
        LOGDIR,
        os.path.join(tmp, "tensorboard.log"),
        "--reload_interval",
        "0",
        "--reload_task",
        "blocking",
        "--load_fast",
        "true" if loader == "rust" else "false",
        start_timeout=900,
    ) as (base, proc):
        time.sleep(2.0)
        before = rss_mb(proc.pid)
        wait_loaded(base)
        first = rss_mb(proc.pid)
        marks = []
        t0 = time.perf_counter()
        for i in range(1, n_ids + 1):
            _get(base, "/experiment/id-%04d/data/plugin/curvecheck/findings" % i)
            if i % 50 == 0 or i == n_ids:
                marks.append((i, rss_mb(proc.pid), time.perf_counter() - t0))
        return {"loader": loader, "before": before, "after_first": first, "marks": marks}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loader", choices=["rust", "python", "both"], default="rust")
    ap.add_argument("--ids", type=int, default=200, help="distinct experiment ids to ask for")
    args = ap.parse_args(argv)
    ensure_logdir()
    loaders = ["rust", "python"] if args.loader == "both" else [args.loader]
    for loader in loaders:
        r = bench(loader, args.ids)
        print(
            "\n[%s loader] %d runs x %d tags x %d steps; RSS in MB (TensorBoard + children)"
            % (loader, RUNS, len(TAG_NAMES), STEPS)
        )
        fmt = "  %-28s %7.0f + %5.0f = %7.0f"
        for label, m in (("loaded, before CurveCheck", r["before"]), ("after the first findings", r["after_first"])):
            print(fmt % (label, m["tensorboard"], m["children"], m["tensorboard"] + m["children"]))
        for i, m, secs in r["marks"]:
            print(
                fmt % ("after %d distinct ids" % i, m["tensorboard"], m["children"], m["tensorboard"] + m["children"])
                + "   (%.1f s for the ids)" % secs
            )
        print("  " + json.dumps(r))


if __name__ == "__main__":
    main()
