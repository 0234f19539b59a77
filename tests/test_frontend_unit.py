"""The tab's pure logic (smoothing, alignment, URL state with zoom and log
scale, grouping, chart planning, the linear-time run filter, the log-scale
suggestion) under node's own test runner, and the rules the frontend sources
keep."""

import os
import re
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FRONTEND = os.path.join(ROOT, "frontend")


def test_node_unit_tests_pass():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: scripts/test installs it (apt-get install nodejs npm)")
    proc = subprocess.run([node, "--test", "test/"], cwd=FRONTEND, capture_output=True, text=True, timeout=120)
    summary = re.findall(r"^# (tests|pass|fail) (\d+)$", proc.stdout, re.M)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    counts = dict(summary)
    assert int(counts["fail"]) == 0 and int(counts["pass"]) >= 25, counts


def _sources():
    for root, _dirs, files in os.walk(os.path.join(FRONTEND, "src")):
        for name in files:
            if name.endswith(".js"):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as f:
                    yield os.path.relpath(path, ROOT), f.read()


def test_sources_never_parse_markup():
    # Run and tag names are text: DOM is built with createElement/textContent.
    banned = re.compile(r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval)\b|new Function\(")
    hits = [(p, m.group(0)) for p, text in _sources() for m in banned.finditer(text)]
    assert hits == []


def test_sources_use_relative_urls_only():
    # TensorBoard serves the tab under <base href="plugin/curvecheck/">, behind
    # --path_prefix or /experiment/<id>/; the iframe's CSP forbids other origins.
    absolute = re.compile(r"""fetch\(\s*['"`](/|https?:)|['"`]https?://""")
    hits = [p for p, text in _sources() if absolute.search(text)]
    assert hits == []


def test_lock_file_is_committed_with_the_package():
    out = subprocess.run(
        ["git", "ls-files", "frontend/package.json", "frontend/package-lock.json", "tb_curvecheck/static"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        pytest.skip("not a git checkout")
    tracked = set(out.stdout.split())
    assert {"frontend/package.json", "frontend/package-lock.json"} <= tracked
    # The bundle is a build output: only the folder's .gitignore is tracked.
    assert {p for p in tracked if p.startswith("tb_curvecheck/static")} == {"tb_curvecheck/static/.gitignore"}
