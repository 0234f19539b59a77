"""The CurveCheck tab on a 1,000-run sweep, in real Chromium against a real
`tensorboard`: the overview of runs comes first, rendered virtually (only
the rows in view are in the DOM), its filters and severity toggles answer in
the page without scanning every chart, a run opens to its own findings and
charts, and in a chart train and validation of one run are told apart.

The logdir is written in seconds by TensorBoard's own record writer
(benchmarks/tab_sweep.py): 1,000 runs named like a grid sweep
(`lr=0.01_bs=32_seed=4`), 4 tags x 100 steps, 5 % of them broken (loss to
NaN, or accuracy collapsing to chance). Times are measured in the page with
performance.now() from the key or pointer press until the table shows the
new rows, printed, and held only to generous bounds; the 100 ms goal is
reported by benchmarks/tab_sweep.py.
"""

import json
import os
import re
import time
import urllib.parse
import urllib.request

import pytest

from benchmarks import tab_sweep
from demo.tbprocess import tensorboard_process

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RUNS = 1000
TAGS = ("train/loss", "val/loss", "train/accuracy", "val/accuracy")
# The page's elements with the table holding 1,000 runs: a few hundred when
# only the rows in view exist; a row per run would be over 8,000.
DOM_BOUND = 3000


def _get(base, path):
    with urllib.request.urlopen(base + path, timeout=300) as r:
        return json.loads(r.read().decode("utf-8"))


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("sweep_logs"))
    started = time.monotonic()
    names = tab_sweep.write_sweep(root, RUNS, 100, TAGS)
    print("\nwrote %d runs x %d tags x 100 steps in %.1f s" % (len(names), len(TAGS), time.monotonic() - started))
    return root


@pytest.fixture(scope="module")
def bundle():
    # The page must run the sources as they are (a no-op when the bundle is newer).
    import sys

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, root)
    try:
        import setup_frontend
    finally:
        sys.path.remove(root)
    setup_frontend.build_frontend()
    return setup_frontend.BUNDLE


@pytest.fixture(scope="module")
def tensorboard(logdir, bundle, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("tb") / "tensorboard.log"
    started = time.monotonic()
    with tensorboard_process(logdir, log_path) as (base, _):
        body = tab_sweep.wait_analysed(base, RUNS, timeout_s=600)
        print(
            "findings for %d runs after %.1f s: %s" % (len(body["runs"]), time.monotonic() - started, body["summary"])
        )
        yield base


@pytest.fixture(scope="module")
def answer(tensorboard):
    return _get(tensorboard, "/data/plugin/curvecheck/findings")


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: scripts/test installs it (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Page:
    def __init__(self, browser, base):
        self.page = browser.new_page(viewport={"width": 1440, "height": 960})
        self.base = base
        self.messages = []
        self.page.on("console", lambda m: self.messages.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.messages.append(("pageerror", str(e))))

    def open(self, url):
        self.page.goto(url)
        deadline = time.monotonic() + 60
        while True:
            for f in self.page.frames:
                if "plugin_entry.html" in f.url and "curvecheck" in f.url:
                    self.frame = f
                    return f
            assert time.monotonic() < deadline, "the CurveCheck iframe never appeared"
            self.page.wait_for_timeout(50)

    def errors(self):
        return [m for m in self.messages if m[0] in ("error", "pageerror")]


@pytest.fixture(scope="module")
def tab(browser, tensorboard):
    p = Page(browser, tensorboard)
    yield p
    p.page.close()


# In the page: from the next key or pointer press until the overview's row
# count is written (the table then shows the new rows), and until the frame
# after it (the new rows laid out and painted).
MEASURE_JS = """() => {
  window.__ccAnswer = null;
  const ov = document.querySelector('.cc-overview');
  let t0 = null;
  const start = () => { if (t0 === null) t0 = performance.now(); };
  document.addEventListener('keydown', start, { capture: true, once: true });
  document.addEventListener('pointerdown', start, { capture: true, once: true });
  document.addEventListener('input', start, { capture: true, once: true });
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
    """Runs `action` (a Playwright key press or click) and returns the page's
    own timing of its answer: {dom, painted (ms), rows}."""
    frame.evaluate(MEASURE_JS)
    action()
    frame.wait_for_function("window.__ccAnswer !== null", timeout=30000)
    return frame.evaluate("window.__ccAnswer")


def rows_in_dom(frame):
    return frame.locator(".cc-sweep-row:not([hidden])").evaluate_all(
        "els => els.map(e => ({run: e.dataset.run, worst: e.dataset.worst,"
        " y: Number(e.style.transform.replace(/[^0-9.]/g, ''))})).sort((a, b) => a.y - b.y)"
    )


def dom_count(frame):
    return frame.evaluate("document.getElementsByTagName('*').length")


# Times are printed, never asserted (these machines are shared and noisy):
# `benchmarks/tab_sweep.py` reports them against the 2 s and 100 ms goals.
# What is asserted is what makes them small: rows answered without
# rescanning charts, and a DOM that holds only the rows in view.


def test_overview_shows_the_first_rows_worst_first(tab, answer):
    started = time.monotonic()
    frame = tab.open(tab.base + "/#curvecheck")
    frame.wait_for_selector(".cc-app[data-first-rows-ms]", timeout=120000)
    wall = time.monotonic() - started
    in_page = int(frame.locator(".cc-app").get_attribute("data-first-rows-ms"))
    print("\n1,000 runs: navigation to first rows %.2f s (module start to rows %d ms)" % (wall, in_page))
    assert frame.locator(".cc-app").get_attribute("data-view") == "overview"
    assert frame.locator(".cc-overview").get_attribute("data-rows") == str(RUNS)
    # Worst first: the runs with an error on top, exactly the server's.
    erred = {f["run"] for f in answer["findings"] if f["severity"] == "error"}
    planted = {n for n in (tab_sweep.run_name(i) for i in range(RUNS)) if tab_sweep.planted(n)}
    assert erred == planted  # the detectors find every broken run and no other
    rows = rows_in_dom(frame)
    visible = [r for r in rows if r["y"] < 600]
    assert len(visible) >= 15
    assert all(r["worst"] == "error" and r["run"] in erred for r in visible)
    # Only the rows in view (and a few around) exist.
    assert len(rows) < 80
    count = dom_count(frame)
    print("DOM elements with 1,000 runs in the table: %d (%d row elements)" % (count, len(rows)))
    assert count < DOM_BOUND
    # The side panel does not list 1,000 runs' findings, and no chart is built.
    assert frame.locator(".cc-card").count() == 0
    assert frame.locator(".cc-finding").count() == 0


def test_scrolling_shows_the_last_run_with_the_same_few_rows(tab, answer):
    frame = tab.frame
    body = frame.locator(".cc-sweep-body")
    body.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    frame.wait_for_function(
        "(() => { const b = document.querySelector('.cc-sweep-body');"
        " const ys = [...document.querySelectorAll('.cc-sweep-row:not([hidden])')]"
        ".map(e => Number(e.style.transform.replace(/[^0-9.]/g, '')));"
        " return Math.max(...ys) >= %d * 28 - 28; })()" % RUNS,
        timeout=5000,
    )
    rows = rows_in_dom(frame)
    assert len(rows) < 80
    # Runs without findings last: the bottom row is one, at the end of the table.
    assert rows[-1]["y"] == (RUNS - 1) * 28 and rows[-1]["worst"] == "none"
    healthy = {r["run"] for r in answer["runs"]} - {f["run"] for f in answer["findings"]}
    assert all(r["run"] in healthy for r in rows)
    assert dom_count(frame) < DOM_BOUND
    body.evaluate("el => { el.scrollTop = 0; }")


def test_run_filter_keystrokes_answer_in_the_page(tab, answer):
    frame = tab.frame
    names = [r["run"] for r in answer["runs"]]
    box = frame.locator("#cc-runs")
    box.focus()
    typed = ""
    timings = []
    for ch in "seed=1":
        typed += ch
        t = measured(frame, lambda ch=ch: box.press(ch))
        expected = sum(1 for n in names if re.search(typed, n, re.I))
        assert t["rows"] == expected, (typed, t)
        timings.append(t)
    print(
        "run filter keystrokes at 1,000 runs (ms, key to rows / to next frame): %s"
        % ", ".join("%.1f/%.1f" % (t["dom"], t["painted"]) for t in timings)
    )
    assert frame.locator(".cc-run-status").text_content() == "%d of %d runs match" % (timings[-1]["rows"], RUNS)
    shown = {r["run"] for r in rows_in_dom(frame)}
    assert shown and all(re.search("seed=1", n) for n in shown)
    box.select_text()
    t = measured(frame, lambda: box.press("Backspace"))
    assert t["rows"] == RUNS
    print("clearing the run filter: %.1f ms to rows, %.1f ms to next frame" % (t["dom"], t["painted"]))


def test_severity_toggle_answers_in_the_page(tab, answer):
    frame = tab.frame
    with_errors = {f["run"] for f in answer["findings"] if f["severity"] == "error"}
    with_others = {f["run"] for f in answer["findings"] if f["severity"] != "error"}
    t = measured(frame, lambda: frame.locator("#cc-sev-error").click())
    print(
        "severity toggle (errors off) at 1,000 runs: %.1f ms to rows, %.1f ms to next frame" % (t["dom"], t["painted"])
    )
    # A run whose every finding is hidden leaves the table; runs without findings stay.
    assert t["rows"] == RUNS - len(with_errors - with_others)
    assert "error" not in {r["worst"] for r in rows_in_dom(frame)}
    t = measured(frame, lambda: frame.locator("#cc-sev-error").click())
    print("severity toggle (errors on): %.1f ms to rows, %.1f ms to next frame" % (t["dom"], t["painted"]))
    assert t["rows"] == RUNS


def test_kind_filter_and_sort_are_in_the_url(tab, answer):
    frame = tab.frame
    runs_with = {f["run"] for f in answer["findings"] if f["kind"] == "non_finite"}
    assert runs_with
    t = measured(frame, lambda: frame.locator("#cc-kind").select_option("non_finite"))
    print("kind filter at 1,000 runs: %.1f ms to rows" % t["dom"])
    assert t["rows"] == len(runs_with)
    assert {r["run"] for r in rows_in_dom(frame)} == runs_with
    # Sorted by name, descending on a second click.
    head = frame.locator(".cc-sweep-colhead[data-column=run] button")
    head.click()
    head.click()
    assert frame.locator(".cc-sweep-colhead[data-column=run]").get_attribute("aria-sort") == "descending"
    key = lambda n: [int(x) if x.isdigit() else x for x in re.split(r"(\d+)", n)]  # noqa: E731
    assert [r["run"] for r in rows_in_dom(frame)] == sorted(runs_with, key=key, reverse=True)
    state = urllib.parse.parse_qs(frame.evaluate("location.hash").lstrip("#"))
    assert state["kind"] == ["non_finite"] and state["sort"] == ["-run"]
    assert "p.curvecheck.kind=non_finite" in tab.page.url


def test_a_run_opens_to_its_findings_and_charts_with_train_and_validation_apart(tab, answer, browser):
    frame = tab.frame
    row = rows_in_dom(frame)[0]
    run = row["run"]
    frame.locator(".cc-sweep-row[data-run=%s] .cc-sweep-open" % json.dumps(run)).click()
    frame.wait_for_selector(".cc-app[data-view=run]", timeout=10000)
    assert frame.locator(".cc-open-title").text_content() == run
    assert frame.locator(".cc-overview").is_hidden()
    # Its findings, and only its own.
    own = sorted(f["title"] for f in answer["findings"] if f["run"] == run)
    assert sorted(frame.locator(".cc-finding-title").all_text_contents()) == own
    # Its charts only: loss and accuracy, each with its train and validation lines.
    cards = frame.locator(".cc-card")
    assert cards.count() == 2
    loss = frame.locator(".cc-card[data-chart-id*=loss]")
    loss.locator(".cc-legend-item").first.wait_for(timeout=30000)
    legends = loss.locator(".cc-legend-run").all_text_contents()
    assert legends == ["%s/train" % run, "%s/validation" % run]
    swatches = loss.locator(".cc-legend-item .cc-swatch").evaluate_all(
        "els => els.map(e => getComputedStyle(e).borderTopStyle)"
    )
    assert swatches == ["solid", "dashed"]
    assert loss.locator(".cc-band[data-kind=non_finite]").count() >= 1
    state = urllib.parse.parse_qs(frame.evaluate("location.hash").lstrip("#"))
    assert state["open"] == [run]
    assert dom_count(frame) < DOM_BOUND
    link = tab.page.url

    # The link opens the same run.
    other = Page(browser, tab.base)
    try:
        f2 = other.open(link)
        f2.wait_for_selector(".cc-app[data-view=run]", timeout=60000)
        assert f2.locator(".cc-open-title").text_content() == run
        assert other.errors() == []
    finally:
        other.page.close()

    # Back to the overview, filters as they were.
    frame.locator(".cc-back").click()
    frame.wait_for_selector(".cc-app[data-view=overview]", timeout=10000)
    assert frame.locator(".cc-card").count() == 0
    assert frame.locator(".cc-overview").get_attribute("data-rows") == str(
        len({f["run"] for f in answer["findings"] if f["kind"] == "non_finite"})
    )
    assert frame.locator(".cc-sweep-row:not([hidden])").count() > 0


def test_hyperparameters_show_as_columns_and_the_summary(tab, answer):
    if "hparams" not in answer:
        pytest.skip("this server's findings answer has no `hparams` yet")
    frame = tab.frame
    names = sorted({k for hp in answer["hparams"].values() for k in hp})
    heads = frame.locator(".cc-sweep-colhead").evaluate_all("els => els.map(e => e.dataset.column)")
    assert [h for h in heads if h.startswith("hp:")] == ["hp:" + n for n in names]
    seps = (answer.get("sweep") or {}).get("separations") or []
    texts = frame.locator(".cc-separation-text").all_text_contents()
    assert texts == [s["sentence"] for s in seps]


def test_no_errors_in_the_browser_console(tab):
    assert tab.errors() == []
