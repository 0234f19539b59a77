"""Agreement between two labellers of the real-world corpus, and the detectors scored against each.

A recall is only as meaningful as the labels it is counted against: when two careful people reading
the same numbers disagree on a run, no detector can match both.  `realworld/relabel/*.json` holds
labels that a second labeller wrote blind (from the numbers alone, without the first label or any
detector output) for a random sample of runs.  This prints the confusion matrix of the two labellings
(healthy and healthy by design together, pathology, mild), Cohen's kappa, whether two pathology
labels share a kind, and the detectors' false alarms and recall counted against the first labels,
the second labels and the runs on which both agree.

    python -m benchmarks.agreement [--file realworld/relabel/stop26.json] [--list]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import realworld as rw  # noqa: E402
from tb_curvecheck.model import at_or_above  # noqa: E402

CLASSES = ("healthy", "pathology", "mild")
DEFAULT_FILE = os.path.join(rw.CORPUS, "relabel", "stop26.json")


def label_class(label: str) -> str:
    """healthy and healthy_by_design are one class here: neither should get a warning."""
    return "healthy" if label.startswith("healthy") else label


def kappa(table: Mapping[Tuple[str, str], int], classes: Sequence[str] = CLASSES) -> Tuple[float, float]:
    """(observed agreement, Cohen's kappa) of a confusion table {(first, second): count}."""
    n = sum(table.values())
    if not n:
        return 0.0, 0.0
    observed = sum(table.get((c, c), 0) for c in classes) / n
    first = {c: sum(table.get((c, d), 0) for d in classes) / n for c in classes}
    second = {c: sum(table.get((d, c), 0) for d in classes) / n for c in classes}
    chance = sum(first[c] * second[c] for c in classes)
    return observed, (observed - chance) / (1 - chance) if chance < 1 else 1.0


def load(path: str) -> List[dict]:
    with open(path, encoding="utf-8") as f:
        return json.load(f)["labels"]


def detector_kinds(runs: Sequence[Mapping]) -> Dict[str, set]:
    """The kinds of warning or error each run gets, with every run of its repository analysed together
    (as the real-world benchmark does, so a run is judged beside its siblings)."""
    by_repo: Dict[str, List[Mapping]] = collections.defaultdict(list)
    for run in runs:
        by_repo[run["repo"]].append(run)
    out: Dict[str, set] = {}
    for repo_runs in by_repo.values():
        found, errors = rw.repo_findings(repo_runs)
        for rid, findings in found.items():
            out[rid] = {f.kind for f in rw.flatten(findings) if at_or_above(f.severity, rw.ALARM)}
        for rid in errors:
            out[rid] = set()
    return out


def report(second: Sequence[Mapping], manifest: Optional[dict] = None, listing: bool = False) -> str:
    manifest = manifest or rw.load_manifest()
    first = {r["id"]: r for r in manifest["runs"]}
    sampled = [e for e in second if e["id"] in first]
    ids = {e["id"] for e in sampled}
    repos = {first[i]["repo"] for i in ids}
    kinds = detector_kinds([r for r in manifest["runs"] if r["repo"] in repos])
    table: Dict[Tuple[str, str], int] = collections.Counter()
    shared = collections.Counter()
    for e in sampled:
        a, b = label_class(first[e["id"]]["label"]), label_class(e["label"])
        table[(a, b)] += 1
        if a == b == "pathology":
            shared["share a kind" if set(first[e["id"]]["kinds"]) & set(e["kinds"]) else "no kind in common"] += 1
    lines = ["%d runs labelled twice (%d repositories)" % (len(sampled), len(repos)), ""]
    lines.append("first label (rows) against second label (columns):")
    lines.append("%-11s" % "" + "".join("%11s" % c for c in CLASSES))
    for a in CLASSES:
        lines.append("%-11s" % a + "".join("%11d" % table[(a, b)] for b in CLASSES))
    observed, k = kappa(table)
    lines.append("agreement %.2f, Cohen's kappa %.2f" % (observed, k))
    lines.append("both pathology: %s" % ", ".join("%s %d" % kv for kv in sorted(shared.items())))
    lines.append("")

    def tally(pick) -> Tuple[int, int, int, int]:
        fa = healthy = caught = sick = 0
        for e in sampled:
            got = pick(e)
            if got is None:
                continue
            cls, wanted = got
            alarms = kinds.get(e["id"], set())
            if cls == "healthy":
                healthy += 1
                fa += bool(alarms)
            elif cls == "pathology":
                sick += 1
                caught += bool(alarms & set(wanted))
        return fa, healthy, caught, sick

    def both(e):
        a, b = label_class(first[e["id"]]["label"]), label_class(e["label"])
        if a != b:
            return None
        return a, set(first[e["id"]]["kinds"]) | set(e["kinds"])

    for name, pick in (
        ("first labels", lambda e: (label_class(first[e["id"]]["label"]), first[e["id"]]["kinds"])),
        ("second labels", lambda e: (label_class(e["label"]), e["kinds"])),
        ("both agree", both),
    ):
        fa, healthy, caught, sick = tally(pick)
        lines.append(
            "detectors against %-13s false alarms %d/%d, recall %d/%d = %.2f"
            % (name + ":", fa, healthy, caught, sick, caught / sick if sick else 0.0)
        )
    if listing:
        lines.append("")
        lines.append("runs the labellers class differently:")
        for e in sampled:
            a, b = label_class(first[e["id"]]["label"]), label_class(e["label"])
            if a != b:
                lines.append("  %-9s -> %-9s %s" % (a, b, e["id"]))
                lines.append("      second: %s" % e["reason"][:300])
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--file", default=DEFAULT_FILE, help="second labels (default: %(default)s)")
    ap.add_argument("--list", action="store_true", help="list the runs the two labellings class differently")
    args = ap.parse_args(argv)
    print(report(load(args.file), listing=args.list))
    return 0


if __name__ == "__main__":
    sys.exit(main())
