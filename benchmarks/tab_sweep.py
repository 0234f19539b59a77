"""The CurveCheck tab on a 1,000-run sweep, in a real browser.

    python benchmarks/tab_sweep.py [RUNS] [--screenshot PNG] [--preview-sweep]
                                            # default 1000 runs x 10 tags x 100 steps

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
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

LRS = (1e-4, 3e-4, 1e-3, 3e-3, 1e-2)
BATCHES = (32, 64, 128, 256)
# The sweep's broken corner: the largest rate with the smallest batch. Its
# runs (1 in 20 of the grid, 5 %) alternate between a loss that goes to NaN
# and an accuracy that collapses to chance.
BROKEN_LR, BROKEN_BS = 1e-2, 32
TAGS = (
    "train/loss",
    "val/loss",
    "train/accuracy",
    "val/accuracy",
    "learning_rate",
    "grad_norm",
    "weight_norm",
    "train/top5",
    "val/top5",
    "epoch_time",
)


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
        loss[at - 10 : at] *= np.linspace(1, 30, 10)
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
                ev = event_pb2.Event(wall_time=1.7e9 + i + s * 0.01, step=s, summary=summary_pb2.Summary(value=values))
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


# In the page: from the next key or pointer press (or input event) until the
# overview's row count is written, and until the frame after it.
MEASURE_JS = """() => {
  window.__ccAnswer = null;
  const ov = document.querySelector('.cc-overview');
  let t0 = null;
  const start = () => { if (t0 === null) t0 = performance.now(); };
  for (const type of ['keydown', 'pointerdown', 'input']) document.addEventListener(type, start, { capture: true, once: true });
  const mo = new MutationObserver(() => {
    if (t0 === null) return;
    const dom = performance.now() - t0;
    mo.disconnect();
    requestAnimationFrame(() => setTimeout(() => {
      window.__ccAnswer = { dom, painted: performance.now() - t0, rows: Number(ov.dataset.rows) };
    }, 0));
  });
  mo.observe(ov, { attributes: true, attributeFilter: ['data-rows'] });
}"""


def measured(frame, action):
    frame.evaluate(MEASURE_JS)
    action()
    frame.wait_for_function("window.__ccAnswer !== null", timeout=60000)
    return frame.evaluate("window.__ccAnswer")


def with_sweep_preview(body):
    """The findings answer with `hparams` and `sweep` as the server is to
    send them, computed here by the plugin's own analysis.sweep from the run
    names: only for a look at the overview before the server sends them."""
    from tb_curvecheck.analysis import sweep

    runs = [r["run"] for r in body["runs"]]
    hparams = sweep.sweep_hparams(runs, {})
    kinds = {r: set() for r in runs}
    for f in body["findings"]:
        kinds[f["run"]].add(f["kind"])
    body = dict(body, hparams=hparams, sweep=sweep.separate(hparams, kinds).to_json())
    return body


def measure(logdir: str, runs: int, shot: str = "", preview: bool = False) -> None:
    from playwright.sync_api import sync_playwright

    from demo.tbprocess import tensorboard_process

    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    log_path = os.path.join(HERE, "out", "tab_sweep_tensorboard.log")
    t0 = time.monotonic()
    with tensorboard_process(logdir, log_path) as (base, _):
        body = wait_analysed(base, runs)
        print(
            "findings for %d runs after %.1f s (cold, from start): %s"
            % (len(body["runs"]), time.monotonic() - t0, body["summary"]),
            flush=True,
        )
        t1 = time.monotonic()
        _get(base + "/data/plugin/curvecheck/findings")
        print("warm findings request %.0f ms" % ((time.monotonic() - t1) * 1000), flush=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 960})
            if preview:
                answer = json.dumps(with_sweep_preview(_get(base + "/data/plugin/curvecheck/findings")))
                page.route(
                    "**/data/plugin/curvecheck/findings*",
                    lambda route: route.fulfill(status=200, content_type="application/json", body=answer),
                )
            t2 = time.monotonic()
            page.goto(base + "/#curvecheck")
            frame = None
            while frame is None:
                frame = next((f for f in page.frames if "plugin_entry" in f.url), None)
                page.wait_for_timeout(20)
            frame.wait_for_selector(".cc-app[data-first-rows-ms]", timeout=600000)
            print(
                "navigation -> first rows %.2f s (tab module start -> rows %s ms; goal: 2 s from opening the tab)"
                % (time.monotonic() - t2, frame.locator(".cc-app").get_attribute("data-first-rows-ms")),
                flush=True,
            )
            print(
                "DOM elements: %d (%d row elements for %s rows)"
                % (
                    frame.evaluate("document.getElementsByTagName('*').length"),
                    frame.locator(".cc-sweep-row:not([hidden])").count(),
                    frame.locator(".cc-overview").get_attribute("data-rows"),
                ),
                flush=True,
            )
            if shot:
                page.screenshot(path=shot)
                print("screenshot: %s" % shot)
            box = frame.locator("#cc-runs")
            box.focus()
            keys = []
            for ch in "seed=1":
                keys.append(measured(frame, lambda ch=ch: box.press(ch)))
            box.select_text()
            cleared = measured(frame, lambda: box.press("Backspace"))
            print(
                "run filter keystrokes (key -> rows / -> next frame, ms; goal 100): %s; clearing: %.1f/%.1f"
                % (", ".join("%.1f/%.1f" % (k["dom"], k["painted"]) for k in keys), cleared["dom"], cleared["painted"]),
                flush=True,
            )
            toggles = [measured(frame, lambda: frame.locator("#cc-sev-error").click()) for _ in range(2)]
            print(
                "severity toggle off/on (ms; goal 100): %s"
                % ", ".join("%.1f/%.1f" % (t["dom"], t["painted"]) for t in toggles),
                flush=True,
            )
            kind = measured(frame, lambda: frame.locator("#cc-kind").select_option(KIND_TO_TRY))
            print("kind filter (%s): %.1f/%.1f ms, %d rows" % (KIND_TO_TRY, kind["dom"], kind["painted"], kind["rows"]))
            t3 = time.monotonic()
            frame.locator(".cc-sweep-row:not([hidden]) .cc-sweep-open").first.click()
            frame.wait_for_selector(".cc-app[data-view=run] .cc-card[data-state=drawn]", timeout=60000)
            print(
                "a run opened from the overview: first chart drawn after %.2f s, %d charts"
                % (time.monotonic() - t3, frame.locator(".cc-card").count()),
                flush=True,
            )
            if shot:
                page.wait_for_timeout(1000)
                page.screenshot(path=shot.replace(".png", "_run.png"))
            browser.close()


KIND_TO_TRY = "non_finite"


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="?", type=int, default=1000)
    ap.add_argument("--screenshot", default="", help="save a screenshot of the overview here")
    ap.add_argument(
        "--preview-sweep",
        action="store_true",
        help="add hparams and sweep (analysis.sweep on the run names) to the findings answer in the "
        "browser, for servers that do not send them yet",
    )
    args = ap.parse_args()
    root = os.path.join(HERE, "out", "tab_sweep_%d" % args.runs)
    if not os.path.exists(os.path.join(root, ".complete")):
        os.makedirs(root, exist_ok=True)
        t0 = time.monotonic()
        write_sweep(root, args.runs)
        open(os.path.join(root, ".complete"), "w").close()
        print(
            "wrote %d runs x %d tags x 100 steps in %.1f s" % (args.runs, len(TAGS), time.monotonic() - t0), flush=True
        )
    measure(root, args.runs, args.screenshot, args.preview_sweep)


if __name__ == "__main__":
    main()
