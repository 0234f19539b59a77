"""The tab's charts and run filter in a real browser (Debian's chromium via
Playwright) against a real `tensorboard` process: log scale on a loss whose
validation spikes 10,000x (written by `tf.summary`), zoom into 1 % of a
100k-step series (written by tensorboardX) fetched at full resolution and
kept in the URL, the learning-rate overlay, and a run filter that would
backtrack for minutes in the browser's own RegExp.

One tensorboard process for the module; the tests run in file order.
"""

import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse

import numpy as np
import pytest

from tests import logwriters
from tests.test_browser_tab import (  # noqa: F401  (browser, bundle: fixtures)
    ROOT,
    Session,
    _get,
    _settled_box,
    browser,
    bundle,
    open_tab,
    serve,
)

playwright_api = pytest.importorskip("playwright.sync_api")

LONG_STEPS = 100_000
SPIKE_EPOCH, SPIKE = 10, 12_000.0
HOSTILE_RUN = "a" * 30 + "!"
HOSTILE_PATTERN = "(a+)+$"  # 2^30 backtracking steps on HOSTILE_RUN
RUNS = {"spike/train", "spike/validation", "long", HOSTILE_RUN}
SPIKE_CHART = "spike|loss|epoch"
# Where the log-scale chart's picture goes; a folder outside the repository
# can be named with CURVECHECK_SHOTS to keep it.
SHOTS = os.environ.get("CURVECHECK_SHOTS")


def _write_logs(root):
    """Runs in a child process: TensorFlow stays out of the test process."""
    epochs = np.arange(30)
    train = 2.0 * 10 ** (-epochs / 29.0)  # 2.0 down to 0.2: one decade
    val = train * 1.1
    val[SPIKE_EPOCH] = SPIKE  # about 10,000x every other value
    lr = np.where(epochs < SPIKE_EPOCH, 0.01, 1.0)
    logwriters.tf_scalars(os.path.join(root, "spike", "train"), {"epoch_loss": train, "epoch_learning_rate": lr})
    logwriters.tf_scalars(os.path.join(root, "spike", "validation"), {"epoch_loss": val})
    steps = np.arange(LONG_STEPS)
    # Smooth decay plus a wiggle every 7 steps: thinning must drop points.
    loss = 2.0 / (1 + steps / 5000) + 0.05 * np.sin(steps * 2 * np.pi / 7)
    logwriters.tbx_scalars(os.path.join(root, "long"), {"loss": loss})
    logwriters.tbx_scalars(os.path.join(root, HOSTILE_RUN), {"loss": np.linspace(1.0, 0.5, 20)})


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("chart_logs"))
    code = "import sys; from tests.test_browser_charts import _write_logs; _write_logs(sys.argv[1])"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", code, root], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return root


@pytest.fixture(scope="module")
def tensorboard(logdir, bundle, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("tb_charts") / "tensorboard.log"
    with serve(logdir, log_path, RUNS) as base:
        yield base


@pytest.fixture(scope="module")
def session(browser, tensorboard):
    page = browser.new_page(viewport={"width": 1440, "height": 960})
    yield Session(page, tensorboard)
    page.close()


def _series(base, **params):
    q = urllib.parse.urlencode({"run": "long", "tag": "loss", **params})
    return _get(base, "/data/plugin/curvecheck/series?" + q)["series"][0]


def _card(frame, chart_id):
    card = frame.locator(".cc-card[data-chart-id=%s]" % json.dumps(chart_id))
    card.scroll_into_view_if_needed()
    frame.wait_for_function(
        "id => { const c = document.querySelector("
        '`.cc-card[data-chart-id="${CSS.escape(id)}"]`);'
        " return c && c.dataset.state === 'drawn'; }",
        arg=chart_id,
        timeout=30000,
    )
    return card


def _spans(card):
    return {(s["run"], s["tag"]): s["px"] for s in json.loads(card.get_attribute("data-y-spans"))}


def test_series_route_reads_a_step_range_thinned_only_within_it(tensorboard):
    whole = _series(tensorboard)
    assert whole["total_points"] == LONG_STEPS and whole["thinned"]
    fine = _series(tensorboard, start_step=50_000, end_step=50_999, max_points=2000)
    assert fine["steps"] == list(range(50_000, 51_000))
    assert fine["range_points"] == 1000 and fine["total_points"] == LONG_STEPS
    assert not fine["thinned"]
    coarse = _series(tensorboard, start_step=50_000, end_step=59_999, max_points=100)
    assert coarse["thinned"] and coarse["range_points"] == 10_000
    assert coarse["steps"][0] == 50_000 and coarse["steps"][-1] == 59_999
    assert len(coarse["steps"]) <= 100
    for bad in ({"start_step": 10, "end_step": 5}, {"start_step": "ten"}):
        with pytest.raises(urllib.error.HTTPError) as err:
            _series(tensorboard, **bad)
        assert err.value.code == 400


def test_log_scale_is_suggested_and_shows_train_and_validation(session, tmp_path):
    frame = open_tab(session, "the chart logs")
    card = _card(frame, SPIKE_CHART)
    assert card.get_attribute("data-log-suggested") == "true"
    toggle = card.locator(".cc-log-toggle")
    assert "cc-log-suggested" in toggle.get_attribute("class")
    assert toggle.get_attribute("aria-pressed") == "false"
    plot_height = card.locator(".u-over").bounding_box()["height"]
    linear = _spans(card)
    # Linear: the spike takes most of the height (the axis rounds up), training's whole curve
    # (a decade, 2.0 to 0.2) fits in under one pixel.
    assert linear[("spike/train", "epoch_loss")] < 1.0, linear
    assert linear[("spike/validation", "epoch_loss")] > 0.75 * plot_height

    toggle.click()
    frame.wait_for_function(
        "document.querySelector('.cc-card[data-chart-id=\"%s\"]').dataset.log === 'true'" % SPIKE_CHART
    )
    card.locator(".u-over").wait_for()
    log = _spans(card)
    # One decade of 4.8 on the axis: about a fifth of the height.
    assert log[("spike/train", "epoch_loss")] > 0.15 * plot_height, log
    assert log[("spike/validation", "epoch_loss")] > 0.75 * plot_height, log
    assert toggle.get_attribute("aria-pressed") == "true"
    assert "log=" in frame.evaluate("location.hash")
    folder = SHOTS or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    card.screenshot(path=os.path.join(folder, "log_scale_spike_loss.png"))


def test_learning_rate_overlays_on_a_second_axis(session, tmp_path):
    frame = session.frame()
    card = _card(frame, SPIKE_CHART)
    card.locator(".cc-context-toggle").click()
    legend = card.locator(".cc-legend-context")
    legend.wait_for(timeout=10000)
    assert "epoch_learning_rate" in legend.text_content()
    assert card.get_attribute("data-context") == "true"
    # The rate's own axis on the right: its jump (0.01 to 1.0) is visible
    # beside the loss it precedes, whatever the loss's scale.
    folder = SHOTS or str(tmp_path)
    card.screenshot(path=os.path.join(folder, "learning_rate_overlay.png"))
    errors = [m for m in session.messages if m[0] in ("error", "pageerror")]
    assert errors == []


def _drag(page, over, a, b):
    y = over["y"] + over["height"] / 2
    page.mouse.move(over["x"] + over["width"] * a, y)
    page.mouse.down()
    page.mouse.move(over["x"] + over["width"] * b, y, steps=6)
    page.mouse.up()


def _zoom(card):
    lo, hi = (float(v) for v in card.get_attribute("data-zoom").split(":"))
    return lo, hi


def _wait_for_detail(card, timeout_s=30):
    """Until the card holds full-resolution points for its whole zoom."""
    deadline = time.monotonic() + timeout_s
    while True:
        detail = card.get_attribute("data-detail") or ""
        zoom = card.get_attribute("data-zoom")
        if re.fullmatch(r"-?\d+:-?\d+", detail) and zoom:
            d_lo, d_hi = (int(v) for v in detail.split(":"))
            lo, hi = _zoom(card)
            if d_lo <= lo and hi <= d_hi:
                return lo, hi
        assert time.monotonic() < deadline, (detail, zoom)
        card.page.wait_for_timeout(100)


def _long_card(frame):
    frame.locator("#cc-runs").fill("^long$")
    chart_id = frame.locator(".cc-card[data-chart-id^='long|']").first.get_attribute("data-chart-id")
    return _card(frame, chart_id)


def test_zooming_into_one_percent_draws_every_point_of_it(session):
    frame = session.frame()
    card = _long_card(frame)
    assert re.search(r"\d+ of 100000 points drawn", card.locator(".cc-legend").text_content())
    page = frame.page
    _drag(page, _settled_box(card.locator(".u-over")), 0.40, 0.50)  # 10 %
    _wait_for_detail(card)
    _drag(page, _settled_box(card.locator(".u-over")), 0.45, 0.55)  # 10 % of that
    lo, hi = _wait_for_detail(card)
    assert 0.005 * LONG_STEPS < hi - lo < 0.02 * LONG_STEPS, (lo, hi)
    expected = math.floor(hi) - math.ceil(lo) + 1  # one point per step
    frame.wait_for_function(
        "([sel, n]) => document.querySelector(sel).dataset.pointsInView === String(n)",
        arg=[".cc-card[data-chart-id^='long|']", expected],
        timeout=10000,
    )
    server = _series(session.base, start_step=math.ceil(lo), end_step=math.floor(hi), max_points=100000)
    assert len(server["steps"]) == expected
    assert "zoom=" in frame.evaluate("location.hash")
    assert "p.curvecheck.zoom=" in page.url


def test_zoom_survives_a_reload_of_the_copied_link(session, browser):
    frame = session.frame()
    card = frame.locator(".cc-card[data-chart-id^='long|']")
    zoom_before = _zoom(card)
    frame.locator(".cc-button", has_text="Copy link").click()
    link = frame.locator(".cc-link-out").input_value()
    assert "p.curvecheck.zoom=" in link, link
    other = browser.new_page(viewport={"width": 1440, "height": 960})
    try:
        s2 = Session(other, session.base)
        other.goto(link)
        f2 = s2.frame(60)
        card2 = _long_card(f2)
        assert card2.get_attribute("data-zoomed") == "true"
        lo, hi = _wait_for_detail(card2)
        # The link keeps whole steps: the range rounded outwards.
        assert (lo, hi) == (math.floor(zoom_before[0]), math.ceil(zoom_before[1]))
        f2.wait_for_function(
            "([sel, n]) => document.querySelector(sel).dataset.pointsInView === String(n)",
            arg=[".cc-card[data-chart-id^='long|']", int(hi - lo + 1)],
            timeout=10000,
        )
        errors = [m for m in s2.messages if m[0] in ("error", "pageerror")]
        assert errors == []
    finally:
        other.close()
    frame.locator("#cc-runs").fill("")


def _responsive(page, timeout_ms=5000):
    """The page runs a script within the time: its thread is not stuck."""
    page.wait_for_function("() => true", timeout=timeout_ms)


def test_a_catastrophic_pattern_typed_in_the_filter_keeps_the_page_responsive(session):
    frame = session.frame()
    page = frame.page
    frame.locator("#cc-runs").fill(HOSTILE_PATTERN)
    _responsive(page)
    status = frame.locator(".cc-run-status")
    status.wait_for(timeout=5000)
    assert status.text_content() == "0 of %d runs match" % len(RUNS)
    assert frame.locator(".cc-finding:visible").count() == 0
    frame.locator("#cc-runs").fill("(")
    error = frame.locator(".cc-run-error")
    assert error.is_visible() and error.text_content().startswith("Invalid regular expression")
    assert frame.locator("#cc-runs").get_attribute("aria-invalid") == "true"
    frame.locator("#cc-runs").fill("(a)\\1")
    assert "back-references" in error.text_content()
    frame.locator("#cc-runs").fill("")
    assert error.is_hidden()


def test_a_catastrophic_pattern_in_a_link_keeps_a_fresh_page_responsive(session, browser):
    other = browser.new_page(viewport={"width": 1440, "height": 960})
    try:
        s2 = Session(other, session.base)
        other.goto(session.base + "/#curvecheck&p.curvecheck.runs=" + urllib.parse.quote(HOSTILE_PATTERN, safe=""))
        f2 = s2.frame(60)
        # The findings are cached by now: the tab is ready within seconds,
        # and a page stuck matching the pattern never gets to say so.
        f2.wait_for_selector(".cc-app[data-state=ready]", timeout=15000)
        _responsive(other)
        assert f2.locator("#cc-runs").input_value() == HOSTILE_PATTERN
        f2.wait_for_function(
            "document.querySelector('.cc-run-status').textContent === '0 of %d runs match'" % len(RUNS), timeout=5000
        )
        hostile = f2.locator(".cc-card[data-chart-id^=%s]" % json.dumps(HOSTILE_RUN + "|"))
        assert hostile.is_hidden()
        # The hostile run's own chart is there once the filter is cleared.
        f2.locator("#cc-runs").fill("")
        _responsive(other)
        hostile.wait_for(state="visible", timeout=10000)
    finally:
        other.close()


def test_no_errors_in_the_browser_console(session):
    errors = [m for m in session.messages if m[0] in ("error", "pageerror")]
    assert errors == []
