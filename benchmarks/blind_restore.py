"""Bring blind-ledger runs back from fetched repository snapshots, and count what changed since they were first scored.

    python -m benchmarks.blind_restore list [--split S] [--first OUTCOME ...] [--label L ...] [--ledger LEDGER ...]
    python -m benchmarks.blind_restore restore OUT --mirrors DIR [the same choices]
    python -m benchmarks.blind_restore since OUT/fragment.json SCORES.json

A ledger (`realworld/blind/*.json`) keeps no event files, only where they came from: each repository and
commit, each run's original files (path, size, sha256), its label and the outcome of its one first scoring.
Given git snapshots of those repositories (one folder per repository, `DIR/<owner>+<name>/`, holding the
git directory directly or in `repo/` or `repo/.git`), `restore` copies the chosen runs' files out of the
recorded commit into `OUT/data/<owner>__<name>/<path>`, checks every byte against the recorded size and
sha256, and writes `OUT/fragment.json`, which `realworld.py --manifest OUT/fragment.json --json` scores.
It lists the repositories still to fetch, and never copies a file whose bytes differ from the record.

`since` sets each run's first outcome beside its outcome in a new report of that fragment: did the fixes
made since on tuned runs carry over to held-out runs nobody tuned on?  Held-out runs are counted, never named.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from .blind_ledger import BLIND
from .realworld import SPLITS


def snapshot(mirrors: str, repo: str) -> Optional[str]:
    """The git directory of `repo`'s snapshot under `mirrors`, or None when it has not been fetched."""
    base = os.path.join(mirrors, repo.replace("/", "+"))
    for git in (os.path.join(base, "repo", ".git"), os.path.join(base, "repo"), os.path.join(base, ".git"), base):
        if os.path.isdir(os.path.join(git, "objects")):
            return git
    return None


def select(
    ledgers: Iterable[str],
    split: Optional[str] = None,
    first: Sequence[str] = (),
    labels: Sequence[str] = (),
) -> List[dict]:
    """The ledgers' runs that match, each with the commit its files were recorded at and its ledger's name."""
    out = []
    for path in ledgers:
        with open(path, encoding="utf-8") as f:
            ledger = json.load(f)
        commits = {r["repo"]: r["commit"] for r in ledger["repositories"]}
        name = os.path.splitext(os.path.basename(path))[0]
        for run in ledger["runs"]:
            if split and run["split"] != split:
                continue
            if first and run.get("blind_outcome") not in first:
                continue
            if labels and run["label"] not in labels:
                continue
            # A run whose files were deleted from the repository later names the older commit it was copied from.
            out.append(dict(run, commit=run.get("commit") or commits[run["repo"]], ledger=name))
    return out


def _blob(git: str, commit: str, path: str) -> Optional[bytes]:
    got = subprocess.run(["git", "--git-dir", git, "cat-file", "blob", "%s:%s" % (commit, path)], capture_output=True)
    return got.stdout if got.returncode == 0 else None


def _folder(repo: str) -> str:
    return repo.replace("/", "__")


def restore(runs: Sequence[Mapping], mirrors: str, out: str) -> Tuple[dict, List[str], List[str]]:
    """Copy `runs` out of their snapshots into `out`: (the fragment written, repositories to fetch first,
    runs left out with why)."""
    to_fetch = sorted({r["repo"] for r in runs if snapshot(mirrors, r["repo"]) is None})
    left_out: List[str] = []
    kept: Dict[str, List[dict]] = defaultdict(list)
    for run in runs:
        git = snapshot(mirrors, run["repo"])
        if git is None:
            continue
        why = None
        for f in run["files"]:
            dest = os.path.join(out, "data", _folder(run["repo"]), f["path"])
            if os.path.exists(dest) and _matches(dest, f):
                continue
            data = _blob(git, run["commit"], f["path"])
            if data is None:
                why = "%s is not in commit %s" % (f["path"], run["commit"][:12])
                break
            if len(data) != f["size"] or hashlib.sha256(data).hexdigest() != f["sha256"]:
                why = "%s differs from the recorded bytes" % f["path"]
                break
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as fh:
                fh.write(data)
        if why:
            left_out.append("%s: %s" % (run["id"], why))
            continue
        entry = {k: v for k, v in run.items() if k not in ("blind_outcome", "scored_with", "ledger")}
        entry.update(
            stored="raw",
            data="/".join(p for p in ("data", _folder(run["repo"]), run["path"]) if p),
            batch=run["ledger"],
            first_outcome=run.get("blind_outcome"),
            first_scored_with=run.get("scored_with"),
        )
        kept[run["repo"]].append(entry)
    fragment = {
        "about": "blind-ledger runs restored from repository snapshots (benchmarks/blind_restore.py)",
        "repositories": [
            {
                "repo": repo,
                "commit": rs[0]["commit"],
                "split": rs[0]["split"],
                "writers": sorted({r["writer"] for r in rs}),
                "runs": len(rs),
                "added": "restored",
            }
            for repo, rs in sorted(kept.items())
        ],
        "runs": [r for _, rs in sorted(kept.items()) for r in rs],
    }
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "fragment.json"), "w", encoding="utf-8") as fh:
        json.dump(fragment, fh, indent=1, ensure_ascii=False)
        fh.write("\n")
    return fragment, to_fetch, left_out


def _matches(path: str, f: Mapping) -> bool:
    with open(path, "rb") as fh:
        data = fh.read()
    return len(data) == f["size"] and hashlib.sha256(data).hexdigest() == f["sha256"]


def since(fragment: Mapping, now: Mapping[str, str]) -> Dict[str, Counter]:
    """Per split, how many runs went from each first outcome to each outcome `now` (run id -> outcome)."""
    moves: Dict[str, Counter] = {split: Counter() for split in SPLITS}
    for run in fragment["runs"]:
        if run["id"] in now:
            moves[run["split"]][(run.get("first_outcome") or "unknown", now[run["id"]])] += 1
    return moves


def since_lines(fragment: Mapping, report: Mapping) -> List[str]:
    """`since` as a table, with the tuned runs whose outcome changed named (held-out runs only counted)."""
    now = {v["id"]: v["outcome"] for v in report["verdicts"]}
    moves = since(fragment, now)
    lines = ["%-9s %-13s %-13s %5s" % ("split", "first", "now", "runs")]
    for split in SPLITS:
        for (first, later), n in sorted(moves[split].items()):
            lines.append("%-9s %-13s %-13s %5d" % (split, first, later, n))
    for split in SPLITS:
        for first, better in (("false_alarm", ("quiet",)), ("missed", ("caught",)), ("misnamed", ("caught",))):
            total = sum(n for (f, _), n in moves[split].items() if f == first)
            if total:
                fixed = sum(n for (f, later), n in moves[split].items() if f == first and later in better)
                lines.append("%s: first-scoring %s now %s: %d/%d" % (split, first, "/".join(better), fixed, total))
    changed = [
        r
        for r in fragment["runs"]
        if r["split"] == "tuned" and r["id"] in now and now[r["id"]] != r.get("first_outcome")
    ]
    if changed:
        lines.append("tuned runs whose outcome changed:")
        lines += ["  %s -> %s  %s" % (r.get("first_outcome"), now[r["id"]], r["id"]) for r in changed]
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    choose = argparse.ArgumentParser(add_help=False)
    choose.add_argument("--split", choices=SPLITS)
    choose.add_argument("--first", nargs="+", default=(), metavar="OUTCOME", help="only runs first scored so")
    choose.add_argument("--label", nargs="+", default=(), help="only runs of these labels")
    choose.add_argument(
        "--ledger", nargs="+", default=(), help="ledgers to read (default: every realworld/blind/*.json)"
    )
    r = sub.add_parser("restore", parents=[choose], help="copy the chosen runs out of fetched snapshots")
    r.add_argument("out", help="the folder to restore into")
    r.add_argument("--mirrors", required=True, help="the folder holding one git snapshot per repository")
    sub.add_parser("list", parents=[choose], help="the repositories the chosen runs come from, to fetch")
    s = sub.add_parser("since", help="first outcomes against a new report of a restored fragment")
    s.add_argument("fragment")
    s.add_argument("scores")
    args = ap.parse_args(argv)
    if args.cmd == "since":
        loaded = []
        for path in (args.fragment, args.scores):
            with open(path, encoding="utf-8") as f:
                loaded.append(json.load(f))
        print("\n".join(since_lines(*loaded)))
        return 0
    runs = select(args.ledger or sorted(glob.glob(os.path.join(BLIND, "*.json"))), args.split, args.first, args.label)
    if args.cmd == "list":
        print("\n".join(sorted({r["repo"] for r in runs})))
        return 0
    fragment, to_fetch, left_out = restore(runs, args.mirrors, args.out)
    print(
        "restored %d of %d runs (%d repositories) into %s"
        % (len(fragment["runs"]), len(runs), len(fragment["repositories"]), args.out)
    )
    for why in left_out:
        print("left out %s" % why)
    if to_fetch:
        print("%d repositories to fetch first:" % len(to_fetch))
        print("\n".join("  " + r for r in to_fetch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
