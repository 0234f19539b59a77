"""The architecture's import rules (DESIGN.md, "Parts and what each may know"),
checked on the source: a violation fails here before it breaks TensorBoard."""

import ast
import os
import subprocess
import sys

import pytest

PKG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tb_curvecheck")

# part -> top-level packages / sibling parts it must never import
FORBIDDEN = {
    "model.py": {
        "tensorboard",
        "tensorflow",
        "keras",
        "werkzeug",
        "analysis",
        "detectors",
        "reading",
        "plugin",
        "cli",
        "api",
    },
    # The callback's tags: read by the analysis, written by the callback; knows neither.
    "tags.py": {
        "tensorboard",
        "tensorflow",
        "keras",
        "werkzeug",
        "analysis",
        "detectors",
        "reading",
        "plugin",
        "cli",
        "api",
        "model",
        "numpy",
    },
    "detectors": {"tensorboard", "tensorflow", "keras", "werkzeug", "analysis", "reading", "plugin", "cli", "api"},
    "analysis": {"tensorboard", "tensorflow", "keras", "werkzeug", "reading", "plugin", "cli", "api"},
    "reading.py": {"tensorflow", "keras", "analysis", "detectors", "plugin"},
    "plugin": {"tensorflow", "keras", "cli"},
    "cli.py": {"tensorflow", "keras", "plugin"},
}


def _imports(path):
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                yield node.module.split(".")[0]
            elif node.level >= 1:
                # `from ..analysis import x` / `from . import x` inside a subpackage
                mod = (node.module or "").split(".")[0]
                if mod:
                    yield mod
                for a in node.names:
                    yield a.name


def _files(part):
    path = os.path.join(PKG, part)
    if os.path.isfile(path):
        return [path]
    return [os.path.join(path, f) for f in sorted(os.listdir(path)) if f.endswith(".py")]


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_part_imports_only_what_it_may(part):
    bad = []
    for path in _files(part):
        own = os.path.basename(os.path.dirname(path)) if not os.path.isfile(os.path.join(PKG, part)) else None
        for name in _imports(path):
            if name in FORBIDDEN[part] and name != own:
                bad.append("%s imports %s" % (os.path.relpath(path, PKG), name))
    assert not bad, bad


# Modules of `detectors/` that any detector may import; a detector never imports another
# detector's module (shared measurements live in `stats`, shared knowledge of well-known RL
# environments in `environments`, of the class prior's entropy in `prior_entropy`), only the registry
# lists them all.
DETECTOR_SHARED = {"base", "stats", "wording", "histogram_stats", "model", "tags", "environments", "prior_entropy"}
# A detector's companion module (the wording of its findings) and the detector it serves: only they
# import each other.
COMPANIONS = {"never_stories": "scalar_never"}


def _companions(a: str, b: str) -> bool:
    return COMPANIONS.get(a) == b or COMPANIONS.get(b) == a


def test_detectors_share_only_the_shared_modules():
    bad = []
    folder = os.path.join(PKG, "detectors")
    siblings = {f[:-3] for f in os.listdir(folder) if f.endswith(".py")}
    for f in sorted(os.listdir(folder)):
        if not f.endswith(".py") or f in ("registry.py", "__init__.py"):
            continue
        tree = ast.parse(open(os.path.join(folder, f), encoding="utf-8").read())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                names = [node.module] if node.module else [a.name for a in node.names]
                bad += [
                    "%s imports %s" % (f, n)
                    for n in names
                    if n.split(".")[0] in siblings
                    and n.split(".")[0] not in DETECTOR_SHARED
                    and not _companions(f[:-3], n.split(".")[0])
                ]
    assert not bad, bad


def test_no_callback_tag_is_spelled_outside_tags_module():
    """The callback's tags are built and recognised through `tb_curvecheck.tags` only."""
    bad = []
    for part in ("analysis", "detectors", "keras.py"):
        for path in _files(part):
            text = open(path, encoding="utf-8").read()
            code = ast.parse(text)
            for node in ast.walk(code):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and "curvecheck/" in node.value
                    and not _is_docstring(code, node)
                ):
                    bad.append("%s: %r" % (os.path.relpath(path, PKG), node.value[:60]))
    assert not bad, bad


def _is_docstring(tree, node):
    for holder in ast.walk(tree):
        body = getattr(holder, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and body[0].value is node:
            return True
    return False


def test_plugin_entry_point_and_scan_run_without_tensorflow():
    """TensorBoard runs without TensorFlow: with TensorFlow made unimportable,
    the entry point loads and a scan of real logs works."""
    code = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in ('tensorflow', 'keras'):\n"
        "            raise ImportError('blocked for the test: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from tb_curvecheck.plugin.loader import CurveCheckLoader\n"
        "import tb_curvecheck.plugin.plugin, tb_curvecheck.cli\n"
        "from tb_curvecheck.analysis import pipeline\n"
        "from tb_curvecheck.model import ScalarSeries\n"
        "f = pipeline.analyze_series({'r': {'loss': ScalarSeries.from_points([0, 1, 2], [1.0, float('nan'), 0.5])}})\n"
        "assert [x.kind for x in f] == ['non_finite'], f\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-3000:]
