"""CurveCheck: tells what went wrong in a training run, on its TensorBoard curves.

`tb_curvecheck.scan(logdir)` returns the findings for every run of a logdir.
Importing this package is cheap and never imports TensorFlow: TensorBoard
loads the plugin entry point through it.
"""

from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from .api import scan, scan_result  # noqa: F401
    from .model import Finding  # noqa: F401


def __getattr__(name):
    # Lazy, so that `import tb_curvecheck.plugin.loader` stays light.
    if name in ("scan", "scan_result"):
        from . import api

        return getattr(api, name)
    if name == "Finding":
        from .model import Finding

        return Finding
    raise AttributeError(name)


__all__ = ["scan", "scan_result", "Finding", "__version__"]
