"""The CurveCheck TBPlugin: thin HTTP routes over `AnalysisService`.

Routes (see http_api.md): `findings`, `tags`, `series`, `histogram_stats`,
`static/*`.  Each route parses its parameters (bad ones raise
`tensorboard.errors.InvalidArgumentError`, which TensorBoard answers with 400
and the message), asks the service for a snapshot, and shapes JSON from it.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import logging
import os
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import numpy as np
from tensorboard import errors, plugin_util
from tensorboard.backend import http_util, json_util
from tensorboard.plugins import base_plugin
from werkzeug import wrappers

from tb_curvecheck.detectors import histogram_stats
from tb_curvecheck.model import SEVERITIES, Finding
from tb_curvecheck.plugin import thinning
from tb_curvecheck.plugin.service import AnalysisService, Snapshot

logger = logging.getLogger(__name__)

PLUGIN_NAME = "curvecheck"
STATIC_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "static")

DEFAULT_MAX_POINTS = 2000
# A chart is at most a few thousand pixels wide; more points than this per
# series only slow the browser down.
MAX_MAX_POINTS = 100_000
# One chart overlays a handful of series; a request for hundreds is a bug in
# the caller, and answering it would hold the service lock for long.
MAX_SERIES_PER_REQUEST = 64

# Served with these types and no other: the tab's iframe loads ES modules,
# which browsers refuse unless served as JavaScript, and a guessed type (from
# the OS's mimetypes registry) has broken TensorBoard before.
STATIC_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
    ".txt": "text/plain",
}


def _guarded(route):
    """Every failure that is not the caller's becomes a 500 with a message
    in the log and in the body, never an opaque server error; TensorBoard
    answers its own error types (400, 404) itself."""

    @functools.wraps(route)
    def wrapper(self, request):
        try:
            return route(self, request)
        except errors.PublicError:
            raise
        except Exception as e:  # noqa: BLE001 - a plugin must not take TensorBoard down
            logger.exception("CurveCheck route %s failed", request.path)
            return http_util.Respond(
                request,
                {"error": "CurveCheck failed: %s: %s" % (type(e).__name__, e)},
                "application/json",
                code=500,
            )

    return wrapper


def _runs_param(request) -> Optional[List[str]]:
    runs = request.args.getlist("run")
    return runs or None


def _single(request, name: str) -> str:
    values = request.args.getlist(name)
    if len(values) != 1:
        raise errors.InvalidArgumentError("give exactly one %r parameter" % name)
    return values[0]


def _floats(a: np.ndarray) -> List[float]:
    # Respond turns float NaN/Inf into "NaN"/"Infinity"/"-Infinity".
    return np.asarray(a, dtype=np.float64).tolist()


def _flagged_steps(findings: Sequence[Finding], run: str, tag: str) -> Set[int]:
    steps: Set[int] = set()
    for f in findings:
        on_it = (f.run == run and f.tag == tag) or any(r.get("run") == run and r.get("tag") == tag for r in f.related)
        if on_it:
            steps.add(f.start_step)
            steps.add(f.end_step)
    return steps


class CurveCheckPlugin(base_plugin.TBPlugin):
    plugin_name = PLUGIN_NAME

    def __init__(self, context):
        if context.data_provider is None:
            raise ValueError("CurveCheck needs TensorBoard's data provider")
        self._service = AnalysisService(
            context.data_provider, context.sampling_hints, source=getattr(context, "logdir", "") or ""
        )
        self._static_root = STATIC_DIR

    def get_plugin_apps(self):
        return {
            "/findings": self._findings_route,
            "/tags": self._tags_route,
            "/series": self._series_route,
            "/histogram_stats": self._histogram_stats_route,
            "/static/*": self._static_route,
        }

    def is_active(self):
        # `data_plugin_names` already enables the tab from TensorBoard's cheap
        # listing of plugins with data; reading anything here would run on
        # every page load.
        return False

    def data_plugin_names(self):
        return ("scalars", "histograms")

    def frontend_metadata(self):
        return base_plugin.FrontendMetadata(es_module_path="/static/index.js", tab_name="CurveCheck")

    # -- routes -----------------------------------------------------------

    def _snapshot(self, request, runs) -> Snapshot:
        ctx = plugin_util.context(request.environ)
        eid = plugin_util.experiment_id(request.environ)
        return self._service.snapshot(ctx, eid, runs=runs)

    def _answer(self, request, runs, route: str, build):
        ctx = plugin_util.context(request.environ)
        eid = plugin_util.experiment_id(request.environ)
        return self._service.answer(ctx, eid, runs, route, build)

    @wrappers.Request.application
    @_guarded
    def _findings_route(self, request):
        body = self._answer(request, _runs_param(request), "findings", lambda snap: _gzipped(findings_json(snap)))
        return http_util.Respond(request, body, "application/json", content_encoding="gzip")

    @wrappers.Request.application
    @_guarded
    def _tags_route(self, request):
        body = self._answer(request, _runs_param(request), "tags", lambda snap: _gzipped(tags_json(snap)))
        return http_util.Respond(request, body, "application/json", content_encoding="gzip")

    @wrappers.Request.application
    @_guarded
    def _series_route(self, request):
        runs = request.args.getlist("run")
        tags = request.args.getlist("tag")
        if not runs or len(runs) != len(tags):
            raise errors.InvalidArgumentError(
                "give run and tag in pairs (got %d run and %d tag)" % (len(runs), len(tags))
            )
        if len(runs) > MAX_SERIES_PER_REQUEST:
            raise errors.InvalidArgumentError("at most %d series per request" % MAX_SERIES_PER_REQUEST)
        max_points = _max_points(request)

        # A zoomed chart asks for its range only: thinned within it, so a
        # range that holds no more than max_points comes back whole.
        def step_param(name):
            raw = request.args.get(name)
            if raw is None or raw == "":
                return None
            try:
                return int(raw)
            except ValueError:
                raise errors.InvalidArgumentError("%s must be an integer step, got %r" % (name, raw)) from None

        start_step = step_param("start_step")
        end_step = step_param("end_step")
        if start_step is not None and end_step is not None and start_step > end_step:
            raise errors.InvalidArgumentError("start_step must not be after end_step")
        snap = self._snapshot(request, sorted(set(runs)))
        out = []
        for run, tag in zip(runs, tags):
            series = snap.scalar(run, tag)
            if series is None:
                if snap.histogram(run, tag) is not None:
                    raise errors.InvalidArgumentError("%r in run %r is a histogram: use histogram_stats" % (tag, run))
                raise errors.NotFoundError("no scalar tag %r in run %r" % (tag, run))
            lo = 0 if start_step is None else int(np.searchsorted(series.steps, start_step, "left"))
            hi = len(series) if end_step is None else int(np.searchsorted(series.steps, end_step, "right"))
            hi = max(lo, hi)
            steps, values = series.steps[lo:hi], series.values[lo:hi]
            keep = _flagged_steps(snap.findings([run]), run, tag)
            idx = lo + thinning.thin_indices(steps, values, max_points, keep)
            out.append(
                {
                    "run": run,
                    "tag": tag,
                    "steps": series.steps[idx].tolist(),
                    "values": _floats(series.values[idx]),
                    "wall_times": _floats(series.wall_times[idx]),
                    "total_points": len(series),
                    "range_points": hi - lo,
                    "thinned": bool(idx.size < hi - lo),
                    "sampled": bool(series.sampled),
                }
            )
        return http_util.Respond(request, {"series": out}, "application/json")

    @wrappers.Request.application
    @_guarded
    def _histogram_stats_route(self, request):
        run = _single(request, "run")
        tag = _single(request, "tag")
        snap = self._snapshot(request, [run])
        series = snap.histogram(run, tag)
        if series is None:
            raise errors.NotFoundError("no histogram tag %r in run %r" % (tag, run))
        # Values near the float limit overflow the statistics (a histogram
        # the analysis leaves unjudged, see its notes): drawn as "Infinity"
        # or "NaN", not warned about in TensorBoard's log.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            stats = histogram_stats.summarize(series)
        body = {
            "run": run,
            "tag": tag,
            "steps": series.steps.tolist(),
            "stats": {str(k): _floats(v) for k, v in sorted(stats.items())},
            "sampled": bool(series.sampled),
        }
        return http_util.Respond(request, body, "application/json")

    @wrappers.Request.application
    @_guarded
    def _static_route(self, request):
        prefix = "/data/plugin/%s/static/" % PLUGIN_NAME
        path = request.path
        name = path[len(prefix) :] if path.startswith(prefix) else ""
        full = static_file(name, self._static_root)
        if full is None:
            raise errors.NotFoundError("no static file %r" % name)
        with open(full, "rb") as f:
            content = f.read()
        content_type = STATIC_TYPES[os.path.splitext(full)[1].lower()]
        return http_util.Respond(request, content, content_type)


def _max_points(request) -> int:
    raw = request.args.get("max_points")
    if raw is None:
        return DEFAULT_MAX_POINTS
    try:
        value = int(raw)
    except ValueError:
        raise errors.InvalidArgumentError("max_points must be an integer, got %r" % raw) from None
    if not thinning.MIN_POINTS <= value <= MAX_MAX_POINTS:
        raise errors.InvalidArgumentError(
            "max_points must be between %d and %d" % (thinning.MIN_POINTS, MAX_MAX_POINTS)
        )
    return value


def static_file(name: str, root: str = STATIC_DIR) -> Optional[str]:
    """The file under `root` that `name` names, or None.

    Refuses anything that could leave `root` (`..`, absolute paths,
    backslashes, symlinks pointing outside) and types not in STATIC_TYPES.
    """
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        return None
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    if os.path.splitext(name)[1].lower() not in STATIC_TYPES:
        return None
    base = os.path.realpath(root)
    full = os.path.realpath(os.path.join(base, *parts))
    if os.path.commonpath([base, full]) != base or not os.path.isfile(full):
        return None
    return full


def _gzipped(obj) -> bytes:
    """An answer as TensorBoard's `Respond` would send it (non-finite numbers
    as strings, gzip at its level), built once: the service keeps it while
    nothing it rests on changed, and `Respond` unzips it for a client that
    does not take gzip."""
    text = json.dumps(json_util.Cleanse(obj), ensure_ascii=False)
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=3, mtime=0) as f:
        f.write(text.encode("utf-8"))
    return out.getvalue()


# -- JSON shapes (http_api.md) ----------------------------------------------


def findings_json(snap: Snapshot) -> Dict[str, Any]:
    findings = snap.findings()
    per_run: Dict[str, int] = {}
    for f in findings:
        per_run[f.run] = per_run.get(f.run, 0) + 1
    runs = []
    for run in snap.runs:
        st = snap.statuses[run]
        runs.append(
            {
                "run": run,
                "status": st.status,
                "reason": st.reason,
                "sampled": st.sampled,
                "scalar_series": st.scalar_series,
                "histogram_series": st.histogram_series,
                "findings": per_run.get(run, 0),
                "last_step": snap.last_step(run),
            }
        )
    summary: Dict[str, int] = {s: 0 for s in SEVERITIES}
    for f in findings:
        summary[f.severity] += 1
    summary["runs"] = len(runs)
    summary["series"] = sum(r["scalar_series"] + r["histogram_series"] for r in runs)
    return {
        "findings": [f.to_json() for f in findings],
        "runs": runs,
        "experiments": [{"name": e.name, "runs": list(e.runs)} for e in snap.experiments],
        "summary": summary,
        "notes": list(snap.notes),
        # Per run, its experiment's hyperparameters (train and validation of
        # one experiment share them): the tab's rows are runs.
        "hparams": {
            run: _plain(snap.hparams[exp.name])
            for exp in snap.experiments
            if snap.hparams.get(exp.name)
            for run in exp.runs
        },
        "sweep": snap.sweep.to_json() if snap.sweep is not None else None,
        "generation": snap.generation,
    }


def _plain(values: Dict[str, object]) -> Dict[str, object]:
    """Hyperparameter values as JSON scalars (numbers, strings, booleans)."""
    return {k: (v if isinstance(v, (bool, int, float, str)) else str(v)) for k, v in values.items()}


def tags_json(snap: Snapshot) -> Dict[str, Any]:
    wanted = set(snap.runs)
    runs: Dict[str, Dict[str, Any]] = {run: {} for run in snap.runs}
    charts = []
    for exp in snap.experiments:
        by_chart: Dict[Tuple[str, str], List] = {}
        for ref in exp.scalars:
            if ref.run not in wanted:
                continue
            info = ref.info
            partner = exp.partner(ref)
            runs[ref.run][ref.tag] = {
                "type": "scalar",
                "role": info.role,
                "quantity": info.quantity,
                "split": info.split,
                "granularity": info.granularity,
                "percent": info.percent,
                "points": len(ref.series),
                "max_step": ref.series.last_step,
                "partner": partner.ref() if partner is not None else None,
            }
            by_chart.setdefault((info.quantity, info.granularity), []).append(ref)
        for href in exp.histograms:
            if href.run not in wanted:
                continue
            s = href.series
            runs[href.run][href.tag] = {
                "type": "histogram",
                "points": len(s),
                "max_step": int(s.steps[-1]) if len(s) else None,
            }
        for (quantity, granularity), refs in by_chart.items():
            tag_names = sorted({r.tag for r in refs})
            charts.append(
                {
                    "id": "%s|%s|%s" % (exp.name, quantity, granularity),
                    "experiment": exp.name,
                    "quantity": quantity,
                    "granularity": granularity,
                    "title": " / ".join(tag_names),
                    "series": [{"run": r.run, "tag": r.tag, "split": r.info.split} for r in refs],
                }
            )
    return {"runs": runs, "charts": charts}
