"""`curvecheck scan LOGDIR`: the analysis in a terminal or CI.

Exit codes: 0 no finding at or above `--fail-on`; 1 at least one; 2 the
logdir could not be read (or bad usage).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import textwrap
import time
from typing import Dict, List, Optional, Sequence, TextIO

from .model import EV_CORROBORATING, EV_LIKELY_CAUSES, SEVERITIES, Finding, at_or_above

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNREADABLE = 2

# Progress lines appear only when loading takes longer than this: a quick
# scan stays quiet, a slow one shows it is alive.
PROGRESS_AFTER_S = 1.0
# ... and then at most this often: a scan of 1,000 runs finishes ~100 batches.
PROGRESS_EVERY_S = 2.0

_SEVERITY_LABEL = {"error": "ERROR", "warning": "WARN ", "info": "INFO "}
_COLOURS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_RESET = "\033[0m"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="curvecheck",
        description="Find what went wrong in TensorBoard training logs.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    s = sub.add_parser(
        "scan",
        help="analyse every run under a logdir",
        description="Analyse every run under LOGDIR and report the findings.",
    )
    s.add_argument("logdir", help="a TensorBoard logdir (as passed to tensorboard --logdir)")
    s.add_argument("--json", action="store_true", help='print {"findings": [...]} on stdout and nothing else')
    s.add_argument(
        "--fail-on",
        choices=list(SEVERITIES) + ["never"],
        default="error",
        help="exit 1 when a finding at or above this severity exists (default: error)",
    )
    s.add_argument(
        "--loader",
        choices=["auto", "rust", "python"],
        default="auto",
        help="TensorBoard loader: its Rust data server or its Python loader (default: auto)",
    )
    s.add_argument(
        "--min-severity",
        choices=list(SEVERITIES),
        default="info",
        help="leave out findings below this severity in the report (default: info)",
    )
    s.add_argument("--explain", action="store_true", help="print each finding's explanation under its title")
    s.add_argument(
        "--sweep",
        action="store_true",
        help="also report which hyperparameters separate the runs that have a kind of finding "
        'from those that do not (with --json: a "sweep" key beside "findings")',
    )
    s.add_argument(
        "--no-hparams-from-names",
        dest="hparams_from_names",
        action="store_false",
        help="use only logged hyperparameters (TensorBoard's HParams data), never values read "
        "from run names such as lr=3e-4_bs64",
    )
    s.add_argument("--color", choices=["auto", "always", "never"], default="auto")
    big = s.add_argument_group(
        "big logdirs",
        "runs are read and analysed in batches of whole experiments, each batch released "
        "before the next, on several processes; the findings are the same as one read of everything",
    )
    big.add_argument(
        "--json-lines",
        action="store_true",
        help="stream one finding JSON object per line as batches finish, then one "
        '{"note": ...} line per note, {"hparams": ..., "sweep": ...} with --sweep, and a '
        'last {"summary": {...}} line',
    )
    big.add_argument(
        "--jobs", type=_positive, default=None, metavar="N", help="worker processes on this machine (default: 2)"
    )
    big.add_argument(
        "--batch-mb",
        type=_positive,
        default=None,
        metavar="MB",
        help="event-file megabytes per batch: peak memory follows it (default: 16)",
    )
    big.add_argument(
        "--data-server",
        choices=["per-batch", "shared"],
        default="per-batch",
        help="a TensorBoard data server per batch (bounded memory, default) or one for the "
        "whole logdir (always so for gs:// and s3:// logdirs)",
    )
    dist = big.add_mutually_exclusive_group()
    dist.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the batches on a Dask distributed cluster (tcp://host:port); its workers "
        "need tb-curvecheck[dask] and the logdir at the same path or URL",
    )
    dist.add_argument(
        "--dask-local",
        type=_positive,
        metavar="N",
        help="run the batches on a local Dask cluster of N worker processes",
    )
    return p


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def format_sweep(result) -> str:
    """The sweep report: per kind of finding, the hyperparameter rule that
    separates the experiments having it, with counts; or why none is claimed."""
    report = result.sweep
    lines = [
        "Sweep: %d experiment%s, %d with hyperparameters"
        % (len(result.experiments), "" if len(result.experiments) == 1 else "s", len(result.hparams))
    ]
    if report is None:
        lines.append("  a single experiment: nothing to compare")
        return "\n".join(lines) + "\n"
    for sep in report.separations:
        lines.append("  %-16s %s (p = %.2g)" % (sep.kind, sep.sentence(), sep.p_value))
    for note in report.notes:
        lines.append("  " + note)
    if not report.separations and not report.notes:
        lines.append("  no warning or error in any experiment")
    return "\n".join(lines) + "\n"


class _Progress:
    """Writes loading progress to stderr once loading has taken a moment."""

    def __init__(self, stream: TextIO, quiet: bool) -> None:
        self._stream = stream
        self._quiet = quiet
        self._start = time.monotonic()
        self._last = float("-inf")

    def __call__(self, message: str) -> None:
        now = time.monotonic()
        if self._quiet or now - self._start < PROGRESS_AFTER_S or now - self._last < PROGRESS_EVERY_S:
            return
        self._last = now
        self._stream.write("curvecheck: %s (%.0f s)\n" % (message, time.monotonic() - self._start))
        self._stream.flush()


def _use_colour(mode: str, stream: TextIO) -> bool:
    if mode == "always":
        return True
    if mode == "never" or os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def _steps(f: Finding) -> str:
    return "step %d" % f.start_step if f.start_step == f.end_step else "steps %d-%d" % (f.start_step, f.end_step)


def _read_in_part(result) -> List[str]:
    """Runs with an error whose other series were read and analysed (a few undecodable histograms)."""
    statuses = getattr(result, "statuses", None) or {}
    return sorted(
        run
        for run in result.run_errors
        if run in statuses and statuses[run].scalar_series + statuses[run].histogram_series > 0
    )


def format_report(
    findings: Sequence[Finding],
    notes: Sequence[str],
    run_errors: Dict[str, str],
    runs: Sequence[str],
    series_count: int,
    colour: bool = False,
    explain: bool = False,
    width: int = 100,
    read_in_part: Sequence[str] = (),
) -> str:
    """The human report: findings grouped by run, most serious first."""
    lines: List[str] = []
    by_run: Dict[str, List[Finding]] = {}
    for f in findings:
        by_run.setdefault(f.run, []).append(f)
    for run in sorted(by_run, key=lambda r: (min(x.sort_key() for x in by_run[r]), r)):
        lines.append(run)
        for f in sorted(by_run[run], key=Finding.sort_key):
            label = _SEVERITY_LABEL[f.severity]
            if colour:
                label = _COLOURS[f.severity] + label + _RESET
            lines.append("  %s %-16s %-28s %-14s %s" % (label, f.kind, f.tag, _steps(f), f.title))
            # One event seen by several detectors is one story: its other
            # sightings are listed under it rather than as rows of their own.
            for other in f.evidence.get(EV_CORROBORATING) or []:
                where = other.get("tag", "")
                if other.get("run") and other.get("run") != f.run:
                    where = "%s: %s" % (other["run"], where)
                lines.append("        + %s (%s)" % (other.get("title", other.get("kind", "")), where))
            if explain:
                # The causes this run's own logs point at come first, ranked.
                for cause in f.evidence.get(EV_LIKELY_CAUSES) or []:
                    text = "cause (%s): %s" % (cause.get("confidence", ""), cause.get("text", cause.get("cause", "")))
                    for i, para in enumerate(textwrap.wrap(text, width=width - 8)):
                        lines.append(("        " if i == 0 else "          ") + para)
                for para in textwrap.wrap(f.explanation, width=width - 8):
                    lines.append("        " + para)
        lines.append("")
    for run, reason in sorted(run_errors.items()):
        what = "read only in part (the rest is analysed)" if run in read_in_part else "could not be analysed"
        lines.append("%s\n  %s: %s\n" % (run, what, reason))
    for note in notes:
        lines.append("note: %s" % note)
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    n_runs = len(runs)
    if findings:
        lines.append(
            "%d error%s, %d warning%s, %d info in %d run%s, %d series"
            % (
                counts["error"],
                "" if counts["error"] == 1 else "s",
                counts["warning"],
                "" if counts["warning"] == 1 else "s",
                counts["info"],
                n_runs,
                "" if n_runs == 1 else "s",
                series_count,
            )
        )
    else:
        lines.append("No problems found in %d run%s, %d series." % (n_runs, "" if n_runs == 1 else "s", series_count))
    return "\n".join(lines).rstrip("\n") + "\n"


def _scan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from . import scanning
    from .reading import LogdirError

    progress = _Progress(err, quiet=False)
    options = dict(
        loader=args.loader,
        hparams_from_names=args.hparams_from_names,
        data_server=args.data_server,
        progress=progress,
        jobs=args.jobs or args.dask_local or scanning.DEFAULT_JOBS,
        batch_bytes=(args.batch_mb << 20) if args.batch_mb else scanning.DEFAULT_BATCH_BYTES,
    )
    try:
        with _executor(args) as executor:
            batches = scanning.scan_batches(args.logdir, executor=executor, **options)
            if args.json_lines:
                batches = _streamed(batches, out)
            scanned = scanning.merge(batches, args.logdir, args.hparams_from_names)
    except LogdirError as e:
        err.write("curvecheck: %s\n" % e)
        return EXIT_UNREADABLE
    except _BackendError as e:
        err.write("curvecheck: %s\n" % e)
        return EXIT_UNREADABLE
    result = scanned.result
    findings = result.findings
    if args.json_lines:
        for note in result.notes:
            _line(out, {"note": note})
        if args.sweep:
            _line(
                out, {"hparams": result.hparams, "sweep": result.sweep.to_json() if result.sweep is not None else None}
            )
        counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
        _line(
            out,
            {
                "summary": {
                    "runs": len(scanned.runs),
                    "series": scanned.series_count,
                    "findings": counts,
                    "run_errors": dict(sorted(result.run_errors.items())),
                }
            },
        )
    elif args.json:
        doc = {"findings": [f.to_json() for f in findings]}
        if args.sweep:
            doc["hparams"] = result.hparams
            doc["sweep"] = result.sweep.to_json() if result.sweep is not None else None
        json.dump(doc, out, ensure_ascii=False)
        out.write("\n")
    else:
        shown = [f for f in findings if at_or_above(f.severity, args.min_severity)]
        out.write(
            format_report(
                shown,
                result.notes,
                result.run_errors,
                scanned.runs,
                scanned.series_count,
                colour=_use_colour(args.color, out),
                explain=args.explain,
                read_in_part=_read_in_part(result),
            )
        )
        if args.sweep:
            out.write("\n" + format_sweep(result))
    if args.json or args.json_lines:
        partly = _read_in_part(result)
        for run, reason in sorted(result.run_errors.items()):
            what = "was read only in part" if run in partly else "could not be analysed"
            err.write("curvecheck: run %s %s: %s\n" % (run, what, reason))
    if args.fail_on != "never" and any(at_or_above(f.severity, args.fail_on) for f in findings):
        return EXIT_FINDINGS
    return EXIT_OK


class _BackendError(Exception):
    """The distributed backend could not be reached or started."""


@contextlib.contextmanager
def _executor(args: argparse.Namespace):
    """A Dask cluster's executor when asked for one, else None (local processes)."""
    if not (args.scheduler or args.dask_local):
        yield None
        return
    try:
        from . import distributed
    except ImportError as e:
        raise _BackendError("--scheduler and --dask-local need Dask: pip install 'tb-curvecheck[dask]' (%s)" % e) from e
    try:
        cm = distributed.executor(scheduler=args.scheduler, local_workers=args.dask_local)
        executor = cm.__enter__()
    except Exception as e:  # noqa: BLE001 - an unreachable scheduler is a usage error, not a traceback
        raise _BackendError("could not use the Dask cluster: %s" % (str(e) or type(e).__name__)) from e
    try:
        yield executor
    finally:
        cm.__exit__(None, None, None)


def _line(out: TextIO, obj) -> None:
    json.dump(obj, out, ensure_ascii=False)
    out.write("\n")
    out.flush()


def _streamed(batches, out: TextIO):
    """Writes each batch's findings as it finishes, passing the batch on."""
    for res in batches:
        for f in res.findings:
            _line(out, f.to_json())
        yield res


def main(argv: Optional[Sequence[str]] = None, out: TextIO = None, err: TextIO = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits 2 on bad usage, 0 on --help
        return int(e.code or 0)
    if args.command is None:
        parser.print_help(err)
        return EXIT_UNREADABLE
    if args.command == "scan":
        return _scan(args, out, err)
    return EXIT_UNREADABLE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
