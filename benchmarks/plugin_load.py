"""CurveCheck's routes under concurrent clients while a run is still being written.

Writes a logdir of 20 runs x 5 tags x 2,000 steps into a temporary folder,
starts a real `tensorboard` with the plugin on it, and while one more run
keeps growing (a live writer, one point every 20 ms, a NaN half way), sends
a bounded number of requests from N client threads: the findings, tags and
series routes under a fresh `/experiment/<id>/` prefix half of the time, and
path-traversal attempts on the static route. Reports requests per second,
latency p50/p99 per route, every unexpected answer (a 5xx, or a traversal
answered with a file), and the resident memory of TensorBoard and its data
server before and after.

Usage:  python benchmarks/plugin_load.py [--clients 50] [--requests 20] [--loader rust|python]

Every loop is bounded in count and time and talks only to 127.0.0.1.
Figures are printed, never asserted: the machine is shared.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.plugin_memory import rss_mb  # noqa: E402
from demo.tbprocess import tensorboard_process  # noqa: E402

RUNS, STEPS = 20, 2000
TAGS = ("loss", "accuracy", "val_loss", "val_accuracy", "learning_rate")
LIVE_POINTS = 1500
LIVE_PERIOD_S = 0.02
TRAVERSALS = (
    "static/../plugin.py",
    "static/..%2f..%2fsetup.py",
    "static/%2e%2e/plugin.py",
    "static//etc/passwd",
    "static/..\\..\\plugin.py",
)


def write_logdir(root: str) -> None:
    from tensorboardX import SummaryWriter

    t = np.arange(STEPS, dtype=np.float64)
    for i in range(RUNS):
        rng = np.random.default_rng(i)
        curves = {
            "loss": 2.0 * np.exp(-t / 400) + 0.05 * rng.normal(size=STEPS) + 0.1,
            "accuracy": 1 - 0.5 * np.exp(-t / 300) - 0.02 * np.abs(rng.normal(size=STEPS)),
            "val_loss": 2.1 * np.exp(-t / 400) + 0.05 * rng.normal(size=STEPS) + 0.15,
            "val_accuracy": 1 - 0.52 * np.exp(-t / 300) - 0.02 * np.abs(rng.normal(size=STEPS)),
            "learning_rate": np.where(t < STEPS // 2, 1e-3, 1e-4),
        }
        w = SummaryWriter(os.path.join(root, "run_%02d" % i), max_queue=10_000, flush_secs=600)
        for step in range(STEPS):
            for tag in TAGS:
                w.add_scalar(tag, float(curves[tag][step]), step)
        w.close()


def live_writer(root: str, stop: threading.Event) -> int:
    from tensorboardX import SummaryWriter

    w = SummaryWriter(os.path.join(root, "live"), flush_secs=1)
    written = 0
    deadline = time.monotonic() + LIVE_POINTS * LIVE_PERIOD_S * 3
    for step in range(LIVE_POINTS):
        if stop.is_set() or time.monotonic() > deadline:
            break
        value = float("nan") if step == LIVE_POINTS // 2 else 1.0 / (step + 1)
        w.add_scalar("loss", value, step)
        written += 1
        time.sleep(LIVE_PERIOD_S)
    w.close()
    return written


def _request(base: str, path: str):
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(base + path, timeout=120) as r:
            r.read()
            code = r.status
    except urllib.error.HTTPError as e:
        code = e.code
    except OSError as e:
        code = "error: %s" % e
    return code, time.perf_counter() - start


def client(base: str, seed: int, n: int):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        prefix = "/experiment/id%d" % rng.randrange(10_000) if rng.random() < 0.5 else ""
        roll = rng.random()
        if roll < 0.35:
            route, path = "findings", "/data/plugin/curvecheck/findings"
        elif roll < 0.55:
            route, path = "tags", "/data/plugin/curvecheck/tags"
        elif roll < 0.9:
            run = "live" if rng.random() < 0.3 else "run_%02d" % rng.randrange(RUNS)
            route, path = "series", "/data/plugin/curvecheck/series?run=%s&tag=loss&max_points=500" % run
        else:
            route, path = "traversal", "/data/plugin/curvecheck/" + rng.choice(TRAVERSALS)
        code, seconds = _request(base, prefix + path)
        out.append((route, code, seconds))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--requests", type=int, default=20, help="requests per client")
    p.add_argument("--loader", choices=["rust", "python"], default="rust")
    args = p.parse_args()
    root = tempfile.mkdtemp(prefix="curvecheck-load-")
    logdir = os.path.join(root, "logs")
    t0 = time.time()
    write_logdir(logdir)
    print("logdir: %d runs x %d tags x %d steps written in %.0f s" % (RUNS, len(TAGS), STEPS, time.time() - t0))
    flags = ["--load_fast=%s" % ("true" if args.loader == "rust" else "false"), "--reload_interval=2"]
    with tensorboard_process(logdir, os.path.join(root, "tensorboard.log"), *flags) as (base, proc):
        # First findings request: every run read and analysed once.
        code, cold = _request(base, "/data/plugin/curvecheck/findings")
        before = rss_mb(proc.pid)
        print(
            "cold findings: %s in %.2f s; RSS TensorBoard %.0f MB + data server %.0f MB"
            % (code, cold, before["tensorboard"], before["children"])
        )
        stop = threading.Event()
        with concurrent.futures.ThreadPoolExecutor(args.clients + 1) as pool:
            writer = pool.submit(live_writer, logdir, stop)
            start = time.perf_counter()
            results = [
                r
                for f in [pool.submit(client, base, i, args.requests) for i in range(args.clients)]
                for r in f.result()
            ]
            elapsed = time.perf_counter() - start
            stop.set()
            written = writer.result()
        after = rss_mb(proc.pid)
        live = _request(base, "/data/plugin/curvecheck/findings?run=live")
    print(
        "%d clients x %d requests = %d in %.1f s: %.0f requests/s (live writer wrote %d points)"
        % (args.clients, args.requests, len(results), elapsed, len(results) / elapsed, written)
    )
    unexpected = [
        (r, c) for r, c, _ in results if not isinstance(c, int) or c >= 500 or (r == "traversal" and c == 200)
    ]
    for route in ("findings", "tags", "series", "traversal"):
        times = sorted(s for r, _c, s in results if r == route)
        if not times:
            continue
        codes = sorted({str(c) for r, c, _ in results if r == route})
        p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
        print(
            "  %-10s n=%4d  p50 %6.0f ms  p99 %6.0f ms  codes %s"
            % (route, len(times), 1000 * statistics.median(times), 1000 * p99, ",".join(codes))
        )
    print("unexpected answers (5xx, errors, a traversal served): %d %s" % (len(unexpected), unexpected[:5]))
    print(
        "RSS after: TensorBoard %.0f MB + data server %.0f MB; live run findings answered %s"
        % (after["tensorboard"], after["children"], live[0])
    )


if __name__ == "__main__":
    main()
