"""How fast the CurveCheck routes answer inside a real TensorBoard.

Writes (once, into benchmarks/out/) a large logdir: 20 runs x 5 scalar tags x
20k steps = 2M points, a few runs with a NaN.  Starts `tensorboard` on it with
the plugin installed, waits until every point is loaded, then reports in one
run:

- TensorBoard's own Scalars route serving every series once (the same 2M
  points the findings route must read): the yardstick;
- the findings route cold (first request: read everything, analyse
  everything) and warm (an unchanged logdir: listing only), next to
  TensorBoard's own tags route, which asks for the same listing;
- the series route for one chart (two series thinned to 2000 points).

Usage:  python benchmarks/plugin_routes.py [--loader rust|python] [--warm 20]

Targets (issue 5): cold within 1.5x of the Scalars route; warm under 50 ms.
Figures are printed, never asserted: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from demo.tbprocess import tensorboard_process  # noqa: E402
from tb_curvecheck.plugin.service import LISTING_REUSE_S  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get("CURVECHECK_BENCH_CACHE", os.path.join(HERE, "out"))
LOGDIR = os.path.join(OUT, "plugin_routes_logdir")
RUNS, TAGS, STEPS = 20, 5, 20_000
TAG_NAMES = ["loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"]
DONE_MARK = os.path.join(LOGDIR, "COMPLETE")


def _write_run(i: int) -> None:
    from tensorboardX import SummaryWriter

    rng = np.random.default_rng(i)
    t = np.arange(STEPS, dtype=np.float64)
    curves = {
        "loss": 2.0 * np.exp(-t / 4000) + 0.05 * rng.normal(size=STEPS) + 0.1,
        "accuracy": 1 - 0.5 * np.exp(-t / 3000) - 0.02 * np.abs(rng.normal(size=STEPS)),
        "val_loss": 2.1 * np.exp(-t / 4000) + 0.05 * rng.normal(size=STEPS) + 0.15,
        "val_accuracy": 1 - 0.52 * np.exp(-t / 3000) - 0.02 * np.abs(rng.normal(size=STEPS)),
        "learning_rate": np.where(t < 10_000, 1e-3, 1e-4),
    }
    if i % 5 == 0:  # every fifth run diverges to NaN three quarters in
        curves["loss"][15_000:] = np.nan
    w = SummaryWriter(os.path.join(LOGDIR, "run_%02d" % i), max_queue=10_000, flush_secs=600)
    for step in range(STEPS):
        for tag in TAG_NAMES:
            w.add_scalar(tag, float(curves[tag][step]), step)
    w.close()


def ensure_logdir() -> None:
    if os.path.exists(DONE_MARK):
        return
    import multiprocessing

    os.makedirs(LOGDIR, exist_ok=True)
    t0 = time.perf_counter()
    print("writing %d runs x %d tags x %d steps into %s ..." % (RUNS, TAGS, STEPS, LOGDIR))
    with multiprocessing.Pool(2) as pool:
        pool.map(_write_run, range(RUNS))
    with open(DONE_MARK, "w") as f:
        f.write("ok\n")
    print("  written in %.0f s" % (time.perf_counter() - t0))


def _get(base: str, path: str) -> bytes:
    with urllib.request.urlopen(base + path, timeout=600) as r:
        return r.read()


def _scalars_url(run: str, tag: str) -> str:
    return "/data/plugin/scalars/scalars?" + urllib.parse.urlencode({"run": run, "tag": tag})


def wait_loaded(base: str) -> float:
    """Waits until TensorBoard holds every point (the Rust server answers
    while it loads); uses only TensorBoard's own routes, so CurveCheck's
    cache stays cold."""
    t0 = time.perf_counter()
    pending = {("run_%02d" % i, tag) for i in range(RUNS) for tag in TAG_NAMES}
    while pending:
        for run, tag in sorted(pending):
            try:
                n = len(json.loads(_get(base, _scalars_url(run, tag))))
            except Exception:  # noqa: BLE001 - not loaded yet
                n = 0
            if n == STEPS:
                pending.discard((run, tag))
        if pending:
            time.sleep(1.0)
    return time.perf_counter() - t0


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def bench(loader: str, warm_n: int) -> dict:
    tmp = tempfile.mkdtemp(prefix="curvecheck-bench-")
    with tensorboard_process(
        LOGDIR,
        os.path.join(tmp, "tensorboard.log"),
        "--reload_interval",
        "0",
        "--reload_task",
        "blocking",
        "--load_fast",
        "true" if loader == "rust" else "false",
        # The Python loader reads all 2M points before it serves at all.
        start_timeout=900,
    ) as (base, _):
        load_s = wait_loaded(base)
        pairs = [("run_%02d" % i, tag) for i in range(RUNS) for tag in TAG_NAMES]

        def scalars_all():
            return sum(len(_get(base, _scalars_url(r, t))) for r, t in pairs)

        scalar_runs = [timed(scalars_all)[0] for _ in range(3)]
        cold_s, body = timed(lambda: json.loads(_get(base, "/data/plugin/curvecheck/findings")))
        # Spaced past the service's listing reuse, so every warm request pays
        # for a fresh listing, as a tab's poll every few seconds does.
        warm = []
        for _ in range(warm_n):
            time.sleep(LISTING_REUSE_S + 0.05)
            warm.append(timed(lambda: _get(base, "/data/plugin/curvecheck/findings"))[0])

        # A page load's burst within the reuse window: findings, tags, then
        # six charts' series, as the tab asks for them.
        def burst():
            _get(base, "/data/plugin/curvecheck/findings")
            _get(base, "/data/plugin/curvecheck/tags")
            for i in range(6):
                _get(
                    base,
                    "/data/plugin/curvecheck/series?"
                    + urllib.parse.urlencode([("run", "run_%02d" % i), ("tag", "loss")]),
                )

        time.sleep(LISTING_REUSE_S + 0.05)
        burst_s = timed(burst)[0]
        # TensorBoard's own cheapest look at the same series (its listing of
        # scalar tags): the floor under a warm findings request, which must
        # ask for the same listing to know whether anything grew.
        tags = [timed(lambda: _get(base, "/data/plugin/scalars/tags"))[0] for _ in range(warm_n)]
        series_q = "/data/plugin/curvecheck/series?" + urllib.parse.urlencode(
            [("run", "run_00"), ("tag", "loss"), ("run", "run_00"), ("tag", "val_loss")]
        )
        series = [timed(lambda: _get(base, series_q))[0] for _ in range(10)]
        return {
            "loader": loader,
            "points": RUNS * TAGS * STEPS,
            "tensorboard_load_s": load_s,
            "scalars_route_all_series_s": statistics.median(scalar_runs),
            "findings_cold_s": cold_s,
            "findings_warm_median_ms": 1000 * statistics.median(warm),
            "findings_warm_max_ms": 1000 * max(warm),
            "page_load_burst_ms": 1000 * burst_s,
            "scalars_tags_route_median_ms": 1000 * statistics.median(tags),
            "series_route_chart_median_ms": 1000 * statistics.median(series),
            "findings": len(body["findings"]),
            "runs_analysed": sum(r["status"] == "analysed" for r in body["runs"]),
        }


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loader", choices=["rust", "python", "both"], default="rust")
    ap.add_argument("--warm", type=int, default=20, help="warm requests to time")
    args = ap.parse_args(argv)
    ensure_logdir()
    loaders = ["rust", "python"] if args.loader == "both" else [args.loader]
    for loader in loaders:
        r = bench(loader, args.warm)
        ratio = r["findings_cold_s"] / r["scalars_route_all_series_s"]
        print(
            "\n[%s loader] %d points, TensorBoard loaded them in %.1f s"
            % (r["loader"], r["points"], r["tensorboard_load_s"])
        )
        print("  TensorBoard scalars route, all 100 series:  %7.2f s" % r["scalars_route_all_series_s"])
        print(
            "  CurveCheck findings, cold:                  %7.2f s  (%.2fx the scalars route; target <= 1.5x)"
            % (r["findings_cold_s"], ratio)
        )
        print(
            "  CurveCheck findings, warm (median / max):   %7.1f / %.1f ms  (target < 50 ms)"
            % (r["findings_warm_median_ms"], r["findings_warm_max_ms"])
        )
        print(
            "  TensorBoard scalars tags route (median):    %7.1f ms  (the listing a warm request waits for)"
            % r["scalars_tags_route_median_ms"]
        )
        print("  page-load burst (findings, tags, 6 series):  %7.1f ms  (one listing shared)" % r["page_load_burst_ms"])
        print("  CurveCheck series, one 2-series chart:      %7.1f ms" % r["series_route_chart_median_ms"])
        print("  %d findings, %d runs analysed" % (r["findings"], r["runs_analysed"]))
        print("  " + json.dumps(r))


if __name__ == "__main__":
    main()
