"""CurveCheck: a TensorBoard plugin that finds what went wrong in a training run."""

import os
import re

from setuptools import find_packages, setup

from setup_frontend import cmdclass as frontend_cmdclass

HERE = os.path.dirname(os.path.abspath(__file__))


def _read(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        return f.read()


def _version():
    """The one version, `tb_curvecheck.__version__` (read, not imported: the
    build must not need the package's dependencies)."""
    match = re.search(r'^__version__ = "([^"]+)"', _read(os.path.join("tb_curvecheck", "__init__.py")), re.M)
    return match.group(1)


setup(
    name="tb-curvecheck",
    version=_version(),
    description="A TensorBoard plugin that tells you what went wrong in a training run and shows it on your curves.",
    long_description=_read("README.md") if os.path.exists(os.path.join(HERE, "README.md")) else "",
    long_description_content_type="text/markdown",
    packages=find_packages(include=["tb_curvecheck", "tb_curvecheck.*"]),
    package_data={"tb_curvecheck": ["static/*", "static/**/*"]},
    include_package_data=True,
    # Builds the TensorBoard tab (frontend/) into tb_curvecheck/static/.
    cmdclass=frontend_cmdclass(),
    python_requires=">=3.9",
    install_requires=[
        "tensorboard>=2.16",
        "numpy>=1.22",
        "protobuf>=3.20",
    ],
    extras_require={
        # The demo and the Keras callback need TensorFlow; the plugin never does.
        "tf": ["tensorflow-cpu>=2.16"],
        # `curvecheck scan --scheduler/--dask-local`: batches of runs on a Dask cluster.
        "dask": ["dask[distributed]>=2024.1"],
        "test": [
            # tests/test_distributed.py runs the Dask backend on a local 2-worker cluster.
            "dask[distributed]>=2024.1",
            "pytest>=7",
            "tensorflow-cpu>=2.16",
            "tensorboardX>=2.6",
            "playwright>=1.40",
            "werkzeug>=2",
            # .ci/run lints the tree with it.
            "ruff>=0.6",
        ],
    },
    entry_points={
        "console_scripts": ["curvecheck = tb_curvecheck.cli:main"],
        "tensorboard_plugins": ["curvecheck = tb_curvecheck.plugin.loader:CurveCheckLoader"],
    },
    classifiers=[
        "Framework :: TensorFlow",
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
