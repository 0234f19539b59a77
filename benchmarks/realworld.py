"""Real-world benchmark: CurveCheck on TensorBoard logs from public repositories.

    python benchmarks/realworld.py [--json] [--split tuned|held_out] [--added BATCH] [--only SUBSTRING]
    python benchmarks/realworld.py --extract LOGDIR OUT.npz

The corpus is `benchmarks/realworld/manifest.json`: every run's repository,
commit and path, how it is stored (the event files byte for byte under
`data/`, or its series extracted into `extracted/*.npz` when the originals
were large), and a label read off its numbers (healthy, healthy_by_design,
pathology with kinds and steps, or mild); `provenance.json` beside it holds
each run's original files (path, size, sha256).  Each run is analysed on its own,
as if it were the whole logdir.

Printed per split (tuned / held-out), per domain and per writer:
- false-alarm rate: healthy and healthy_by_design runs with any warning or
  error, over those runs;
- recall: pathology runs with a warning or error of one of the labelled kinds
  (a finding folded into another by corroboration counts), over those runs;
- warned: pathology runs with a warning or error of any kind (a miss told
  under another name is still a run the user was warned about), apart.
`mild` runs count for neither.  Then every false alarm (run, tag, kind,
severity, title) and every miss (with what was found instead).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections import Counter, defaultdict
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tb_curvecheck.model import Finding, HistogramSeries, ScalarSeries, at_or_above  # noqa: E402

CORPUS = os.path.join(HERE, "realworld")
MANIFEST = os.path.join(CORPUS, "manifest.json")
# Where the runs' files (`data/`, `extracted/`) are read from: beside the manifest, unless
# CURVECHECK_REALWORLD_DATA names another folder holding the same two (the labels and the files can
# then live apart, should the fetched files have to be kept outside this repository).
DATA_ROOT = os.environ.get("CURVECHECK_REALWORLD_DATA") or CORPUS
# Each run's original event files (path, size, sha256), kept apart from the labels so neither file
# grows past what a reviewer reads: `load_manifest` puts them back on the runs as `files`.
PROVENANCE = "provenance.json"
LABELS = ("healthy", "healthy_by_design", "pathology", "mild")
SPLITS = ("tuned", "held_out")
# Severity at which a finding counts, for a false alarm as for a detection:
# an `info` neither alarms a user nor tells them their run is broken.
ALARM = "warning"
# Repositories record the session that added them (`added`); those without were the first batch.
# Held-out repositories of a batch stay unseen only until that batch's first report, so the report
# shows each batch apart.
FIRST_BATCH = "stop16"

Scalars = Dict[str, Dict[str, ScalarSeries]]
Histograms = Dict[str, Dict[str, HistogramSeries]]


def load_manifest(path: str = MANIFEST) -> dict:
    """The manifest, each run with its original files (`files`) from the provenance file beside it."""
    with open(path, encoding="utf-8") as f:
        manifest = json.load(f)
    provenance = os.path.join(os.path.dirname(path), PROVENANCE)
    if os.path.exists(provenance):
        with open(provenance, encoding="utf-8") as f:
            files = json.load(f)["runs"]
        for run in manifest["runs"]:
            run["files"] = files[run["id"]]
    return manifest


def save_manifest(manifest: dict, path: str = MANIFEST) -> None:
    """Write `manifest`: labels to `path`, the runs' original files to the provenance file beside it."""
    runs = [{k: v for k, v in run.items() if k != "files"} for run in manifest["runs"]]
    files = {run["id"]: run.get("files", []) for run in manifest["runs"]}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(dict(manifest, runs=runs), f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(os.path.join(os.path.dirname(path), PROVENANCE), "w", encoding="utf-8") as f:
        json.dump(
            {"about": "each run's original event files: path in its repository, size, sha256", "runs": files},
            f,
            indent=1,
            ensure_ascii=False,
        )
        f.write("\n")


# --- extracted series: written with TensorBoard's loader, read back as model series ---


def extract(logdir: str, out_path: str) -> None:
    """Every scalar and histogram series under `logdir`, read by TensorBoard's
    own loader (through `tb_curvecheck.reading`), saved compressed."""
    from tb_curvecheck import reading

    data = reading.read_logdir(logdir, loader="python")
    index, arrays = [], {}
    for run in sorted(data.scalars):
        for tag in sorted(data.scalars[run]):
            s = data.scalars[run][tag]
            i = len(index)
            index.append(
                {"kind": "scalar", "run": run, "tag": tag, "restarts": int(s.restarts), "sampled": bool(s.sampled)}
            )
            arrays["a%d_steps" % i] = s.steps
            arrays["a%d_values" % i] = s.values
            arrays["a%d_wall" % i] = s.wall_times
            if s.superseded is not None:
                arrays["a%d_superseded" % i] = s.superseded
    for run in sorted(data.histograms):
        for tag in sorted(data.histograms[run]):
            h = data.histograms[run][tag]
            i = len(index)
            index.append(
                {"kind": "histogram", "run": run, "tag": tag, "restarts": int(h.restarts), "sampled": bool(h.sampled)}
            )
            arrays["a%d_steps" % i] = h.steps
            arrays["a%d_wall" % i] = h.wall_times
            arrays["a%d_nbuckets" % i] = np.array([b.shape[0] for b in h.buckets], dtype=np.int64)
            arrays["a%d_buckets" % i] = np.concatenate(h.buckets) if h.buckets else np.zeros((0, 3), dtype=np.float64)
    arrays["index"] = np.array(json.dumps(index))
    np.savez_compressed(out_path, **arrays)


def load_extracted(path: str) -> Tuple[Scalars, Histograms]:
    scalars: Scalars = defaultdict(dict)
    histograms: Histograms = defaultdict(dict)
    with np.load(path, allow_pickle=False) as z:
        index = json.loads(str(z["index"]))
        for i, meta in enumerate(index):
            steps = z["a%d_steps" % i].astype(np.int64)
            wall = z["a%d_wall" % i].astype(np.float64)
            if meta["kind"] == "scalar":
                scalars[meta["run"]][meta["tag"]] = ScalarSeries(
                    steps,
                    z["a%d_values" % i].astype(np.float64),
                    wall,
                    restarts=meta["restarts"],
                    sampled=meta["sampled"],
                    # Extracts written before stop 75 kept no overwritten values.
                    superseded=z["a%d_superseded" % i].astype(np.float64) if "a%d_superseded" % i in z else None,
                )
            else:
                cuts = np.cumsum(z["a%d_nbuckets" % i])[:-1]
                buckets = tuple(np.split(z["a%d_buckets" % i].astype(np.float64), cuts))
                histograms[meta["run"]][meta["tag"]] = HistogramSeries(
                    steps, wall, buckets, restarts=meta["restarts"], sampled=meta["sampled"]
                )
    return dict(scalars), dict(histograms)


# --- the analysis: the one place that knows CurveCheck's entry points ---


def analyze_logdir(path: str, loader: str = "python") -> List[Finding]:
    """Raw event files through the normal read path (`curvecheck scan`'s)."""
    from tb_curvecheck import api

    result = api.scan_result(path, loader=loader)
    if result.run_errors:
        raise RuntimeError("; ".join("%s: %s" % kv for kv in sorted(result.run_errors.items())))
    return list(result.findings)


def analyze_series(scalars: Scalars, histograms: Histograms, detectors=None) -> List[Finding]:
    """Extracted series through the in-memory entry (the Keras callback's), or, with `detectors`
    (a configured `DetectorSet`), through `analyze_experiment` with those detectors."""
    from tb_curvecheck.analysis import grouping, pipeline

    if detectors is None:
        return list(pipeline.analyze_series(scalars, histograms))
    out: List[Finding] = []
    for exp in grouping.build_experiments(scalars, histograms):
        out.extend(pipeline.analyze_experiment(exp, detectors))
    return out


def data_path(run: Mapping) -> str:
    """The folder (raw run) or file (extract) holding a run's series."""
    return os.path.join(DATA_ROOT, run["data"])


def read_run(run: Mapping, loader: str = "python") -> Tuple[Scalars, Histograms, Dict[str, Dict[str, object]]]:
    """A run's series (and logged hyperparameters) through TensorBoard's loader, or from its extract."""
    where = data_path(run)
    if run["stored"] != "raw":
        return (*load_extracted(where), {})
    from tb_curvecheck import reading

    data = reading.read_logdir(where, loader=loader)
    # As `curvecheck scan` does: a series that cannot be decoded is left out and the rest analysed;
    # only a run of which nothing could be read is an error.
    if data.run_errors and not (data.scalars or data.histograms):
        raise RuntimeError("; ".join("%s: %s" % kv for kv in sorted(data.run_errors.items())))
    return data.scalars, data.histograms, data.hparams


def run_findings(run: Mapping, loader: str = "python", detectors=None) -> List[Finding]:
    where = data_path(run)
    if detectors is not None:
        scalars, histograms, _ = read_run(run, loader)
        return analyze_series(scalars, histograms, detectors)
    if run["stored"] == "raw":
        return analyze_logdir(where, loader=loader)
    return analyze_series(*load_extracted(where))


def _run_name(run: Mapping) -> str:
    # The run's id within its repository: its path, or (for several runs whose event files share one
    # directory) the path and the file's own suffix, so they stay apart as TensorBoard's runs would not.
    # Event files at the repository's root are the run TensorBoard calls ".".
    return run["id"].partition("/")[2] or "."


def repo_findings(runs: Sequence[Mapping], loader: str = "python") -> Tuple[Dict[str, List[Finding]], Dict[str, str]]:
    """The labelled runs of one repository analysed together, as `tensorboard --logdir` at the
    repository's root shows them (so a run is also judged against its siblings): findings per run id,
    and the runs that could not be read."""
    from tb_curvecheck.analysis import pipeline
    from tb_curvecheck.model import LogData

    data = LogData()
    errors: Dict[str, str] = {}
    for run in runs:
        try:
            scalars, histograms, hparams = read_run(run, loader)
        except Exception as e:  # noqa: BLE001 - one broken run must not hide the others
            errors[run["id"]] = "%s: %s" % (type(e).__name__, e)
            continue

        def named(r: str, prefix: str = _run_name(run)) -> str:
            return prefix if r in ("", ".") else prefix + "/" + r

        data.scalars.update({named(r): t for r, t in scalars.items()})
        data.histograms.update({named(r): t for r, t in histograms.items()})
        data.hparams.update({named(r): h for r, h in (hparams or {}).items()})
        data.runs.extend(named(r) for r in set(scalars) | set(histograms))
    result = pipeline.analyze(data)
    out: Dict[str, List[Finding]] = {run["id"]: [] for run in runs if run["id"] not in errors}
    by_path = sorted(((_run_name(run), run["id"]) for run in runs if run["id"] in out), key=lambda p: -len(p[0]))
    for f in result.findings:
        owner = next((rid for path, rid in by_path if f.run == path or f.run.startswith(path + "/")), None)
        if owner is not None:
            out[owner].append(f)
    return out, errors


def flatten(findings: Iterable[Finding]) -> List[Finding]:
    """Findings plus those folded into them by corroboration."""
    out = []
    for f in findings:
        out.append(f)
        for sub in (f.evidence or {}).get("corroborating", []) or []:
            try:
                out.append(Finding.from_json(sub))
            except (KeyError, ValueError, TypeError):
                continue
    return out


# --- scoring ---


def score(manifest: dict, results: Mapping[str, List[Finding]], errors: Optional[Mapping[str, str]] = None) -> dict:
    """Per-run verdicts and tallies by split, domain and writer.

    A run that could not be analysed counts as `error`: never as quiet.
    """
    errors = errors or {}
    split_of = {r["repo"]: r["split"] for r in manifest["repositories"]}
    added_of = {r["repo"]: r.get("added", FIRST_BATCH) for r in manifest["repositories"]}
    verdicts = []
    for run in manifest["runs"]:
        # A fragment labelled by hand may leave out what a healthy or mild run has none of; a pathology
        # must name what it expects, or it could only ever be missed.
        if run["label"] == "pathology" and not run.get("kinds"):
            raise ValueError("%s: a pathology label names no kinds" % run["id"])
        found = flatten(results.get(run["id"], []))
        loud = [f for f in found if at_or_above(f.severity, ALARM)]
        v = {
            "id": run["id"],
            "repo": run["repo"],
            "split": split_of[run["repo"]],
            "batch": "%s, added %s" % (split_of[run["repo"]], added_of[run["repo"]]),
            "domain": run["domain"],
            "writer": run["writer"],
            "label": run["label"],
            "kinds": run.get("kinds") or [],
            "steps": run.get("steps"),
            "alarms": [_brief(f) for f in loud],
            "infos": [_brief(f) for f in found if f.severity == "info"],
        }
        if run["id"] in errors:
            v["outcome"] = "error"
            v["error"] = errors[run["id"]]
        elif run["label"] in ("healthy", "healthy_by_design"):
            v["outcome"] = "false_alarm" if loud else "quiet"
        elif run["label"] == "pathology":
            hits = [f for f in loud if f.kind in run["kinds"]]
            # A miss that still raised a warning of another kind: the user is told something is wrong,
            # with the wrong name.  Counted apart; recall counts only the labelled kinds.
            v["outcome"] = "caught" if hits else ("misnamed" if loud else "missed")
            if hits and run.get("steps"):
                a, b = run["steps"]
                v["in_range"] = any(f.start_step <= b and f.end_step >= a for f in hits)
        else:
            v["outcome"] = "not_scored"
        verdicts.append(v)
    tallies = {}
    for axis in ("split", "batch", "domain", "writer"):
        t: Dict[str, Dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for v in verdicts:
            for key in (v[axis], "all") if axis == "split" else (v[axis],):
                t[key][v["outcome"]] += 1
                t[key]["runs"] += 1
        tallies[axis] = {k: dict(val) for k, val in sorted(t.items())}
    by_split_axis = {}
    for split in SPLITS:
        sub = [v for v in verdicts if v["split"] == split]
        for axis in ("domain", "writer"):
            t = defaultdict(lambda: defaultdict(int))
            for v in sub:
                t[v[axis]][v["outcome"]] += 1
                t[v[axis]]["runs"] += 1
            by_split_axis["%s/%s" % (split, axis)] = {k: dict(val) for k, val in sorted(t.items())}
    return {"verdicts": verdicts, "tallies": tallies, "by_split": by_split_axis, "by_kind": kind_recall(verdicts)}


def kind_recall(verdicts: Iterable[dict]) -> Dict[str, Dict[str, Dict[str, int]]]:
    """Per split, per labelled kind: how many pathology runs name it, and in how many a warning or error of
    that very kind was raised.  A run labelled with two kinds counts under each, and is told one of them
    only if that kind was raised: the run-level recall counts a run caught by any of its kinds."""
    out: Dict[str, Dict[str, Dict[str, int]]] = {}
    for v in verdicts:
        if v["label"] != "pathology" or v["outcome"] == "error":
            continue
        told = {a["kind"] for a in v["alarms"]}
        for kind in v["kinds"]:
            t = out.setdefault(v["split"], {}).setdefault(kind, {"labelled": 0, "told": 0})
            t["labelled"] += 1
            t["told"] += kind in told
    return {split: dict(sorted(kinds.items())) for split, kinds in sorted(out.items())}


def _brief(f: Finding) -> dict:
    return {
        "run": f.run,
        "tag": f.tag,
        "kind": f.kind,
        "severity": f.severity,
        "start_step": f.start_step,
        "end_step": f.end_step,
        "title": f.title,
    }


def rates(t: Mapping[str, int]) -> Tuple[str, str, str]:
    """False-alarm rate, recall (a labelled kind), and pathologies warned of under any kind."""
    healthy = t.get("quiet", 0) + t.get("false_alarm", 0)
    patho = t.get("caught", 0) + t.get("missed", 0) + t.get("misnamed", 0)
    warned = t.get("caught", 0) + t.get("misnamed", 0)
    fa = "%d/%d = %.3f" % (t.get("false_alarm", 0), healthy, t.get("false_alarm", 0) / healthy) if healthy else "-"
    rc = "%d/%d = %.3f" % (t.get("caught", 0), patho, t.get("caught", 0) / patho) if patho else "-"
    wa = "%d/%d" % (warned, patho) if patho else "-"
    return fa, rc, wa


def print_report(manifest: dict, scored: dict, seconds: float) -> None:
    runs = manifest["runs"]
    n_repo = len(manifest["repositories"])
    held = sum(1 for r in manifest["repositories"] if r["split"] == "held_out")
    print("%d runs from %d repositories (%d held out); analysis took %.1f s" % (len(runs), n_repo, held, seconds))
    print()
    print(
        "%-34s %6s  %-22s %-22s %-8s %5s"
        % ("", "runs", "false alarms (healthy)", "recall (pathology)", "warned", "mild")
    )

    def row(name, t):
        fa, rc, wa = rates(t)
        print("%-34s %6d  %-22s %-22s %-8s %5d" % (name, t.get("runs", 0), fa, rc, wa, t.get("not_scored", 0)))

    for split in ("all",) + SPLITS:
        row("split: " + split, scored["tallies"]["split"].get(split, {}))
    for batch, t in scored["tallies"]["batch"].items():
        row("  " + batch, t)
    for split in SPLITS:
        for axis in ("domain", "writer"):
            print("\n%s, by %s:" % (split, axis))
            for k, t in scored["by_split"]["%s/%s" % (split, axis)].items():
                row("  " + k, t)
    for split in SPLITS:
        kinds = scored.get("by_kind", {}).get(split, {})
        if kinds:
            print("\n%s, by labelled kind (runs naming it; told that kind):" % split)
            for kind, t in kinds.items():
                print(
                    "  %-32s %6d  %d/%d = %.3f"
                    % (kind, t["labelled"], t["told"], t["labelled"], t["told"] / t["labelled"])
                )
    fas = [v for v in scored["verdicts"] if v["outcome"] == "false_alarm"]
    misses = [v for v in scored["verdicts"] if v["outcome"] in ("missed", "misnamed")]
    # What the labeller read in the numbers, beside what the detectors said: each line says why the run
    # is labelled as it is.
    reasons = {r["id"]: r.get("reason", "") for r in runs}
    print("\nFalse alarms (%d runs):" % len(fas))
    for v in fas:
        print("  [%s] %s (%s, %s, %s)" % (v["split"], v["id"], v["label"], v["domain"], v["writer"]))
        print("      label: %s" % reasons.get(v["id"], ""))
        for a in v["alarms"]:
            print("      %-7s %-16s %s | %s" % (a["severity"], a["kind"], a["tag"], a["title"]))
    print("\nMisses (%d runs):" % len(misses))
    for v in misses:
        print(
            "  [%s] %s wanted %s at %s%s"
            % (v["split"], v["id"], "/".join(v["kinds"]), v["steps"], " (warned, other kind)" if v["alarms"] else "")
        )
        print("      label: %s" % reasons.get(v["id"], ""))
        got = v["alarms"] + v["infos"]
        print(
            "      got: %s"
            % (", ".join("%s %s on %s" % (a["severity"], a["kind"], a["tag"]) for a in got) or "nothing")
        )
    caught_out = [v for v in scored["verdicts"] if v["outcome"] == "caught" and v.get("in_range") is False]
    if caught_out:
        print(
            "\nCaught with the right kind but outside the labelled steps: %s" % ", ".join(v["id"] for v in caught_out)
        )


def merge(fragments: Iterable[str], path: str = MANIFEST) -> Tuple[int, int]:
    """Append the repositories and runs of fragment files (same format as the manifest) to the
    manifest, refusing a repository or run id it already holds. Returns (repositories, runs) added."""
    manifest = load_manifest(path)
    repos = {r["repo"] for r in manifest["repositories"]}
    ids = {r["id"] for r in manifest["runs"]}
    added = {"repositories": 0, "runs": 0}
    for frag in fragments:
        with open(frag, encoding="utf-8") as f:
            part = json.load(f)
        for section, key, seen in (("repositories", "repo", repos), ("runs", "id", ids)):
            for item in part[section]:
                if item[key] in seen:
                    raise ValueError("%s: %s %s is already in the corpus" % (frag, key, item[key]))
                seen.add(item[key])
                manifest[section].append(item)
                added[section] += 1
    manifest["repositories"].sort(key=lambda r: r["repo"].lower())
    manifest["runs"].sort(key=lambda r: r["id"].lower())
    save_manifest(manifest, path)
    return added["repositories"], added["runs"]


def compare(old: Mapping, new: Mapping) -> dict:
    """What changed between two `--json` reports of the same runs (before and after a change): per split,
    the runs whose outcome or set of alarms (kind, tag) changed, and each split's tallies before and after.
    Each change is `{id, before, after, lost, gained}`."""
    before = {v["id"]: v for v in old["verdicts"]}
    changed: Dict[str, List[dict]] = {split: [] for split in SPLITS}
    for v in new["verdicts"]:
        was = before.get(v["id"])
        if was is None:
            continue
        a = {(f["kind"], f["tag"]) for f in was["alarms"]}
        b = {(f["kind"], f["tag"]) for f in v["alarms"]}
        if was["outcome"] != v["outcome"] or a != b:
            changed[v["split"]].append(
                {
                    "id": v["id"],
                    "before": was["outcome"],
                    "after": v["outcome"],
                    "lost": sorted(a - b),
                    "gained": sorted(b - a),
                }
            )
    tallies = {
        split: (old["tallies"]["split"].get(split, {}), new["tallies"]["split"].get(split, {})) for split in SPLITS
    }
    return {"changed": changed, "tallies": tallies}


def print_comparison(cmp: Mapping, show_held_out: bool = False) -> None:
    """The comparison, with held-out runs as counts only unless asked: thresholds are never tuned on them,
    and a change is judged on the tuned runs it touched."""
    for split in SPLITS:
        rows = cmp["changed"][split]
        moves = Counter("%s -> %s" % (r["before"], r["after"]) for r in rows)
        print("%s: %d runs changed %s" % (split, len(rows), dict(sorted(moves.items())) if rows else ""))
        if split == "tuned" or show_held_out:
            for r in rows:
                print("  %s -> %s  %s" % (r["before"], r["after"], r["id"]))
                for what in ("lost", "gained"):
                    if r[what]:
                        print("      %s %s" % (what, ", ".join("%s on %s" % kt for kt in r[what])))
        before, after = cmp["tallies"][split]
        print("  before: false alarms %s, recall %s, warned of any kind %s" % rates(before))
        print("  after:  false alarms %s, recall %s, warned of any kind %s" % rates(after))


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print the verdicts and tallies as JSON")
    ap.add_argument("--split", choices=SPLITS, help="only runs of this split")
    ap.add_argument("--only", help="only runs whose id contains this")
    ap.add_argument("--added", help="only repositories added in this batch (e.g. stop16)")
    ap.add_argument(
        "--loader",
        default="python",
        choices=("python", "rust", "auto"),
        help="TensorBoard loader for the raw runs (default python: no server per run)",
    )
    ap.add_argument(
        "--extract", nargs=2, metavar=("LOGDIR", "OUT_NPZ"), help="write LOGDIR's series as an extracted .npz and exit"
    )
    ap.add_argument("--merge", nargs="+", metavar="FRAGMENT", help="append fragment files' repositories and runs")
    ap.add_argument(
        "--compare",
        nargs=2,
        metavar=("BEFORE_JSON", "AFTER_JSON"),
        help="print what changed between two --json reports (held-out runs as counts only) and exit",
    )
    ap.add_argument("--show-held-out", action="store_true", help="with --compare, name the held-out runs too")
    ap.add_argument(
        "--manifest",
        help="score this manifest or fragment file instead of the committed corpus: a batch kept outside "
        "the repository (its runs' files are read from --data, by default the file's own folder)",
    )
    ap.add_argument(
        "--data",
        help="the folder holding the runs' data/ and extracted/ (default: CURVECHECK_REALWORLD_DATA, or "
        "beside the manifest)",
    )
    ap.add_argument(
        "--per-run",
        action="store_true",
        help="analyse each run alone (default: a repository's runs together, as a logdir at its root)",
    )
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    if args.merge:
        print("added %d repositories, %d runs" % merge(args.merge))
        return 0
    if args.compare:
        reports = []
        for path in args.compare:
            with open(path, encoding="utf-8") as f:
                reports.append(json.load(f))
        print_comparison(compare(*reports), show_held_out=args.show_held_out)
        return 0
    if args.extract:
        extract(*args.extract)
        return 0
    global DATA_ROOT
    if args.data or args.manifest:
        DATA_ROOT = args.data or os.path.dirname(os.path.abspath(args.manifest))
    manifest = load_manifest(args.manifest or MANIFEST)
    split_of = {r["repo"]: r["split"] for r in manifest["repositories"]}
    added_of = {r["repo"]: r.get("added", FIRST_BATCH) for r in manifest["repositories"]}
    runs = [
        r
        for r in manifest["runs"]
        if (not args.split or split_of[r["repo"]] == args.split)
        and (not args.only or args.only in r["id"])
        and (not args.added or added_of[r["repo"]] == args.added)
    ]
    manifest = dict(manifest, runs=runs)
    results, errors = {}, {}
    t0 = time.time()
    if args.per_run:
        for run in runs:
            try:
                results[run["id"]] = run_findings(run, loader=args.loader)
            except Exception as e:  # noqa: BLE001 - one broken run must not hide the others
                errors[run["id"]] = "%s: %s" % (type(e).__name__, e)
    else:
        by_repo: Dict[str, List[Mapping]] = defaultdict(list)
        for run in runs:
            by_repo[run["repo"]].append(run)
        for repo_runs in by_repo.values():
            got, failed = repo_findings(repo_runs, loader=args.loader)
            results.update(got)
            errors.update(failed)
    seconds = time.time() - t0
    scored = score(manifest, results, errors)
    if args.json:
        json.dump({"seconds": round(seconds, 2), "errors": errors, **scored}, sys.stdout, indent=1)
        print()
    else:
        print_report(manifest, scored, seconds)
        if errors:
            print("\nRuns that could not be analysed:")
            for k, e in sorted(errors.items()):
                print("  %s: %s" % (k, e))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
