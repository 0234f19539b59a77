"""Detection benchmark: recall and false alarms per kind over the labelled corpus.

    python -m benchmarks.detection [--verbose] [--only SUBSTRING] [--family NAME]
        [--param DETECTOR.FIELD=VALUE ...] [--list-params] [--realworld both|tuned|held_out|none]

Collects cases from every `benchmarks/corpus_*.py` module exposing `cases()`
(see `benchmarks/corpus.py` for the format), runs CurveCheck's analysis on
each, and prints per kind: cases expecting it, detected, missed, false alarms
(cases not expecting the kind that got it at warning or error), then the
healthy cases that got any warning or error (and, separately, any info).

A finding folded into another by corroboration (listed in the primary's
`evidence["corroborating"]`) counts as found: it is on screen, as part of
the story it belongs to.

Then, per corpus module and per writer (naming convention), the false-alarm
rate on healthy cases and the recall on pathology cases (every expected kind
found); then the same for the real-world corpus (`benchmarks/realworld.py`),
its tuned and held-out parts separately, per domain and per writer (its
per-run lists are printed by `python benchmarks/realworld.py`).

`--param saturated_loss.min_error=0.03` runs the detectors with one threshold
changed (repeatable; nested ones as `metric_drops.drops.noise_k=4`);
`--list-params` prints every parameter with its default.
"""

from __future__ import annotations

import argparse
import glob
import importlib
import os
import sys
import time
from collections import defaultdict
from typing import Dict, Iterable, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
if ROOT not in sys.path:  # run as a script: the repository root holds the packages
    sys.path.insert(0, ROOT)

from benchmarks.corpus import Case  # noqa: E402
from tb_curvecheck.model import EV_CORROBORATING, KINDS, Finding, at_or_above  # noqa: E402


def corpus_modules() -> List[str]:
    names = []
    for path in sorted(glob.glob(os.path.join(HERE, "corpus_*.py"))):
        names.append(os.path.splitext(os.path.basename(path))[0])
    return names


# case name -> the corpus module it came from (for the per-corpus table).
CORPUS_OF: Dict[str, str] = {}


def writer_of(case: Case) -> str:
    """The naming convention a case's series follow: Keras runs and tags, PyTorch `add_scalars`
    runs, or plain `tf.summary`/`SummaryWriter` tags."""
    runs = set(case.scalars) | set(case.histograms or {})
    tags = {t for r in case.scalars.values() for t in r}
    if any(r.split("/")[-1] in ("train", "validation") for r in runs) and any(
        t.startswith(("epoch_", "batch_", "evaluation_")) for t in tags
    ):
        return "keras"
    if any(
        "_" in r.split("/")[-1] and r.split("/")[-1].rsplit("_", 1)[-1] in ("train", "val", "test") for r in runs
    ) or any(t.split("/")[-1] in ("train", "val", "validation") for t in tags):
        return "pytorch_add_scalars"
    return "plain_tags"


def collect_cases(log=print, corpus=None) -> List[Case]:
    cases: List[Case] = []
    for name in corpus_modules():
        if corpus and corpus not in name:
            continue
        mod = importlib.import_module("benchmarks." + name)
        if not hasattr(mod, "cases"):
            continue
        t0 = time.time()
        got = list(mod.cases())
        CORPUS_OF.update({c.name: name for c in got})
        log("  %-28s %4d cases  (%.1f s)" % (name, len(got), time.time() - t0))
        cases.extend(got)
    return cases


def analyze_case(case: Case, detectors=None) -> List[Finding]:
    """The findings CurveCheck gives for one case (with `detectors`: a configured
    `DetectorSet`, by default the registry's)."""
    from tb_curvecheck.analysis import grouping, pipeline
    from tb_curvecheck.detectors.registry import DEFAULT

    findings: List[Finding] = []
    experiments = grouping.build_experiments(case.scalars, case.histograms)
    for exp in experiments:
        findings.extend(pipeline.analyze_experiment(exp, detectors or DEFAULT))
    # A case of several runs is judged as a logdir of them is: each run beside its siblings.
    withdrawn, added = pipeline.across_runs(pipeline.levels_of(experiments), findings)
    return [f for f in findings if id(f) not in withdrawn] + added


def flatten(findings: Iterable[Finding]) -> List[Finding]:
    """Findings plus those folded into them by corroboration."""
    out = []
    for f in findings:
        out.append(f)
        for sub in (f.evidence or {}).get(EV_CORROBORATING, []) or []:
            try:
                out.append(Finding.from_json(sub))
            except (KeyError, ValueError, TypeError):
                continue
    return out


def evaluate(cases: List[Case], detectors=None, outcomes: Optional[list] = None):
    """Per-kind tallies and the lists behind them.  With `outcomes`, one dict per case is
    appended to it: corpus, writer, healthy, loud (any warning or error), caught (every
    expected kind found)."""
    stats: Dict[str, Dict[str, int]] = defaultdict(lambda: defaultdict(int))
    misses: List[Tuple[str, str, str]] = []
    alarms: List[Tuple[str, str, str]] = []
    healthy_loud: List[Tuple[str, List[str]]] = []
    healthy_info: List[Tuple[str, List[str]]] = []
    seconds = 0.0
    for case in cases:
        t0 = time.time()
        found = flatten(analyze_case(case, detectors))
        seconds += time.time() - t0
        expected_kinds = {e.kind for e in case.expect}
        for e in case.expect:
            stats[e.kind]["cases"] += 1
            hits = [f for f in found if e.matches(f)]
            if hits:
                stats[e.kind]["detected"] += 1
            else:
                stats[e.kind]["missed"] += 1
                same_kind = ["%s:%s@%d" % (f.run, f.tag, f.start_step) for f in found if f.kind == e.kind]
                misses.append(
                    (
                        case.name,
                        e.kind,
                        "wanted %s:%s in %s; got %s"
                        % (e.run, e.tag, e.start_window, same_kind or [f.kind for f in found]),
                    )
                )
        if outcomes is not None:
            outcomes.append(
                {
                    "corpus": CORPUS_OF.get(case.name, "?"),
                    "writer": writer_of(case),
                    "healthy": case.healthy,
                    "loud": any(at_or_above(f.severity, "warning") for f in found),
                    "caught": all(any(e.matches(f) for f in found) for e in case.expect),
                    "pathology": bool(case.expect),
                }
            )
        flagged = {f.kind for f in found if at_or_above(f.severity, "warning")}
        for kind in flagged - expected_kinds - set(case.also_ok):
            stats[kind]["false_alarms"] += 1
            titles = [f.title for f in found if f.kind == kind]
            alarms.append((case.name, kind, titles[0] if titles else ""))
        if case.healthy:
            stats["_healthy"]["cases"] += 1
            loud = [f for f in found if at_or_above(f.severity, "warning")]
            if loud:
                healthy_loud.append((case.name, ["%s %s: %s" % (f.severity, f.kind, f.title) for f in loud]))
            infos = [f for f in found if f.severity == "info"]
            if infos:
                healthy_info.append((case.name, ["%s: %s" % (f.kind, f.title) for f in infos]))
    return stats, misses, alarms, healthy_loud, healthy_info, seconds


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--verbose", action="store_true", help="list misses and false alarms")
    ap.add_argument("--only", default=None, help="only cases whose name contains this")
    ap.add_argument("--family", default=None, help="only cases of this family")
    ap.add_argument("--corpus", default=None, help="only corpus modules whose name contains this")
    ap.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="DETECTOR.FIELD=VALUE",
        help="run with this detector parameter changed (repeatable)",
    )
    ap.add_argument("--list-params", action="store_true", help="print every detector parameter and exit")
    ap.add_argument(
        "--realworld",
        default="both",
        choices=("both", "tuned", "held_out", "none"),
        help="which part of the real-world corpus to score after the labelled corpora",
    )
    args = ap.parse_args(argv)

    from tb_curvecheck.detectors.registry import DEFAULT

    if args.list_params:
        for key, value in DEFAULT.params().items():
            print("%s=%r" % (key, value))
        return 0
    try:
        detectors = DEFAULT.with_params(dict(p.split("=", 1) for p in args.param))
    except ValueError as e:
        ap.error("--param: %s" % e)
    for p in args.param:
        print("parameter changed: %s" % p)

    print("Collecting cases (generated artefacts are cached in benchmarks/out/):")
    cases = collect_cases(corpus=args.corpus)
    if args.only:
        cases = [c for c in cases if args.only in c.name]
    if args.family:
        cases = [c for c in cases if c.family == args.family]
    outcomes: list = []
    stats, misses, alarms, loud, infos, seconds = evaluate(cases, detectors, outcomes)

    print()
    print("%d cases (%d healthy); analysis took %.1f s in all" % (len(cases), stats["_healthy"]["cases"], seconds))
    print()
    print("%-20s %6s %9s %7s %7s %13s" % ("kind", "cases", "detected", "missed", "recall", "false alarms"))
    worst_recall = 1.0
    for kind in KINDS:
        s = stats.get(kind)
        if not s:
            continue
        n = s["cases"]
        recall = s["detected"] / n if n else float("nan")
        if n:
            worst_recall = min(worst_recall, recall)
        print(
            "%-20s %6d %9d %7d %7s %13d"
            % (kind, n, s["detected"], s["missed"], "%.3f" % recall if n else "-", s["false_alarms"])
        )
    print()
    print("healthy cases with any warning or error: %d of %d" % (len(loud), stats["_healthy"]["cases"]))
    print("healthy cases with an info finding:      %d of %d" % (len(infos), stats["_healthy"]["cases"]))
    print_axes(outcomes)
    if args.realworld != "none":
        print_realworld(args.realworld, detectors)
    if args.verbose:
        if misses:
            print("\nMisses:")
            for name, kind, why in misses:
                print("  %-40s %-16s %s" % (name, kind, why))
        if alarms:
            print("\nFalse alarms:")
            for name, kind, title in alarms:
                print("  %-40s %-16s %s" % (name, kind, title))
        if loud:
            print("\nHealthy cases with warnings/errors:")
            for name, what in loud:
                print("  %s: %s" % (name, "; ".join(what)))
        if infos:
            print("\nHealthy cases with infos:")
            for name, what in infos:
                print("  %s: %s" % (name, "; ".join(what)))
    return 0


def rate(num: int, den: int) -> str:
    return "%d/%d = %.3f" % (num, den, num / den) if den else "-"


def print_axes(outcomes: list) -> None:
    """False-alarm rate (healthy cases with any warning or error) and recall (pathology cases
    with every expected kind found) per corpus module and per writer."""
    for axis in ("corpus", "writer"):
        print("\nlabelled corpora, by %s:" % axis)
        print("  %-30s %6s  %-22s %-22s" % ("", "cases", "false alarms (healthy)", "recall (pathology)"))
        for key in sorted({o[axis] for o in outcomes}):
            sub = [o for o in outcomes if o[axis] == key]
            h = [o for o in sub if o["healthy"]]
            p = [o for o in sub if o["pathology"]]
            print(
                "  %-30s %6d  %-22s %-22s"
                % (key, len(sub), rate(sum(o["loud"] for o in h), len(h)), rate(sum(o["caught"] for o in p), len(p)))
            )


def print_realworld(which: str, detectors=None) -> None:
    """The real-world corpus scored with `benchmarks/realworld.py`'s rules, per split, domain and
    writer (tallies only: `python benchmarks/realworld.py` lists every false alarm and miss)."""
    import logging

    from benchmarks import realworld as rw

    logging.disable(logging.WARNING)
    manifest = rw.load_manifest()
    split_of = {r["repo"]: r["split"] for r in manifest["repositories"]}
    splits = rw.SPLITS if which == "both" else (which,)
    for split in splits:
        runs = [r for r in manifest["runs"] if split_of[r["repo"]] == split]
        results, errors = {}, {}
        for run in runs:
            try:
                results[run["id"]] = rw.run_findings(run, detectors=detectors)
            except Exception as e:  # noqa: BLE001 - one broken run must not hide the others
                errors[run["id"]] = "%s: %s" % (type(e).__name__, e)
        scored = rw.score(dict(manifest, runs=runs), results, errors)
        t = scored["tallies"]["split"].get(split, {})
        fa, rc, wa = rw.rates(t)
        print(
            "\nreal-world corpus, %s part: %d runs; false alarms (healthy) %s; recall (pathology) %s;"
            " warned of any kind %s%s"
            % (split, t.get("runs", 0), fa, rc, wa, "; %d could not be analysed" % len(errors) if errors else "")
        )
        for axis in ("domain", "writer"):
            print("  by %s:" % axis)
            for k, tt in scored["by_split"]["%s/%s" % (split, axis)].items():
                fa, rc, _ = rw.rates(tt)
                print("    %-28s %6d  %-22s %-22s" % (k, tt.get("runs", 0), fa, rc))


if __name__ == "__main__":
    sys.exit(main())
