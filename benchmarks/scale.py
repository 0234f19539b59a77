"""Scale benchmark (issue 14): sweeps of many runs, CurveCheck's scan beside
RustBoard alone reading the same points.

    python benchmarks/scale.py [--sizes 20x5x20k,1000x10x1k] [--modes ...]

Sizes (runs x tags x steps): 20x5x20k, 50x10x10k, 200x10x10k, 1000x10x1k
(the default set) and 1000x10x10k (100 M points, only when named).  Each
logdir is written once into benchmarks/out/ with TensorBoard's own event
writer (one Event per step carrying every tag's value), about 5 % of runs
made pathological: half diverge (the loss grows, then NaN), half collapse
(accuracy falls to chance).

Modes, each in a fresh process whose process tree (the data servers and
worker processes included) has its resident memory polled from /proc:
  curvecheck         `curvecheck scan --json` (a data server per batch, 2 workers)
  curvecheck_shared  the same with `--data-server shared` (one data server)
  rust_alone         RustBoard started on the logdir, every point read over
                     gRPC run by run (so its message limit does not bite)
With --tensorboard, also inside a real TensorBoard: its own multirun scalars
route over every series beside CurveCheck's findings route, cold and warm.
Printed: seconds, points/s, peak memory, and for CurveCheck the recall on
the planted runs and the false alarms (healthy runs with a warning or error).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from typing import Dict, List, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

DEFAULT_SIZES = "20x5x20k,50x10x10k,200x10x10k,1000x10x1k"
# One pathological run in 20 (the "about 5 %").
PLANT_EVERY = 20
POLL_S = 0.05


def parse_size(text: str) -> Tuple[int, int, int]:
    runs, tags, steps = text.lower().split("x")
    steps_n = int(float(steps[:-1]) * 1000) if steps.endswith("k") else int(steps)
    return int(runs), int(tags), steps_n


def planted(runs: int) -> Dict[str, str]:
    """run name -> its planted pathology."""
    out = {}
    for r in range(runs):
        if r % PLANT_EVERY == PLANT_EVERY // 2:
            out[_run_name(r)] = "divergence" if (r // PLANT_EVERY) % 2 == 0 else "collapse"
    return out


def _run_name(r: int) -> str:
    lrs = (1e-4, 3e-4, 1e-3, 3e-3)
    return "trial%04d_lr=%g" % (r, lrs[r % len(lrs)])


def write_logdir(path: str, runs: int, tags: int, steps: int) -> None:
    import numpy as np
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    marker = os.path.join(path, ".complete")
    if os.path.exists(marker):
        return
    print("writing %d runs x %d tags x %d steps to %s ..." % (runs, tags, steps, path), flush=True)
    t0 = time.time()
    plants = planted(runs)
    names = ["loss", "accuracy"] + ["metric_%d" % k for k in range(2, tags)]
    for r in range(runs):
        name = _run_name(r)
        rng = np.random.default_rng(r)
        s = np.arange(steps, dtype=np.float64)
        tau = steps / rng.uniform(4, 8)
        vals = np.empty((tags, steps))
        vals[0] = 2.3 * np.exp(-s / tau) + 0.1 + rng.normal(0, 0.02, steps)
        if tags > 1:
            vals[1] = 0.95 - 0.85 * np.exp(-s / tau) + rng.normal(0, 0.01, steps)
        for k in range(2, tags):
            vals[k] = (k + 1) * np.exp(-s / (tau * k)) + rng.normal(0, 0.02 * (k + 1), steps)
        kind = plants.get(name)
        onset = int(steps * rng.uniform(0.4, 0.7))
        if kind == "divergence":
            grow = np.exp((s[onset:] - onset) / max(5.0, steps / 100))
            vals[0, onset:] = vals[0, onset] * grow
            vals[0, onset + max(10, steps // 50) :] = np.nan
        elif kind == "collapse" and tags > 1:
            vals[1, onset:] = 0.1 + rng.normal(0, 0.01, steps - onset)
        writer = EventFileWriter(os.path.join(path, name), max_queue_size=4096, flush_secs=3600)
        wall = 1.7e9 + r * 1e4
        for i in range(steps):
            values = [summary_pb2.Summary.Value(tag=names[k], simple_value=float(vals[k, i])) for k in range(tags)]
            writer.add_event(
                event_pb2.Event(step=i, wall_time=wall + i * 0.1, summary=summary_pb2.Summary(value=values))
            )
        writer.close()
    open(marker, "w").close()
    print("written in %.0f s" % (time.time() - t0), flush=True)


# --- measuring ------------------------------------------------------------------


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of `pid` and every descendant, from /proc."""
    children: Dict[int, List[int]] = {}
    rss: Dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ppid = int(fields[1])
            rss[int(entry)] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, ()))
    return total


def run_measured(cmd: List[str]) -> Tuple[float, float, str, str, int]:
    """Runs `cmd`; returns seconds, peak MB of its process tree, stdout, stderr, exit code."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0]
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
            stop.wait(POLL_S)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    stop.set()
    poller.join()
    return seconds, peak[0] / 1024.0, out, err, proc.returncode


def rust_alone(logdir: str) -> None:
    """Child: RustBoard on the whole logdir, every point read run by run."""
    from tensorboard import context

    from tb_curvecheck.reading import KEEP_ALL, _rust_provider, check_logdir

    with _rust_provider(check_logdir(logdir), None) as provider:
        ctx = context.RequestContext()
        points = 0
        runs = sorted(r.run_name for r in provider.list_runs(ctx, experiment_id=""))
        for run in runs:
            from tensorboard.data import provider as tbp

            raw = provider.read_scalars(
                ctx,
                experiment_id="",
                plugin_name="scalars",
                downsample=KEEP_ALL,
                run_tag_filter=tbp.RunTagFilter(runs=[run]),
            )
            points += sum(len(v) for tags in raw.values() for v in tags.values())
    print(json.dumps({"points": points}))


def score(findings: List[dict], runs: int) -> Dict[str, object]:
    plants = planted(runs)
    flagged: Dict[str, set] = {}
    for f in findings:
        if f["severity"] in ("error", "warning"):
            flagged.setdefault(f["run"], set()).add(f["kind"])
    found = [r for r in plants if r in flagged]
    false = [r for r in flagged if r not in plants]
    return {
        "planted": len(plants),
        "found": len(found),
        "false_alarms": len(false),
        "healthy": runs - len(plants),
        "missed": sorted(set(plants) - set(found))[:5],
        "false_examples": {r: sorted(flagged[r]) for r in false[:5]},
    }


def measure(mode: str, logdir: str, runs: int, jobs: int) -> Dict[str, object]:
    py = sys.executable
    if mode == "rust_alone":
        cmd = [py, __file__, "--rust-alone", logdir]
    else:
        cmd = [py, "-m", "tb_curvecheck", "scan", logdir, "--json", "--fail-on", "never", "--jobs", str(jobs)]
        if mode == "curvecheck_shared":
            cmd += ["--data-server", "shared"]
    seconds, peak_mb, out, err, rc = run_measured(cmd)
    if rc != 0:
        raise SystemExit("%s failed (%d):\n%s" % (mode, rc, err[-3000:]))
    row: Dict[str, object] = {"mode": mode, "seconds": seconds, "peak_mb": peak_mb}
    doc = json.loads(out.strip().splitlines()[-1])
    if "points" in doc:
        row["points"] = doc["points"]
    else:
        row["score"] = score(doc["findings"], runs)
    return row


def _post(base: str, path: str, fields: List[Tuple[str, str]]) -> bytes:
    import urllib.parse
    import urllib.request

    body = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(urllib.request.Request(base + path, data=body), timeout=3600) as r:
        return r.read()


def _get(base: str, path: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(base + path, timeout=3600) as r:
        return r.read()


def tensorboard_figures(logdir: str, runs: int, tags: int, steps: int, warm_n: int = 10) -> Dict[str, object]:
    """Inside a real TensorBoard (its data server): TensorBoard's own
    multirun scalars route over every series, then CurveCheck's findings
    route cold and warm, and the memory of TensorBoard's process tree."""
    import statistics
    import tempfile

    from demo.tbprocess import tensorboard_process
    from tb_curvecheck.plugin.service import LISTING_REUSE_S

    names = [_run_name(r) for r in range(runs)]
    tag_names = ["loss", "accuracy"] + ["metric_%d" % k for k in range(2, tags)]
    tmp = tempfile.mkdtemp(prefix="curvecheck-scale-tb-")
    with tensorboard_process(
        logdir,
        os.path.join(tmp, "tb.log"),
        "--reload_interval",
        "0",
        "--reload_task",
        "blocking",
        "--load_fast",
        "true",
        start_timeout=1800,
    ) as (base, proc):

        def multirun(tag: str) -> int:
            doc = json.loads(
                _post(base, "/data/plugin/scalars/scalars_multirun", [("tag", tag)] + [("runs", n) for n in names])
            )
            return sum(len(v) for v in doc.values())

        t0 = time.perf_counter()
        while multirun("loss") < runs * steps:
            time.sleep(1.0)
        load_s = time.perf_counter() - t0
        peak = [0]
        stop = threading.Event()

        def poll() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _tree_rss_kb(proc.pid))
                stop.wait(POLL_S)

        before_mb = _tree_rss_kb(proc.pid) / 1024.0
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        t0 = time.perf_counter()
        points = sum(multirun(t) for t in tag_names)
        multirun_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        body = json.loads(_get(base, "/data/plugin/curvecheck/findings"))
        cold_s = time.perf_counter() - t0
        warm = []
        for _ in range(warm_n):
            time.sleep(LISTING_REUSE_S + 0.05)
            t0 = time.perf_counter()
            _get(base, "/data/plugin/curvecheck/findings")
            warm.append(time.perf_counter() - t0)
        stop.set()
        poller.join()
        after_mb = _tree_rss_kb(proc.pid) / 1024.0
    return {
        "load_s": load_s,
        "multirun_s": multirun_s,
        "points": points,
        "cold_s": cold_s,
        "warm_ms": 1000 * statistics.median(warm),
        "mb_before": before_mb,
        "mb_peak": peak[0] / 1024.0,
        "mb_after": after_mb,
        "score": score(body["findings"], runs),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument(
        "--sizes",
        default=DEFAULT_SIZES,
        help="comma-separated RUNSxTAGSxSTEPS (default %s; 1000x10x10k only when named)" % DEFAULT_SIZES,
    )
    p.add_argument("--modes", default="rust_alone,curvecheck,curvecheck_shared")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument(
        "--tensorboard",
        action="store_true",
        help="also measure inside TensorBoard: its multirun scalars route vs the findings route",
    )
    p.add_argument("--rust-alone", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.rust_alone:
        rust_alone(args.rust_alone)
        return
    print(
        "%-14s %-18s %8s %12s %9s  %s"
        % ("logdir", "mode", "seconds", "points/s", "peak MB", "planted found / false alarms")
    )
    for size in args.sizes.split(","):
        runs, tags, steps = parse_size(size)
        logdir = os.path.join(HERE, "out", "scale_%dx%dx%d" % (runs, tags, steps))
        write_logdir(logdir, runs, tags, steps)
        points = runs * tags * steps
        rows = {}
        for mode in args.modes.split(","):
            row = rows[mode] = measure(mode, logdir, runs, args.jobs)
            extra = ""
            if "score" in row:
                s = row["score"]
                extra = "%d/%d, %d/%d healthy%s" % (
                    s["found"],
                    s["planted"],
                    s["false_alarms"],
                    s["healthy"],
                    (" missed %s" % s["missed"]) if s["missed"] else "",
                )
                if s["false_examples"]:
                    extra += " false e.g. %s" % s["false_examples"]
            elif row.get("points") != points:
                extra = "read %s points of %d" % (row.get("points"), points)
            print(
                "%-14s %-18s %8.1f %12.0f %9.0f  %s"
                % (size, mode, row["seconds"], points / row["seconds"], row["peak_mb"], extra),
                flush=True,
            )
        if args.tensorboard:
            tb = tensorboard_figures(logdir, runs, tags, steps)
            sc = tb["score"]
            print(
                "%-14s tensorboard: load %.1f s; scalars_multirun every series %.1f s (%d points); findings cold "
                "%.1f s (%.2fx), warm %.0f ms; process tree %.0f MB before, peak %.0f MB, %.0f MB after; "
                "%d/%d planted, %d/%d healthy flagged"
                % (
                    size,
                    tb["load_s"],
                    tb["multirun_s"],
                    tb["points"],
                    tb["cold_s"],
                    tb["cold_s"] / tb["multirun_s"],
                    tb["warm_ms"],
                    tb["mb_before"],
                    tb["mb_peak"],
                    tb["mb_after"],
                    sc["found"],
                    sc["planted"],
                    sc["false_alarms"],
                    sc["healthy"],
                ),
                flush=True,
            )
        if "rust_alone" in rows:
            for mode in rows:
                if mode != "rust_alone":
                    print(
                        "%-14s %-18s %.2fx RustBoard alone's time"
                        % (size, mode, rows[mode]["seconds"] / rows["rust_alone"]["seconds"]),
                        flush=True,
                    )


if __name__ == "__main__":
    main()
