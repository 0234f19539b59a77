"""Blind-ledger runs come back from git snapshots byte for byte, and their first outcomes meet a new report.

A real git repository holds event files written by tensorboardX; a ledger records them as a collector
would (path, size, sha256 at a commit, label, first outcome).  The repository then moves on (a file is
deleted), so the files must come from the recorded commit, not the newest one.
"""

import glob
import hashlib
import json
import os
import shutil
import subprocess

import pytest

from benchmarks import blind_restore as br
from benchmarks import realworld as rw
from tests import logwriters
from tests.corpus_entries import run_entry

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def _git(repo, *args):
    env = dict(
        os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t"
    )
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


def _record(repo, run_dir):
    files = []
    for path in logwriters.event_files(str(repo / run_dir)):
        data = open(path, "rb").read()
        files.append(
            {"path": os.path.relpath(path, repo), "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        )
    return files


def _snapshot_and_ledger(tmp_path, split="held_out"):
    """A fetched-snapshot folder with one repository (as `fetch` lays it out: `<owner>+<name>/repo/.git`),
    and a ledger naming two of its runs at the commit they were recorded at."""
    repo = tmp_path / "mirrors" / "someone+repo" / "repo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q")
    steps = range(40)
    logwriters.tbx_scalars(str(repo / "runs" / "good"), {"loss": [2.0 * 0.93**i + 0.1 for i in steps]})
    logwriters.tbx_scalars(
        str(repo / "runs" / "nan"), {"loss": [2.0 * 0.93**i + 0.1 if i < 25 else float("nan") for i in steps]}
    )
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "logs")
    commit = _git(repo, "rev-parse", "HEAD").strip()
    runs = []
    for name, label, kinds, first in (
        ("good", "healthy", [], "false_alarm"),
        ("nan", "pathology", ["non_finite"], "missed"),
    ):
        runs.append(
            run_entry(
                name,
                label,
                kinds,
                split,
                files=_record(repo, "runs/" + name),
                blind_outcome=first,
                scored_with="abc1234",
            )
        )
    # The repository moves on: the newest commit no longer holds the healthy run.
    _git(repo, "rm", "-q", "-r", "runs/good")
    _git(repo, "commit", "-q", "-m", "drop a run")
    ledger = {
        "about": "a test ledger",
        "repositories": [{"repo": "someone/repo", "commit": commit, "split": split, "runs": 2}],
        "runs": runs,
    }
    path = tmp_path / "ledger.json"
    path.write_text(json.dumps(ledger))
    return tmp_path / "mirrors", path, ledger


def test_runs_come_back_from_the_recorded_commit_byte_for_byte_and_are_scored(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(rw, "DATA_ROOT", rw.DATA_ROOT)  # main() points it at the batch; put it back after
    mirrors, ledger_path, ledger = _snapshot_and_ledger(tmp_path)
    out = tmp_path / "restored"
    assert br.main(["restore", str(out), "--mirrors", str(mirrors), "--ledger", str(ledger_path)]) == 0
    assert "restored 2 of 2 runs (1 repositories)" in capsys.readouterr().out
    for run in ledger["runs"]:
        for f in run["files"]:
            data = (out / "data" / "someone__repo" / f["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == f["sha256"]
    fragment = json.loads((out / "fragment.json").read_text())
    firsts = {r["id"]: r["first_outcome"] for r in fragment["runs"]}
    assert firsts == {"someone__repo/runs/good": "false_alarm", "someone__repo/runs/nan": "missed"}
    assert rw.main(["--manifest", str(out / "fragment.json"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    now = {v["id"]: v["outcome"] for v in report["verdicts"]}
    assert now == {"someone__repo/runs/good": "quiet", "someone__repo/runs/nan": "caught"}
    # Held-out runs are counted, never named.
    scores = tmp_path / "now.json"
    scores.write_text(json.dumps(report))
    assert br.main(["since", str(out / "fragment.json"), str(scores)]) == 0
    text = capsys.readouterr().out
    assert "held_out: first-scoring false_alarm now quiet: 1/1" in text
    assert "held_out: first-scoring missed now caught: 1/1" in text
    assert "runs/good" not in text and "runs/nan" not in text


def test_tuned_runs_whose_outcome_changed_are_named(tmp_path):
    _, _, ledger = _snapshot_and_ledger(tmp_path, split="tuned")
    fragment = {"runs": [dict(r, first_outcome=r["blind_outcome"]) for r in ledger["runs"]]}
    report = {
        "verdicts": [
            {"id": "someone__repo/runs/good", "outcome": "false_alarm"},
            {"id": "someone__repo/runs/nan", "outcome": "caught"},
        ]
    }
    lines = br.since_lines(fragment, report)
    assert "tuned: first-scoring false_alarm now quiet: 0/1" in lines
    assert "  missed -> caught  someone__repo/runs/nan" in lines
    assert not any("runs/good" in line for line in lines)


def test_bytes_that_differ_from_the_record_are_never_copied(tmp_path, capsys):
    mirrors, ledger_path, ledger = _snapshot_and_ledger(tmp_path)
    ledger["runs"][1]["files"][0]["sha256"] = "0" * 64
    ledger_path.write_text(json.dumps(ledger))
    out = tmp_path / "restored"
    assert br.main(["restore", str(out), "--mirrors", str(mirrors), "--ledger", str(ledger_path)]) == 0
    text = capsys.readouterr().out
    assert (
        "restored 1 of 2 runs" in text
        and "someone__repo/runs/nan:" in text
        and "differs from the recorded bytes" in text
    )
    assert not (out / "data" / "someone__repo" / "runs" / "nan").exists()
    assert [r["id"] for r in json.loads((out / "fragment.json").read_text())["runs"]] == ["someone__repo/runs/good"]


def test_repositories_not_fetched_yet_are_listed_and_their_runs_left_for_later(tmp_path, capsys):
    mirrors, ledger_path, _ = _snapshot_and_ledger(tmp_path)
    shutil.rmtree(mirrors / "someone+repo")
    assert br.main(["list", "--first", "missed", "--ledger", str(ledger_path)]) == 0
    assert capsys.readouterr().out.split() == ["someone/repo"]
    out = tmp_path / "restored"
    assert br.main(["restore", str(out), "--mirrors", str(mirrors), "--ledger", str(ledger_path)]) == 0
    text = capsys.readouterr().out
    assert "restored 0 of 2 runs" in text and "1 repositories to fetch first:" in text and "someone/repo" in text


def test_every_committed_ledger_can_be_chosen_from():
    """The committed ledgers carry what a restore needs: each run's repository commit and its files."""
    runs = br.select(sorted(glob.glob(os.path.join(br.BLIND, "*.json"))), split="held_out", first=["false_alarm"])
    assert runs and all(len(r["commit"]) == 40 and r["files"] and r["split"] == "held_out" for r in runs)
    assert {r["blind_outcome"] for r in runs} == {"false_alarm"}
