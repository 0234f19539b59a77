"""Reading benchmark: 2 M scalar points through tb_curvecheck, beside
TensorBoard's Rust data server alone and TensorBoard's Python loader.

    python benchmarks/reading.py [--runs 20 --tags 5 --steps 20000] [--skip-python]

The logdir is written once with tensorboardX into benchmarks/out/ and reused.
Each measurement runs in a fresh process, so its time and peak memory
(the process and its children, e.g. the data server) are its own.
Target (issue 2): tb_curvecheck within 1.5x of the Rust server alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))


def write_logdir(path: str, runs: int, tags: int, steps: int) -> None:
    import numpy as np
    from tensorboardX import SummaryWriter

    marker = os.path.join(path, ".complete")
    if os.path.exists(marker):
        return
    print("writing %d runs x %d tags x %d steps to %s ..." % (runs, tags, steps, path), flush=True)
    t0 = time.time()
    rng = np.random.default_rng(0)
    for r in range(runs):
        w = SummaryWriter(os.path.join(path, "run%02d" % r), max_queue=10000, flush_secs=3600)
        noise = rng.normal(size=(tags, steps)) * 0.02
        base = 1.0 / np.sqrt(np.arange(1, steps + 1))
        for t in range(tags):
            vals = base * (t + 1) + noise[t]
            name = "loss" if t == 0 else "metric_%d" % t
            for s in range(steps):
                w.add_scalar(name, float(vals[s]), s)
        w.close()
    open(marker, "w").close()
    print("written in %.0f s" % (time.time() - t0), flush=True)


def _child(mode: str, logdir: str) -> dict:
    """Runs one measurement in this (fresh) process and returns its figures."""
    t0 = time.perf_counter()
    if mode == "curvecheck":
        from tb_curvecheck import reading

        data = reading.read_logdir(logdir, loader="rust")
        points = sum(len(s) for tags in data.scalars.values() for s in tags.values())
    elif mode == "curvecheck_analyse":
        from tb_curvecheck import reading
        from tb_curvecheck.analysis.pipeline import analyze

        data = reading.read_logdir(logdir, loader="rust")
        t_read = time.perf_counter() - t0
        analyze(data)
        points = sum(len(s) for tags in data.scalars.values() for s in tags.values())
        return {
            "mode": mode,
            "seconds": time.perf_counter() - t0,
            "read_seconds": t_read,
            "points": points,
            "peak_rss_mb": _peak_mb(),
        }
    elif mode == "rust_alone":
        # The Rust server started and read exactly as TensorBoard does it,
        # with every point kept, and the points pulled over gRPC.
        from tensorboard import context

        from tb_curvecheck.reading import KEEP_ALL, _check_logdir, _rust_provider

        with _rust_provider(_check_logdir(logdir), None) as provider:
            ctx = context.RequestContext()
            raw = provider.read_scalars(ctx, experiment_id="", plugin_name="scalars", downsample=KEEP_ALL)
            points = sum(len(v) for tags in raw.values() for v in tags.values())
    elif mode == "python_loader":
        from tensorboard import context
        from tensorboard.backend.event_processing import data_provider
        from tensorboard.backend.event_processing import plugin_event_multiplexer as pem

        mux = pem.EventMultiplexer(tensor_size_guidance={"scalars": 0})
        mux.AddRunsFromDirectory(logdir)
        mux.Reload()
        provider = data_provider.MultiplexerDataProvider(mux, logdir)
        raw = provider.read_scalars(context.RequestContext(), experiment_id="", plugin_name="scalars", downsample=2**62)
        points = sum(len(v) for tags in raw.values() for v in tags.values())
    else:
        raise SystemExit("unknown mode %s" % mode)
    return {"mode": mode, "seconds": time.perf_counter() - t0, "points": points, "peak_rss_mb": _peak_mb()}


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + kids) / 1024.0  # Linux reports KiB; children = the largest child


def measure(mode: str, logdir: str) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, __file__, "--child", mode, logdir], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit("%s failed:\n%s" % (mode, out.stderr[-2000:]))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--tags", type=int, default=5)
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--repeat", type=int, default=2, help="best of N for the fast loaders")
    p.add_argument("--skip-python", action="store_true", help="skip the slow Python loader")
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(_child(*args.child)))
        return
    logdir = os.path.join(HERE, "out", "reading_%dx%dx%d" % (args.runs, args.tags, args.steps))
    write_logdir(logdir, args.runs, args.tags, args.steps)
    modes = ["rust_alone", "curvecheck", "curvecheck_analyse"] + ([] if args.skip_python else ["python_loader"])
    results = {}
    for mode in modes:
        reps = 1 if mode == "python_loader" else args.repeat
        runs = [measure(mode, logdir) for _ in range(reps)]
        results[mode] = min(runs, key=lambda r: r["seconds"])
        r = results[mode]
        print(
            "%-20s %8.2f s  %9d points  peak RSS %7.0f MB%s"
            % (
                mode,
                r["seconds"],
                r["points"],
                r["peak_rss_mb"],
                "  (read %.2f s)" % r["read_seconds"] if "read_seconds" in r else "",
            ),
            flush=True,
        )
    ratio = results["curvecheck"]["seconds"] / results["rust_alone"]["seconds"]
    print("tb_curvecheck / Rust server alone: %.2fx (target <= 1.5x)" % ratio)


if __name__ == "__main__":
    main()
