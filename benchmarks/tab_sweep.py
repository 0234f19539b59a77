"""The CurveCheck tab on a 1,000-run sweep, in a real browser.

    python benchmarks/tab_sweep.py [RUNS]   # default 1000 runs x 10 tags x 100 steps

Writes the sweep with TensorBoard's own record writer (seconds, no
training), starts `tensorboard` with the plugin, waits until the findings
route has analysed every run, then opens the tab in Debian's chromium and
prints: time from navigation to the overview's first rows, the time a run
filter keystroke, a kind filter and a severity toggle take to show in the
page (measured in the page with performance.now() from the input event until
the table shows the new rows), and the page's DOM element count.
The goal is 100 ms per filter answer; figures are printed, never asserted.
"""
from __future__ import annotations

import json
import os
import struct
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
BATCHES = (32, 64, 128, 256)
# The sweep's broken corner: the largest rate with the smallest batch. Its
# runs (1 in 20 of the grid, 5 %) alternate between a loss that goes to NaN
# and an accuracy that collapses to chance.
BROKEN_LR, BROKEN_BS = 1e-2, 32
TAGS = ("train/loss", "val/loss", "train/accuracy", "val/accuracy", "learning_rate",
        "grad_norm", "weight_norm", "train/top5", "val/top5", "epoch_time")


def run_name(i: int) -> str:
    lr = LRS[i % len(LRS)]
    bs = BATCHES[(i // len(LRS)) % len(BATCHES)]
    seed = i // (len(LRS) * len(BATCHES))
    return "lr=%g_bs=%d_seed=%d" % (lr, bs, seed)


def planted(name: str):
    """'nan', 'collapse' or None: what the generator made this run do."""
    parts = dict(p.split("=") for p in name.split("_"))
    if float(parts["lr"]) != BROKEN_LR or int(parts["bs"]) != BROKEN_BS:
        return None
    return "nan" if int(parts["seed"]) % 2 == 0 else "collapse"


def _curves(i: int, steps: int, kind):
    import numpy as np

    rng = np.random.default_rng(i)
    t = np.arange(steps, dtype=float)
    scale = 1.0 + 0.2 * rng.random()
    loss = 0.3 + 2.0 * scale * np.exp(-t / (steps / 4)) + 0.02 * rng.standard_normal(steps)
    val_loss = loss + 0.05 + 0.02 * rng.standard_normal(steps)
    acc = 0.9 - 0.8 * np.exp(-t / (steps / 4)) + 0.01 * rng.standard_normal(steps)
    val_acc = acc - 0.02 + 0.01 * rng.standard_normal(steps)
    if kind == "nan":
        at = steps * 6 // 10
        loss[at - 10:at] *= np.linspace(1, 30, 10)
        loss[at:] = np.nan
        val_loss[at:] = np.nan
    elif kind == "collapse":
        at = steps // 2
        acc[at:] = 0.1 + 0.002 * rng.standard_normal(steps - at)
        val_acc[at:] = 0.1 + 0.002 * rng.standard_normal(steps - at)
        loss[at:] = 2.302 + 0.002 * rng.standard_normal(steps - at)
        val_loss[at:] = 2.302 + 0.002 * rng.standard_normal(steps - at)
    lr = np.full(steps, LRS[i % len(LRS)])
    grad = 1.0 + 0.1 * rng.standard_normal(steps) + np.exp(-t / 10)
    wnorm = 10 + 0.02 * t + 0.01 * rng.standard_normal(steps)
    top5 = np.minimum(1.0, acc + 0.08)
    val_top5 = np.minimum(1.0, val_acc + 0.08)
    etime = 30 + rng.standard_normal(steps)
    return dict(zip(TAGS, (loss, val_loss, acc, val_acc, lr, grad, wnorm, top5, val_top5, etime)))


def write_sweep(root: str, runs: int = 1000, steps: int = 100, tags=TAGS) -> list:
    """Writes `runs` runs of len(tags) scalar tags (of TAGS) x `steps` steps under
    `root` (one event file each, all tags of a step in one Event, through
    TensorBoard's own RecordWriter and protos); returns the run names."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.record_writer import RecordWriter

    names = []
    for i in range(runs):
        name = run_name(i)
        names.append(name)
        d = os.path.join(root, name)
        os.makedirs(d, exist_ok=True)
        curves = _curves(i, steps, planted(name))
        path = os.path.join(d, "events.out.tfevents.%d.sweep.%d.0" % (1_700_000_000 + i, i))
        with open(path, "wb") as f:
            w = RecordWriter(f)
            w.write(event_pb2.Event(wall_time=1.7e9, step=0, file_version="brain.Event:2").SerializeToString())
            for s in range(steps):
                values = [summary_pb2.Summary.Value(tag=tag, simple_value=float(curves[tag][s])) for tag in tags]
                ev = event_pb2.Event(wall_time=1.7e9 + i + s * 0.01, step=s,
                                     summary=summary_pb2.Summary(value=values))
                w.write(ev.SerializeToString())
    return names


def _get(url: str):
    with urllib.request.urlopen(url, timeout=900) as r:
        return json.loads(r.read().decode("utf-8"))


def wait_analysed(base: str, runs: int, timeout_s: float = 900):
    """The findings answer once every run is analysed (polls until then)."""
    deadline = time.monotonic() + timeout_s
    while True:
        body = _get(base + "/data/plugin/curvecheck/findings")
        done = [r for r in body["runs"] if r["status"] in ("analysed", "empty", "failed")]
        if len(done) >= runs:
            return body
        if time.monotonic() > deadline:
            raise RuntimeError("only %d of %d runs analysed" % (len(done), runs))
        time.sleep(1.0)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    root = os.path.join(HERE, "out", "tab_sweep_%d" % runs)
    if not os.path.exists(os.path.join(root, ".complete")):
        os.makedirs(root, exist_ok=True)
        t0 = time.monotonic()
        write_sweep(root, runs)
        open(os.path.join(root, ".complete"), "w").close()
        print("wrote %d runs in %.1f s" % (runs, time.monotonic() - t0), flush=True)
    print("measure(%s) not written yet" % root)


if __name__ == "__main__":
    main()
