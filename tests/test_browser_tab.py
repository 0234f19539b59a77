"""The CurveCheck tab in a real browser (Debian's chromium driven by
Playwright) against a real `tensorboard` process with the plugin installed,
on logs written by real training (Keras `fit` with its TensorBoard callback)
and by `tf.summary` loops for NaN and for run names carrying HTML/script.

One tensorboard process and one page for the module; the tests run in file
order and build on each other's page state where that saves time.
"""

import contextlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import numpy as np
import pytest

from demo.tbprocess import tensorboard_process
from tests import logwriters

playwright_api = pytest.importorskip("playwright.sync_api")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

IMG_RUN = '<img src=x onerror="window.__ccPwned=1">'
SCRIPT_RUN = "<script>window.__ccPwned=2</script>"  # the "/" makes it a nested run dir
# A run one of whose series cannot be decoded (a string logged under the scalars plugin): the rest of
# it is read and analysed, and the tab says it was read only in part.
PARTIAL_RUN = "partly"
# A run none of whose series is named as a loss, metric or return (its loss logged as `Training/Overall`),
# its name carrying markup: the tab notes that nothing in it was judged, as text.
UNJUDGED_RUN = 'unjudged <img src=x onerror="window.__ccPwned=3">'
NAN_FROM = 30  # the diverged run's loss is NaN from this step on (and +Inf at 35)
EXPECTED_RUNS = {
    "keras/train",
    "keras/validation",
    "diverged",
    "collapse/train",
    "collapse/validation",
    "kicked/train",
    "kicked/validation",
    IMG_RUN,
    SCRIPT_RUN,
    UNJUDGED_RUN,
}


def _write_logs(root):
    """Runs in a child process: TensorFlow stays out of the test process."""
    logwriters.keras_fit(os.path.join(root, "keras"), epochs=10)
    # A Keras run whose weights are kicked at epoch 3: dead ReLUs and flat
    # outputs, written as histograms (the histogram findings' case).
    from benchmarks import corpus_histogram

    corpus_histogram.keras_run(os.path.join(root, "kicked"), 0, kick=(3, 50.0), epochs=7)
    loss = np.linspace(2.0, 0.4, 40)
    loss[NAN_FROM:] = np.nan
    loss[35] = np.inf
    logwriters.tf_scalars(os.path.join(root, "diverged"), {"loss": loss})
    # Post 000's shape, written by a tf.summary loop: accuracy climbs, then
    # falls in one step to the majority share and stays pinned there.
    acc = np.concatenate([np.linspace(0.55, 0.9, 15), np.full(15, 0.5467)])
    lss = np.concatenate([np.linspace(0.69, 0.3, 15), np.linspace(0.7, 0.69, 15)])
    logwriters.tf_scalars(os.path.join(root, "collapse", "train"), {"epoch_accuracy": acc, "epoch_loss": lss})
    logwriters.tf_scalars(
        os.path.join(root, "collapse", "validation"), {"epoch_accuracy": acc - 0.02, "epoch_loss": lss + 0.05}
    )
    payload_loss = np.linspace(1.0, 0.2, 20)
    payload_loss[12] = np.nan
    logwriters.tf_scalars(os.path.join(root, IMG_RUN), {"loss": payload_loss})
    logwriters.tf_scalars(os.path.join(root, *SCRIPT_RUN.split("/")), {"loss": payload_loss})
    logwriters.tf_scalars(os.path.join(root, UNJUDGED_RUN), {"Training/Overall": 36.0 + 0.3 * np.sin(np.arange(20))})
    import tensorflow as tf
    from tensorboard.plugins.scalar import metadata as scalar_metadata

    meta = scalar_metadata.create_summary_metadata(display_name="", description="")
    writer = tf.summary.create_file_writer(os.path.join(root, PARTIAL_RUN))
    with writer.as_default():
        for step, value in enumerate(payload_loss):
            tf.summary.scalar("loss", float(value), step=step)
            tf.summary.write("note", tf.constant("see the notebook"), step=step, metadata=meta)
    writer.close()


def _get(base, path):
    with urllib.request.urlopen(base + path, timeout=60) as r:
        return json.loads(r.read().decode("utf-8"))


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("browser_logs"))
    code = "import sys; from tests.test_browser_tab import _write_logs; _write_logs(sys.argv[1])"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", code, root], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root


@pytest.fixture(scope="module")
def bundle():
    # The page must run the sources as they are: rebuild the bundle when any
    # frontend file is newer than it (a no-op right after `pip install`).
    sys.path.insert(0, ROOT)
    try:
        import setup_frontend
    finally:
        sys.path.remove(ROOT)
    setup_frontend.build_frontend()
    return setup_frontend.BUNDLE


@contextlib.contextmanager
def serve(logdir, log_path, expected_runs, listed=()):
    """A real `tensorboard` on `logdir`, yielded once every expected run is analysed (and every run in
    `listed` is listed, whatever its status)."""
    # The Python loader reloading every second, not the blocking single load:
    # the live-refresh test writes a new run while the page is open.
    with tensorboard_process(
        logdir, log_path, "--load_fast", "false", "--reload_interval", "1", "--reload_task", "thread"
    ) as (base, _):
        deadline = time.monotonic() + 120
        while True:  # until every run is loaded and analysed
            body = _get(base, "/data/plugin/curvecheck/findings")
            analysed = {r["run"] for r in body["runs"] if r["status"] == "analysed"}
            if set(expected_runs) <= analysed and set(listed) <= {r["run"] for r in body["runs"]}:
                break
            assert time.monotonic() < deadline, (analysed, log_path.read_text(errors="replace")[-2000:])
            time.sleep(0.5)
        yield base


@pytest.fixture(scope="module")
def tensorboard(logdir, bundle, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("tb") / "tensorboard.log"
    with serve(logdir, log_path, EXPECTED_RUNS, listed=(PARTIAL_RUN,)) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is missing: scripts/test installs it (apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Session:
    def __init__(self, page, base):
        self.page = page
        self.base = base
        self.messages = []
        page.on("console", lambda m: self.messages.append((m.type, m.text, page.url)))
        page.on("pageerror", lambda e: self.messages.append(("pageerror", str(e), page.url)))

    def frame(self, timeout_s=30):
        if not self.page.url.startswith(self.base):
            # A test run on its own (`-k`) finds the shared page blank: open the tab as a user would, and
            # wait for its charts as the first test of the module does.
            self.page.goto(self.base + "/#curvecheck")
            self._find_frame(timeout_s).wait_for_selector(".cc-app[data-charts-drawn-ms]", timeout=60000)
        return self._find_frame(timeout_s)

    def _find_frame(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for f in self.page.frames:
                if "plugin_entry.html" in f.url and "curvecheck" in f.url:
                    return f
            self.page.wait_for_timeout(100)
        raise AssertionError("the CurveCheck iframe never appeared")


@pytest.fixture(scope="module")
def session(browser, tensorboard):
    page = browser.new_page(viewport={"width": 1440, "height": 960})
    yield Session(page, tensorboard)
    page.close()


def _settled_box(locator):
    """The element's box once smooth scrolling has stopped moving it."""
    page = locator.page
    box = locator.bounding_box()
    for _ in range(50):
        page.wait_for_timeout(100)
        again = locator.bounding_box()
        if again == box:
            return box
        box = again
    return box


def hover_until_tooltip(card, at, timeout_s=30):
    """Hovers the card's plot at `at(plot_box) -> (x, y)` until its tooltip shows.

    On a loaded machine the card may still be scrolling, loading or being
    rebuilt (a poll or a filter change replaces the plot, and the new one never
    saw the mouse arrive): wait until it is drawn and in view, then leave and
    re-enter the plot, again and again within a bound. Returns the plot's box.
    """
    page = card.page
    deadline = time.monotonic() + timeout_s
    tip = card.locator(".cc-tooltip")
    while True:
        card.scroll_into_view_if_needed()
        while card.get_attribute("data-state") != "drawn":
            assert time.monotonic() < deadline, "the chart was never drawn: %s" % card.get_attribute("data-state")
            page.wait_for_timeout(100)
        over = _settled_box(card.locator(".u-over"))
        x, y = at(over)
        page.mouse.move(over["x"] + over["width"] / 2, max(0, over["y"] - 40))  # out of the plot
        page.mouse.move(x, y, steps=4)
        try:
            tip.wait_for(state="visible", timeout=2000)
            return over
        except playwright_api.TimeoutError:
            if time.monotonic() > deadline:
                raise


def _findings(base):
    return _get(base, "/data/plugin/curvecheck/findings")["findings"]


def open_tab(session, what):
    """Opens TensorBoard, clicks the CurveCheck tab, waits for the first screen
    of charts and reports (never asserts) how long that took."""
    page = session.page
    page.goto(session.base + "/")
    tab = page.get_by_role("tab", name=re.compile("curvecheck", re.I))
    tab.wait_for(timeout=60000)
    started = time.monotonic()
    tab.click()
    frame = session.frame()
    frame.wait_for_selector(".cc-app[data-charts-drawn-ms]", timeout=60000)
    wall = time.monotonic() - started
    drawn_ms = int(frame.locator(".cc-app").get_attribute("data-charts-drawn-ms"))
    print(
        "\nCurveCheck tab on %s: click to first screen of charts drawn %.2f s "
        "(module start to drawn %d ms)" % (what, wall, drawn_ms)
    )
    return frame


def test_tab_appears_in_tensorboard_and_draws_the_charts(session):
    frame = open_tab(session, "the test logs")
    page = session.page
    assert frame.locator(".cc-card[data-state=drawn]").count() >= 2
    assert "/#curvecheck" in page.url


def test_findings_render_with_their_titles(session):
    frame = session.frame()
    expected = _findings(session.base)
    assert any(f["run"] == "diverged" and f["kind"] == "non_finite" for f in expected)
    shown = frame.locator(".cc-finding-title").all_text_contents()
    assert sorted(shown) == sorted(f["title"] for f in expected)
    summary = frame.locator(".cc-summary").text_content()
    runs = len(EXPECTED_RUNS) + 1  # and the run read only in part
    assert re.search(r"\d+ errors? · \d+ warnings? · \d+ infos? across %d runs" % runs, summary), summary
    # The explanation and evidence open on demand.
    item = frame.locator(".cc-finding[data-run=diverged][data-kind=non_finite]")
    item.locator("summary").click()
    assert item.locator(".cc-explanation").is_visible()
    assert item.locator(".cc-evidence dt").count() >= 1


def test_a_run_read_only_in_part_shows_its_findings_and_says_so(session):
    frame = session.frame()
    alert = frame.locator('.cc-run-failed[data-run="%s"]' % PARTIAL_RUN)
    alert.wait_for(timeout=30000)
    text = alert.text_content()
    assert "could be read only in part" in text and "not numbers" in text, text
    assert "could not be analysed" not in text
    # What was read is analysed: the NaN in its loss is a finding like any other run's.
    assert frame.locator('.cc-finding[data-run="%s"][data-kind=non_finite]' % PARTIAL_RUN).count() == 1


def test_an_experiment_never_judged_is_noted_as_text(session):
    frame = session.frame()
    notes = frame.locator(".cc-notes-list li")
    notes.first.wait_for(timeout=30000)
    texts = notes.all_text_contents()
    said = [t for t in texts if UNJUDGED_RUN in t]
    assert len(said) == 1, texts
    assert (
        "none of its 1 scalar series ('Training/Overall')" in said[0]
        and "checked for non-finite values only" in said[0]
    )
    # No run that names a loss is noted, and the name's markup stays text.
    assert not [t for t in texts if "'diverged'" in t or "'keras'" in t], texts
    assert frame.locator(".cc-notes img").count() == 0


def test_shaded_range_of_the_nan_finding_sits_at_its_steps(session):
    frame = session.frame()
    finding = next(f for f in _findings(session.base) if f["run"] == "diverged" and f["kind"] == "non_finite")
    assert finding["start_step"] == NAN_FROM
    frame.locator(".cc-finding[data-run=diverged][data-kind=non_finite] .cc-finding-head").click()
    card = frame.locator(".cc-card", has=frame.locator(".cc-band[data-run=diverged]"))
    card.wait_for(timeout=10000)
    band = card.locator(".cc-band[data-kind=non_finite]").first
    assert band.get_attribute("data-start-step") == str(finding["start_step"])
    assert band.get_attribute("data-end-step") == str(finding["end_step"])
    assert "cc-band-selected" in band.get_attribute("class")

    # The band covers exactly its steps: the cursor inside it reads a step in
    # range and lists the finding; one step to the left reads step 29 and not.
    def inside_band(over):
        box = band.bounding_box()
        return box["x"] + box["width"] / 2, over["y"] + over["height"] / 2

    over = hover_until_tooltip(card, inside_band)
    box = band.bounding_box()
    step_px = over["width"] / 40.0
    tip = card.locator(".cc-tooltip")
    step = int(tip.locator(".cc-tip-step").text_content().split()[-1])
    assert finding["start_step"] <= step <= finding["end_step"]
    assert finding["title"] in tip.text_content()
    frame.page.mouse.move(box["x"] - step_px * 0.9, over["y"] + over["height"] / 2)
    step = int(tip.locator(".cc-tip-step").text_content().split()[-1])
    assert step == finding["start_step"] - 1
    assert finding["title"] not in tip.text_content()


def test_nan_and_inf_are_markers_on_the_edge_not_zeros(session):
    frame = session.frame()
    card = frame.locator(".cc-card", has=frame.locator(".cc-band[data-run=diverged]"))
    nan = card.locator(".cc-nonfinite-nan[data-run=diverged]")
    assert nan.count() == 2  # steps 30–34 and 36–39, split by the +Inf at 35
    assert nan.first.get_attribute("data-start-step") == str(NAN_FROM)
    assert nan.first.text_content() == "NaN"
    inf = card.locator(".cc-nonfinite-posinf[data-run=diverged]")
    assert inf.count() == 1 and inf.get_attribute("data-start-step") == "35"
    # On the top edge of the plot, not where 0 would be.
    over = card.locator(".u-over").bounding_box()
    assert abs(nan.first.bounding_box()["y"] - over["y"]) < 2

    # The tooltip says NaN at a NaN step.
    def on_nan(over):
        nb = nan.first.bounding_box()
        return nb["x"] + nb["width"] / 2, over["y"] + over["height"] / 2

    hover_until_tooltip(card, on_nan)
    assert "NaN" in card.locator(".cc-tooltip .cc-tip-val").first.text_content()


def test_histogram_findings_are_drawn_with_the_statistic_they_rest_on(session):
    frame = session.frame()
    tags = _get(session.base, "/data/plugin/curvecheck/tags")["runs"]
    hist = [f for f in _findings(session.base) if tags.get(f["run"], {}).get(f["tag"], {}).get("type") == "histogram"]
    assert hist, "the kicked Keras run should have histogram findings"
    for f in hist:
        chart_id = "\u241f".join(["hist", f["run"], f["tag"], f["evidence"]["statistic"]])
        card = frame.locator(".cc-card[data-chart-id=%s]" % json.dumps(chart_id, ensure_ascii=False))
        card.scroll_into_view_if_needed()
        card.locator(".cc-band").first.wait_for(timeout=10000)
        band = card.locator(".cc-band[data-kind=%s]" % f["kind"]).first
        assert (band.get_attribute("data-start-step"), band.get_attribute("data-end-step")) == (
            str(f["start_step"]),
            str(f["end_step"]),
        )
    zero = frame.locator(".cc-card[data-kind=histogram] .cc-card-sub", has_text="share of exact zeros")
    assert zero.count() >= 1


def test_run_names_with_markup_are_shown_as_text_and_never_run(session):
    frame = session.frame()
    names = frame.locator(".cc-run-name").all_text_contents()
    assert IMG_RUN in names and SCRIPT_RUN in names
    legends = frame.locator(".cc-legend-run").all_text_contents()
    frame.locator(".cc-card[data-chart-id^='<img']").first.scroll_into_view_if_needed()
    frame.wait_for_selector(".cc-legend-run >> text=%s" % json.dumps(IMG_RUN), timeout=10000)
    legends = frame.locator(".cc-legend-run").all_text_contents()
    assert IMG_RUN in legends
    assert frame.locator(".cc-app img, .cc-app script").count() == 0
    assert frame.evaluate("window.__ccPwned") is None
    assert session.page.evaluate("window.__ccPwned") is None


def test_filters_and_smoothing_live_in_the_url_and_a_link_reproduces_the_view(session, browser):
    frame = session.frame()
    frame.locator("#cc-runs").fill("^(diverged|keras)")
    frame.locator("#cc-sev-info").uncheck()
    num = frame.locator(".cc-smooth-number")
    num.fill("0.9")
    num.press("Enter")
    frame.wait_for_function("location.hash.includes('smoothing=0.9')")
    state = urllib.parse.parse_qs(frame.evaluate("location.hash").lstrip("#"))
    assert state["runs"] == ["^(diverged|keras)"]
    assert state["severities"] == ["error,warning"]
    assert "finding" in state
    # Filtered: only matching runs' findings and charts remain.
    assert set(frame.locator(".cc-finding").evaluate_all("els => els.map(e => e.dataset.run)")) <= {
        "diverged",
        "keras/train",
        "keras/validation",
    }
    assert frame.locator(".cc-card[data-chart-id^='collapse']").first.is_hidden()
    # TensorBoard's own address bar carries the view as p.curvecheck.* keys.
    link = session.page.url
    assert "p.curvecheck.smoothing=0.9" in link, link

    other = browser.new_page(viewport={"width": 1440, "height": 960})
    try:
        s2 = Session(other, session.base)
        other.goto(link)
        f2 = s2.frame(60)
        f2.wait_for_selector(".cc-app[data-charts-drawn-ms]", timeout=60000)
        assert f2.locator("#cc-runs").input_value() == "^(diverged|keras)"
        assert f2.locator(".cc-smooth-number").input_value() == "0.9"
        assert not f2.locator("#cc-sev-info").is_checked()
        selected = f2.locator(".cc-finding.cc-selected")
        assert selected.get_attribute("data-run") == "diverged"
        assert f2.locator(".cc-band-selected[data-run=diverged]").count() >= 1
        errors = [m for m in s2.messages if m[0] in ("error", "pageerror")]
        assert errors == []
    finally:
        other.close()
    # Back to the full view for the tests that follow.
    frame.locator("#cc-runs").fill("")
    frame.locator("#cc-sev-info").check()
    num.fill("0.6")
    num.press("Enter")


def test_keyboard_selects_findings_and_drives_the_chart_cursor(session):
    frame = session.frame()
    head = frame.locator(".cc-finding[data-run='collapse/train'] .cc-finding-head").first
    head.focus()
    frame.page.keyboard.press("Enter")
    assert head.get_attribute("aria-pressed") == "true"
    key = head.get_attribute("data-finding-key")
    card = frame.locator(".cc-card", has=frame.locator(".cc-band-selected"))
    card.first.wait_for(timeout=10000)
    assert card.first.locator(".cc-band-selected").first.get_attribute("data-finding-key") == key
    card.first.focus()
    frame.page.keyboard.press("End")
    frame.page.keyboard.press("ArrowLeft")
    assert card.first.locator(".cc-tooltip").is_visible()
    assert card.first.locator(".cc-tip-step").text_content() == "step 28"


def test_follows_tensorboards_dark_mode(session):
    frame = session.frame()
    assert frame.evaluate("document.documentElement.dataset.theme") == "light"
    session.page.evaluate("document.body.classList.add('dark-mode')")
    frame.wait_for_function("document.documentElement.dataset.theme === 'dark'", timeout=5000)
    bg = frame.evaluate("getComputedStyle(document.querySelector('.cc-card')).backgroundColor")
    assert bg == "rgb(58, 58, 58)"
    session.page.evaluate("document.body.classList.remove('dark-mode')")
    frame.wait_for_function("document.documentElement.dataset.theme === 'light'", timeout=5000)


def test_hovering_the_selected_range_lists_its_finding(session):
    frame = session.frame()
    frame.locator("#cc-runs").fill("^(collapse|diverged|keras)")
    finding = next(
        f for f in _findings(session.base) if f["run"] == "collapse/train" and f["kind"] == "metric_collapse"
    )
    head = frame.locator(".cc-finding[data-run='collapse/train'][data-kind=metric_collapse] .cc-finding-head")
    if head.get_attribute("aria-pressed") != "true":  # a second click deselects
        head.click()
    card = frame.locator(".cc-card").filter(has=frame.locator(".cc-band-selected")).first
    card.wait_for()
    band = card.locator(".cc-band-selected").first

    def inside_band(over):
        box = band.bounding_box()
        return box["x"] + box["width"] * 0.6, over["y"] + over["height"] * 0.45

    hover_until_tooltip(card, inside_band)
    tip = card.locator(".cc-tooltip").text_content()
    assert finding["title"] in tip, tip
    frame.locator("#cc-runs").fill("")


def test_refreshes_while_training_writes_and_keeps_zoom_selection_and_scroll(session, logdir):
    frame = session.frame()
    card = frame.locator(".cc-card", has=frame.locator(".cc-band-selected")).first
    selected_key = frame.locator(".cc-finding.cc-selected").get_attribute("data-finding-key")
    over = _settled_box(card.locator(".u-over"))
    y = over["y"] + over["height"] / 2
    page = frame.page
    page.mouse.move(over["x"] + over["width"] * 0.2, y)
    page.mouse.down()
    page.mouse.move(over["x"] + over["width"] * 0.6, y, steps=5)
    page.mouse.up()
    assert card.get_attribute("data-zoomed") == "true"
    zoom_before = card.evaluate("el => el.querySelector('.cc-band').style.left")
    scroll_before = frame.locator(".cc-main").evaluate("el => el.scrollTop")
    generation = frame.locator(".cc-app").get_attribute("data-generation")

    # Training goes on: a new run appears, with a NaN.
    live = np.linspace(1.0, 0.5, 25)
    live[20:] = np.nan
    logwriters.tbx_scalars(os.path.join(logdir, "live"), {"loss": live})
    frame.wait_for_selector(".cc-finding[data-run=live]", timeout=30000)
    assert frame.locator(".cc-app").get_attribute("data-generation") != generation
    assert card.get_attribute("data-zoomed") == "true"
    assert card.evaluate("el => el.querySelector('.cc-band').style.left") == zoom_before
    assert frame.locator(".cc-finding.cc-selected").get_attribute("data-finding-key") == selected_key
    assert frame.locator(".cc-main").evaluate("el => el.scrollTop") == scroll_before
    # Double-click resets the zoom.
    page.mouse.dblclick(over["x"] + over["width"] / 2, y)
    assert card.get_attribute("data-zoomed") == "false"


def test_no_errors_in_the_browser_console(session):
    errors = [m for m in session.messages if m[0] in ("error", "pageerror")]
    assert errors == []
