"""How long the CurveCheck tab takes to show its charts, in a real browser.

    python benchmarks/tab_load.py large   # 24 runs x 2 tags x 100k steps (written once)
    python benchmarks/tab_load.py demo    # the demo logs (trained once)

Starts `tensorboard` with the plugin on the logdir, waits until the findings
route has analysed every run (reported: the backend's cold analysis), then
opens TensorBoard in Debian's chromium, clicks the CurveCheck tab and reports
the time from the click to the tab's first screen of charts drawn (the tab
marks that moment on its root element).  First through a link straight to
the tab (`/#curvecheck`), where TensorBoard's own Time Series dashboard, which
reads the same points and keeps the server busy for many seconds on a large
logdir, never opens; then twice by clicking the tab after TensorBoard opened
on its default dashboard, as most users do.
From 20 runs on the tab's first screen is the sweep overview's rows, not
charts (the large logdir has 24 runs); that is then what is timed.
Figures are printed, never asserted.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

from demo.tbprocess import tensorboard_process  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LARGE_RUNS, LARGE_STEPS = 12, 100_000
# Two polls this far apart with the same answer: TensorBoard has finished loading.
STABLE_S = 5.0  # 12 experiments x (train, validation) = 24 runs


def write_large(root: str) -> None:
    import numpy as np
    from tensorboardX import SummaryWriter

    marker = os.path.join(root, ".complete")
    if os.path.exists(marker):
        return
    print("writing %d runs x 2 tags x %d steps into %s ..." % (2 * LARGE_RUNS, LARGE_STEPS, root), flush=True)
    rng = np.random.default_rng(0)
    steps = np.arange(LARGE_STEPS)
    for e in range(LARGE_RUNS):
        for split in ("train", "validation"):
            w = SummaryWriter(os.path.join(root, "exp%02d" % e, split), flush_secs=3600, max_queue=100000)
            loss = 2.0 / (1 + steps / 5000) + 0.05 * rng.standard_normal(LARGE_STEPS)
            if split == "validation":
                loss = loss + 0.05
            acc = 1 - loss / 2.5
            if e % 4 == 1:  # a divergence to find
                loss[60000:] += np.linspace(0, 5, LARGE_STEPS - 60000)
            if e % 4 == 2:  # a NaN to find
                loss[77777] = np.nan
            for i in range(LARGE_STEPS):
                w.add_scalar("epoch_loss", float(loss[i]), i)
                w.add_scalar("epoch_accuracy", float(acc[i]), i)
            w.close()
    open(marker, "w").close()


def write_demo(root: str) -> None:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    subprocess.run([sys.executable, "-m", "demo.generate", "--logdir", root], cwd=ROOT, env=env, check=True)


# The tab's first screen: its charts drawn, or from 20 runs on (the large
# logdir's 24) the sweep overview's first rows, where charts wait for a run
# to be opened (benchmarks/tab_sweep.py measures that view at 1,000 runs).
FIRST_SCREEN = ".cc-app[data-charts-drawn-ms], .cc-app[data-first-rows-ms]"


def first_screen(frame) -> str:
    return "charts drawn" if frame.locator(".cc-app[data-charts-drawn-ms]").count() else "overview rows"


def _get(url: str):
    with urllib.request.urlopen(url, timeout=900) as r:
        return json.loads(r.read().decode("utf-8"))


def measure(logdir: str) -> None:
    from playwright.sync_api import sync_playwright

    log_path = os.path.join(HERE, "out", "tab_load_tensorboard.log")
    t0 = time.monotonic()
    with tensorboard_process(logdir, log_path) as (base, _):
        print("tensorboard up after %.1f s" % (time.monotonic() - t0), flush=True)
        # TensorBoard serves while it is still loading: wait until every run
        # is analysed and the answer stops changing (same generation twice,
        # STABLE_S apart), so the browser measures the tab, not the loading.
        previous = None
        while True:
            t1 = time.monotonic()
            body = _get(base + "/data/plugin/curvecheck/findings")
            took = time.monotonic() - t1
            settled = body["runs"] and all(r["status"] in ("analysed", "empty") for r in body["runs"])
            if settled and previous == body["generation"]:
                break
            previous = body["generation"] if settled else None
            time.sleep(STABLE_S)
        print(
            "findings settled %.1f s after start (%d runs; last cold request %.2f s): %s"
            % (time.monotonic() - t0, len(body["runs"]), took, body["summary"]),
            flush=True,
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            # A link straight to the tab: TensorBoard's own Time Series
            # dashboard never opens, so its reads of the same points (which
            # keep the server busy for many seconds on a large logdir) do
            # not compete with the tab's.
            page = browser.new_page(viewport={"width": 1440, "height": 960})
            t3 = time.monotonic()
            page.goto(base + "/#curvecheck")
            frame = None
            while frame is None:
                frame = next((f for f in page.frames if "plugin_entry" in f.url), None)
                page.wait_for_timeout(20)
            frame.wait_for_selector(FIRST_SCREEN, timeout=600000)
            print(
                "link to /#curvecheck: navigation -> %s %.2f s" % (first_screen(frame), time.monotonic() - t3),
                flush=True,
            )
            page.close()
            for attempt in range(2):
                page = browser.new_page(viewport={"width": 1440, "height": 960})
                errors = []
                page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
                page.goto(base + "/")
                tab = page.get_by_role("tab", name=re.compile("curvecheck", re.I))
                tab.wait_for(timeout=60000)
                t2 = time.monotonic()
                tab.click()
                frame = None
                while frame is None:
                    frame = next((f for f in page.frames if "plugin_entry" in f.url), None)
                    page.wait_for_timeout(20)
                frame.wait_for_selector(FIRST_SCREEN, timeout=600000)
                app = frame.locator(".cc-app")
                what = first_screen(frame)
                print(
                    "page %d: click -> %s %.2f s (module start -> then %s ms), %d chart cards, "
                    "%d console errors"
                    % (
                        attempt + 1,
                        what,
                        time.monotonic() - t2,
                        app.get_attribute("data-charts-drawn-ms" if what == "charts drawn" else "data-first-rows-ms"),
                        frame.locator(".cc-card").count(),
                        len(errors),
                    ),
                    flush=True,
                )
                page.close()
            browser.close()


def main() -> None:
    which = sys.argv[1] if len(sys.argv) > 1 else "large"
    root = os.path.join(HERE, "out", "tab_" + which)
    os.makedirs(root, exist_ok=True)
    if which == "large":
        write_large(root)
    elif which == "demo":
        write_demo(root)
    else:
        raise SystemExit("usage: tab_load.py [large|demo]")
    measure(root)


if __name__ == "__main__":
    main()
