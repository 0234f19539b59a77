"""Builds the CurveCheck tab (``frontend/``) into ``tb_curvecheck/static/``.

setup.py wires these commands in through ``cmdclass``. The bundle is a build
output: it is made by ``npm ci`` and esbuild whenever the package is built or
installed (regular, editable, or ``setup.py develop``), and never committed.
Set ``CURVECHECK_SKIP_FRONTEND=1`` to install the Python side alone (the tab
then needs a bundle that is already there).
"""

import os
import shutil
import subprocess
import sys

from setuptools import Command
from setuptools.command.build_py import build_py as _build_py
from setuptools.command.develop import develop as _develop

try:  # setuptools >= 64: PEP 660 editable installs do not run `develop`.
    from setuptools.command.editable_wheel import editable_wheel as _editable_wheel
except ImportError:  # pragma: no cover - older setuptools
    _editable_wheel = None

try:
    from setuptools.errors import ExecError as _BuildError
except ImportError:  # pragma: no cover - older setuptools
    from distutils.errors import DistutilsExecError as _BuildError

HERE = os.path.dirname(os.path.abspath(__file__))
FRONTEND = os.path.join(HERE, "frontend")
STATIC = os.path.join(HERE, "tb_curvecheck", "static")
BUNDLE = os.path.join(STATIC, "index.js")
MIN_NODE = 18  # esbuild's own floor

NO_NPM = """\
CurveCheck's TensorBoard tab is built from frontend/ with Node.js and npm, and
{what} was not found on PATH. Install Node.js {min_node} or newer with npm
(Debian/Ubuntu: `apt-get install nodejs npm`; elsewhere https://nodejs.org),
then run the install again. To install only the Python side, set
CURVECHECK_SKIP_FRONTEND=1 (the CurveCheck tab will then be missing)."""


def _source_files():
    yield os.path.join(FRONTEND, "package.json")
    yield os.path.join(FRONTEND, "package-lock.json")
    yield os.path.join(FRONTEND, "build.mjs")
    for root, _dirs, files in os.walk(os.path.join(FRONTEND, "src")):
        for name in files:
            yield os.path.join(root, name)


def _newest_source_mtime():
    return max(os.path.getmtime(p) for p in _source_files() if os.path.exists(p))


def bundle_is_current():
    return os.path.exists(BUNDLE) and os.path.getmtime(BUNDLE) >= _newest_source_mtime()


def _run(cmd, announce):
    announce("curvecheck frontend: running %s (in frontend/)" % " ".join(cmd))
    try:
        subprocess.check_call(cmd, cwd=FRONTEND)
    except subprocess.CalledProcessError as exc:
        raise _BuildError(
            "building CurveCheck's tab failed: `%s` exited with %d (see its output above)"
            % (" ".join(cmd), exc.returncode)
        ) from exc


def _check_node(node, announce):
    out = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    try:
        major = int(out.lstrip("v").split(".")[0])
    except ValueError:
        major = 0
    if major < MIN_NODE:
        raise _BuildError(
            "CurveCheck's tab needs Node.js %d or newer to build; found %s at %s"
            % (MIN_NODE, out or "an unknown version", node)
        )


def build_frontend(force=False, announce=None):
    """Makes tb_curvecheck/static/index.js from frontend/ unless it is current."""
    announce = announce or (lambda msg: print(msg, file=sys.stderr))
    if os.environ.get("CURVECHECK_SKIP_FRONTEND") == "1":
        announce("curvecheck frontend: skipped (CURVECHECK_SKIP_FRONTEND=1)")
        return
    if not os.path.isdir(FRONTEND):
        # Built from an sdist or wheel that already carries the bundle.
        if os.path.exists(BUNDLE):
            return
        raise _BuildError("neither frontend/ sources nor a built %s were found" % BUNDLE)
    if not force and bundle_is_current():
        announce("curvecheck frontend: %s is up to date" % os.path.relpath(BUNDLE, HERE))
        return
    npm = shutil.which("npm")
    node = shutil.which("node")
    if not node or not npm:
        raise _BuildError(NO_NPM.format(what="node" if not node else "npm", min_node=MIN_NODE))
    _check_node(node, announce)
    lock = os.path.join(FRONTEND, "package-lock.json")
    installed = os.path.join(FRONTEND, "node_modules", ".package-lock.json")
    if not os.path.exists(installed) or os.path.getmtime(installed) < os.path.getmtime(lock):
        # `npm ci` installs exactly the committed lock file; --prefer-offline
        # uses the npm cache when it already holds the packages.
        _run([npm, "ci", "--no-audit", "--no-fund", "--prefer-offline"], announce)
    _run([node, "build.mjs"], announce)
    if not os.path.exists(BUNDLE):
        raise _BuildError("the frontend build finished but %s is missing" % BUNDLE)


class BuildFrontend(Command):
    """`python setup.py build_frontend [--force]`"""

    description = "bundle the CurveCheck TensorBoard tab into tb_curvecheck/static"
    user_options = [("force", "f", "rebuild even if the bundle looks current")]
    boolean_options = ["force"]

    def initialize_options(self):
        self.force = False

    def finalize_options(self):
        pass

    def run(self):
        build_frontend(force=bool(self.force), announce=lambda m: self.announce(m, level=2))


class BuildPy(_build_py):
    def run(self):
        # Before package data is collected, so the bundle is part of it.
        self.run_command("build_frontend")
        super().run()


class Develop(_develop):
    def run(self):
        self.run_command("build_frontend")
        super().run()


def cmdclass():
    classes = {"build_frontend": BuildFrontend, "build_py": BuildPy, "develop": Develop}
    if _editable_wheel is not None:

        class EditableWheel(_editable_wheel):
            def run(self):
                self.run_command("build_frontend")
                super().run()

        classes["editable_wheel"] = EditableWheel
    return classes
