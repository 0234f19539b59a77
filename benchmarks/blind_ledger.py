"""Blind batches: keep the record of a batch scored once, and total every batch so far.

    python -m benchmarks.blind_ledger write OUT.json --about TEXT FOLDER SCORES.json COMMIT [FOLDER SCORES.json COMMIT ...]
    python -m benchmarks.blind_ledger totals [LEDGER.json ...]

A blind batch is collected and labelled outside the repository (a folder holding `fragment.json`,
`data/` and `extracted/`, as `realworld.py --manifest` reads it) and scored once, with the code of one
commit, before any change it could prompt (`realworld.py --manifest FOLDER/fragment.json --json >
SCORES.json`).  Its event files are not committed (the decision on fetched data is pending; see
`realworld/README.md`), so the ledger keeps what is needed to fetch and score it again: each repository
and commit, each run's original files (path, size, sha256), its label and reason, and the outcome of
that one scoring with the commit that made it.

`totals` prints, for each ledger (default: every `realworld/blind/*.json`) and split, the false alarms
over healthy runs and the recall over pathology runs of those first scorings, as the closing notes
quote them.

A ledger written with `--siblings` holds run folders never labelled before from repositories the corpus or
an earlier ledger already used (when no new repositories can be fetched).  Its runs share their authors'
code and habits with runs already judged, so they say less about foreign logs: `totals` lists it but keeps
it out of `all`, and totals the sibling ledgers on a row of their own.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import sys
from collections import defaultdict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
BLIND = os.path.join(HERE, "realworld", "blind")
# The fields of a fragment's run that the ledger keeps; `stored` and `data` say where a folder that is
# gone kept its files, and mean nothing once it is.
RUN_FIELDS = ("id", "repo", "path", "writer", "domain", "label", "kinds", "steps", "reason", "split", "files", "commit")
REPO_FIELDS = ("repo", "commit", "split", "writers", "runs", "added", "blind_batch")
HEALTHY = ("healthy", "healthy_by_design")


def batch_entries(fragment: Mapping, scores: Mapping, commit: str) -> Tuple[List[dict], List[dict]]:
    """A batch's repositories and runs as the ledger keeps them, each run with its one outcome."""
    outcome = {v["id"]: v["outcome"] for v in scores["verdicts"]}
    missing = [r["id"] for r in fragment["runs"] if r["id"] not in outcome]
    if missing:
        raise ValueError("runs without a score (scored with another fragment?): %s" % ", ".join(missing[:5]))
    repos = [{k: r[k] for k in REPO_FIELDS if k in r} for r in fragment["repositories"]]
    runs = []
    for r in fragment["runs"]:
        kept = {k: r[k] for k in RUN_FIELDS if k in r}
        # A fragment may leave a healthy or mild run's kinds and steps out; the ledger's format names them,
        # and only a pathology has any: a collector that named what a mild run is mild of (stops 63 and 64)
        # wrote a ledger the corpus checks refuse, and its reason keeps the reading.
        if kept.get("label") != "pathology":
            kept["kinds"], kept["steps"] = [], None
        kept.setdefault("steps", None)
        # An empty event file (a writer opened and never flushed) holds nothing to fetch or read again.
        kept["files"] = [x for x in kept.get("files", []) if x.get("size", 0) > 0]
        kept.update(blind_outcome=outcome[r["id"]], scored_with=commit)
        runs.append(kept)
    return repos, runs


def write(out: str, about: str, batches: Sequence[Tuple[str, str, str]], siblings: bool = False) -> dict:
    """Writes the ledger of `batches` ((folder, scores file, commit) each) to `out` and returns it."""
    ledger: dict = {"about": about, "repositories": [], "runs": []}
    used = used_before(exclude=out)
    if siblings:
        ledger["siblings"] = True
    for folder, scores_path, commit in batches:
        with open(os.path.join(folder, "fragment.json"), encoding="utf-8") as f:
            fragment = json.load(f)
        with open(scores_path, encoding="utf-8") as f:
            scores = json.load(f)
        repos, runs = batch_entries(fragment, scores, commit)
        _refuse_used(repos, runs, used, siblings)
        ledger["repositories"] += repos
        ledger["runs"] += runs
    with open(out, "w", encoding="utf-8") as f:
        f.write(dumps(ledger))
    return ledger


def used_before(exclude: str = "") -> Dict[str, List[str]]:
    """Every repository the corpus or a committed ledger (but `exclude`) used, lowercased as GitHub
    compares names, with the run folders judged in it."""
    from benchmarks import realworld

    judged: Dict[str, List[str]] = defaultdict(list)
    for r in realworld.load_manifest()["runs"]:
        judged[r["repo"].lower()].append(r["path"].rstrip("/"))
    for path in sorted(glob.glob(os.path.join(BLIND, "*.json"))):
        if exclude and os.path.abspath(path) == os.path.abspath(exclude):
            continue
        with open(path, encoding="utf-8") as f:
            for r in json.load(f)["runs"]:
                judged[r["repo"].lower()].append(r["path"].rstrip("/"))
    return judged


def _refuse_used(repos: Sequence[Mapping], runs: Sequence[Mapping], used: Mapping, siblings: bool) -> None:
    # A batch scored as foreign that holds a repository already judged says less than its ledger claims
    # (stop 62's first ledger held three such, caught only by the test suite); a sibling batch may reuse
    # the repository but not a folder judged before, nor one holding or inside it.
    if not siblings:
        again = sorted(r["repo"] for r in repos if r["repo"].lower() in used)
        if again:
            raise ValueError(
                "repositories used before (write them --siblings, or leave them out): %s" % ", ".join(again)
            )
        return
    again = []
    for r in runs:
        x = r["path"].rstrip("/")
        if any(p == x or p.startswith(x + "/") or x.startswith(p + "/") for p in used.get(r["repo"].lower(), ())):
            again.append(r["id"])
    if again:
        raise ValueError("run folders judged before: %s" % ", ".join(again[:10]))


def dumps(ledger: Mapping) -> str:
    """The ledger as JSON, one line per field except each event file, which takes one line: a run of
    tensorboardX's `add_scalars` keeps a file per scalar and step, and at five lines each its list alone
    passed 2 MB."""
    lines: List[str] = []

    def mark(entry: Mapping) -> str:
        lines.append(json.dumps(entry, ensure_ascii=False))
        return "\x00file%d\x00" % (len(lines) - 1)

    runs = [dict(r, files=[mark(x) for x in r.get("files", [])]) for r in ledger["runs"]]
    text = json.dumps(dict(ledger, runs=runs), indent=1, ensure_ascii=False)
    text = re.sub(r'"\\u0000file(\d+)\\u0000"', lambda m: lines[int(m.group(1))], text)
    return text + "\n"


def tally(runs: Sequence[Mapping]) -> Dict[str, Dict[str, int]]:
    """Per split: healthy runs, those warned (false alarms), pathology runs, those caught."""
    t: Dict[str, Dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in runs:
        split, out = r["split"], r["blind_outcome"]
        if r["label"] in HEALTHY:
            t[split]["healthy"] += 1
            t[split]["false_alarms"] += out == "false_alarm"
        elif r["label"] == "pathology":
            t[split]["pathology"] += 1
            t[split]["caught"] += out == "caught"
    return t


def totals(paths: Sequence[str]) -> List[str]:
    lines = ["%-16s %-9s %16s %16s" % ("ledger", "split", "false alarms", "recall")]
    every: List[Mapping] = []
    siblings: List[Mapping] = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            ledger = json.load(f)
        runs = ledger["runs"]
        (siblings if ledger.get("siblings") else every).extend(runs)
        lines += _rows(os.path.splitext(os.path.basename(path))[0], tally(runs))
    lines += _rows("all", tally(every))
    if siblings:
        lines += _rows("siblings", tally(siblings))
    return lines


def _rows(name: str, t: Mapping[str, Mapping[str, int]]) -> List[str]:
    return [
        "%-16s %-9s %16s %16s"
        % (
            name,
            split,
            "%d/%d" % (t[split]["false_alarms"], t[split]["healthy"]),
            "%d/%d" % (t[split]["caught"], t[split]["pathology"]),
        )
        for split in ("tuned", "held_out")
        if split in t
    ]


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write", help="write a ledger from scored batch folders")
    w.add_argument("out")
    w.add_argument("--about", required=True, help="what the batches are and how they were scored")
    w.add_argument(
        "--siblings",
        action="store_true",
        help="the runs come from repositories already used (run folders never labelled before)",
    )
    w.add_argument("triples", nargs="+", metavar="FOLDER SCORES COMMIT")
    t = sub.add_parser("totals", help="false alarms and recall of every first scoring")
    t.add_argument("ledgers", nargs="*")
    args = ap.parse_args(argv)
    if args.cmd == "write":
        if len(args.triples) % 3:
            ap.error("give each batch as FOLDER SCORES.json COMMIT")
        batches = [tuple(args.triples[i : i + 3]) for i in range(0, len(args.triples), 3)]
        ledger = write(args.out, args.about, batches, siblings=args.siblings)
        print("%s: %d repositories, %d runs" % (args.out, len(ledger["repositories"]), len(ledger["runs"])))
        return 0
    paths = args.ledgers or sorted(glob.glob(os.path.join(BLIND, "*.json")))
    print("\n".join(totals(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
