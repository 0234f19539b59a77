"""The TensorBoard entry point of CurveCheck.

TensorBoard imports this module while it starts; an ImportError here stops
TensorBoard itself, so it imports nothing but TensorBoard's plugin base.  The
plugin (numpy, the analysis, the routes) is imported inside `load()`, where a
failure only disables the CurveCheck tab.
"""

from __future__ import annotations

import logging

from tensorboard.plugins import base_plugin

logger = logging.getLogger(__name__)

# Retention per plugin: how many points of a series TensorBoard keeps.
# TensorBoard's own defaults differ by loader and can drop the very step where
# a loss turned NaN, so CurveCheck raises them ("curvecheck") unless the user
# set `--samples_per_plugin`.  Those keep every point of any ordinary run
# while bounding memory on pathological logdirs: 200k float scalars is a few
# MB per tag, and 2000 histograms of ~30 buckets is under 2 MB per tag.  A
# large number rather than 0 ("keep all"), because 0 also makes TensorBoard's
# own Scalars dashboard draw empty charts.  TensorBoard's defaults ("python",
# "rust") apply when neither is set (a plugin embedded in another app, tests)
# and tell whether a series was sampled.
RETENTION = {
    "scalars": {"curvecheck": 200_000, "python": 1000, "rust": 1000},
    "histograms": {"curvecheck": 2_000, "python": 500, "rust": 100},
}
DEFAULT_RETENTION = {plugin: r["curvecheck"] for plugin, r in RETENTION.items()}


def raise_retention(flags) -> dict:
    """Raises TensorBoard's per-plugin retention where the user left it unset.

    Returns what was changed, for the log.  A value the user passed with
    `--samples_per_plugin` always wins.
    """
    hints = getattr(flags, "samples_per_plugin", None)
    if hints is None or hints == "":
        hints = {}
        try:
            flags.samples_per_plugin = hints
        except AttributeError:
            return {}
    if not isinstance(hints, dict):
        # A caller of `program.TensorBoard.configure` may pass anything here;
        # it is theirs to get right and not ours to reinterpret.
        return {}
    changed = {}
    for plugin_name, count in DEFAULT_RETENTION.items():
        if plugin_name not in hints:
            hints[plugin_name] = count
            changed[plugin_name] = count
    return changed


class CurveCheckLoader(base_plugin.TBLoader):
    """Builds the CurveCheck plugin, after raising TensorBoard's retention."""

    def fix_flags(self, flags):
        changed = raise_retention(flags)
        if changed:
            logger.info("CurveCheck raised TensorBoard's retention: %s", changed)

    def load(self, context):
        from tb_curvecheck.plugin.plugin import CurveCheckPlugin

        return CurveCheckPlugin(context)
