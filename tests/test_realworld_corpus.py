"""The real-world corpus is whole and its labels are usable.

Checks the corpus itself (files present, byte for byte where stored raw,
labels well formed, the held-out split as its rule says) and the benchmark's
own mechanics (extraction round trip, scoring).  It asserts nothing about
what today's detectors find on the corpus: that is the benchmark's report.
"""

import hashlib
import json
import os
import re

import numpy as np
import pytest

from benchmarks import realworld as rw
from tb_curvecheck import reading  # noqa: E402
from tb_curvecheck.model import KINDS, Finding  # noqa: E402

MANIFEST = rw.load_manifest()
RUNS = MANIFEST["runs"]
REPOS = MANIFEST["repositories"]
# Kinds a label may name: the finding kinds, plus the name for a run
# whose loss and metrics never moved (detectors may report it under its own
# kind or as no_progress / stuck_metric).
LABEL_KINDS = set(KINDS) | {"never_learned"}
HEX40 = re.compile(r"^[0-9a-f]{40}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_corpus_is_as_large_and_as_varied_as_promised():
    assert len(RUNS) >= 150
    assert len(REPOS) >= 15
    assert len({r["writer"] for r in RUNS}) >= 4
    assert len({r["domain"] for r in RUNS}) >= 5
    ids = [r["id"] for r in RUNS]
    assert len(ids) == len(set(ids)), "run ids must be unique"


def test_every_repository_is_pinned_to_a_commit_and_every_run_to_a_repository():
    names = [r["repo"] for r in REPOS]
    assert len(names) == len(set(names))
    for r in REPOS:
        assert re.match(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$", r["repo"]), r["repo"]
        assert HEX40.match(r["commit"]), r
        assert r["split"] in rw.SPLITS
        assert r["runs"] == sum(1 for run in RUNS if run["repo"] == r["repo"])
    assert {run["repo"] for run in RUNS} == set(names)


def test_provenance_names_exactly_the_manifest_runs(tmp_path):
    with open(os.path.join(rw.CORPUS, rw.PROVENANCE), encoding="utf-8") as f:
        provenance = json.load(f)["runs"]
    assert set(provenance) == {run["id"] for run in RUNS}
    # Written back, the two files load as the same manifest.
    rw.save_manifest(MANIFEST, str(tmp_path / "manifest.json"))
    assert rw.load_manifest(str(tmp_path / "manifest.json")) == MANIFEST


def test_raw_runs_are_the_committed_bytes():
    raw = [r for r in RUNS if r["stored"] == "raw"]
    assert raw
    for run in raw:
        root = rw.data_path(run)
        assert os.path.isdir(root), run["id"]
        repo_dir = os.path.join(rw.DATA_ROOT, "data", run["repo"].replace("/", "__", 1))
        assert run["files"], run["id"]
        for f in run["files"]:
            path = os.path.join(repo_dir, f["path"])
            assert os.path.commonpath([path, root]) == root, "file outside its run: %s" % f["path"]
            assert "tfevents" in os.path.basename(f["path"])
            assert os.path.getsize(path) == f["size"], path
            assert _sha256(path) == f["sha256"], path
            with open(path, "rb") as fh:
                head = fh.read(64)
            assert b"git-lfs" not in head, "an LFS pointer, not an event file: %s" % path


def test_extracted_runs_load_and_name_their_originals():
    extracted = [r for r in RUNS if r["stored"] == "extracted"]
    assert extracted
    for run in extracted:
        assert run["data"].startswith("extracted/") and run["data"].endswith(".npz")
        scalars, histograms = rw.load_extracted(rw.data_path(run))
        n = sum(len(t) for t in scalars.values())
        assert n > 0, run["id"]
        for tags in scalars.values():
            for s in tags.values():
                assert s.steps.dtype == np.int64 and s.values.shape == s.steps.shape
                assert np.all(np.diff(s.steps) > 0), "steps strictly increasing"
        for tags in histograms.values():
            for h in tags.values():
                assert len(h.buckets) == len(h.steps)
                assert all(b.ndim == 2 and b.shape[1] == 3 for b in h.buckets)
        for f in run["files"]:
            assert f["size"] > 0 and HEX64.match(f["sha256"]), run["id"]


def test_labels_are_well_formed():
    for run in RUNS:
        assert run["label"] in rw.LABELS, run["id"]
        assert run["reason"].strip(), run["id"]
        assert run["writer"] and run["domain"]
        if run["label"] == "pathology":
            assert run["kinds"], run["id"]
            assert set(run["kinds"]) <= LABEL_KINDS, run["kinds"]
            a, b = run["steps"]
            assert 0 <= a <= b, run["id"]
        else:
            assert run["kinds"] == [] and run["steps"] is None, run["id"]
    labels = {r["label"] for r in RUNS}
    assert {"healthy", "pathology"} <= labels


def test_held_out_split_follows_its_recorded_rule():
    # The rule in the manifest: held out when sha256("owner/name") falls in the
    # first third of the hash space.  A threshold (not a rank) keeps every
    # repository's split fixed when repositories are added.  One whole batch
    # (stop20c) was held out before it was read, to bring the share back to a third.
    assert "0x55555555" in MANIFEST["held_out_rule"] and "stop20c" in MANIFEST["held_out_rule"]
    want = {
        r["repo"]
        for r in REPOS
        if int(hashlib.sha256(r["repo"].encode()).hexdigest()[:8], 16) < 0x55555555 or r.get("added") == "stop20c"
    }
    got = {r["repo"] for r in REPOS if r["split"] == "held_out"}
    assert got == want
    assert len(got) * 3 >= len(REPOS)
    # Both parts must be able to score something.
    for split in rw.SPLITS:
        labels = {run["label"] for run in RUNS if next(r for r in REPOS if r["repo"] == run["repo"])["split"] == split}
        assert "healthy" in labels and "pathology" in labels, split


def test_corpus_stays_small_enough_to_clone():
    total = 0
    for root, _, files in os.walk(rw.CORPUS):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    assert total < 100 * 2**20, total


def test_every_corpus_file_name_checks_out_on_every_system():
    # A clone on Windows or macOS fails on names with characters those systems refuse (a run's
    # timestamped directory such as `cnn_2020-10-16T12:48:54` keeps its colons in the source repository).
    refused = re.compile(r'[:*?"<>|\\]')
    for root, dirs, files in os.walk(rw.CORPUS):
        for name in dirs + files:
            assert not refused.search(name), os.path.join(root, name)


def test_extraction_round_trip_keeps_every_point(tmp_path):
    """A raw run extracted and loaded back gives the series TensorBoard's loader reads."""
    run = next(r for r in RUNS if r["stored"] == "raw" and r["writer"] == "mlagents")
    src = rw.data_path(run)
    out = str(tmp_path / "run.npz")
    rw.extract(src, out)
    scalars, histograms = rw.load_extracted(out)
    direct = reading.read_logdir(src, loader="python")
    assert set(scalars) == set(direct.scalars)
    for name, tags in direct.scalars.items():
        assert set(scalars[name]) == set(tags)
        for tag, s in tags.items():
            np.testing.assert_array_equal(scalars[name][tag].steps, s.steps)
            np.testing.assert_array_equal(scalars[name][tag].values, s.values)
    assert set(histograms) == set(direct.histograms)
    for name, tags in direct.histograms.items():
        for tag, h in tags.items():
            got = histograms[name][tag]
            np.testing.assert_array_equal(got.steps, h.steps)
            for a, b in zip(got.buckets, h.buckets):
                np.testing.assert_array_equal(a, b)


def test_extraction_keeps_what_a_restart_overwrote(tmp_path):
    """The values a second session overwrote (TensorBoard shows only the newest per step) survive an
    extract: the analysis reads them to tell a resumed model from one that never learned."""
    import time

    from tests import logwriters

    run = str(tmp_path / "twice")
    logwriters.tbx_scalars(run, {"loss": [1.0 / (i + 1) for i in range(30)]})
    time.sleep(1.1)
    logwriters.tbx_scalars(run, {"loss": [0.03 + 0.001 * (i % 2) for i in range(20)]})
    out = str(tmp_path / "run.npz")
    rw.extract(run, out)
    scalars, _ = rw.load_extracted(out)
    direct = reading.read_logdir(run, loader="python").scalars
    (name,) = direct
    got, want = scalars[name]["loss"], direct[name]["loss"]
    assert want.restarts >= 1 and want.superseded is not None and len(want.superseded) == 30
    np.testing.assert_array_equal(got.values, want.values)
    np.testing.assert_array_equal(got.superseded, want.superseded)


def _finding(kind, severity):
    return Finding(
        run=".", tag="loss", kind=kind, severity=severity, start_step=0, end_step=10, title="t", explanation="e"
    )


@pytest.mark.parametrize(
    "label,found,outcome",
    [
        ("healthy", [], "quiet"),
        ("healthy", [("no_progress", "info")], "quiet"),
        ("healthy", [("no_progress", "warning")], "false_alarm"),
        ("healthy_by_design", [("loss_divergence", "error")], "false_alarm"),
        ("pathology", [("non_finite", "info")], "missed"),
        ("pathology", [("oscillation", "error")], "misnamed"),
        ("pathology", [("non_finite", "error")], "caught"),
        ("mild", [("loss_divergence", "error")], "not_scored"),
    ],
)
def test_scoring_counts_warnings_and_errors_only(label, found, outcome):
    base = next(r for r in RUNS if r["label"] == label)
    run = dict(
        base, kinds=["non_finite"] if label == "pathology" else [], steps=[0, 10] if label == "pathology" else None
    )
    manifest = dict(MANIFEST, runs=[run])
    scored = rw.score(manifest, {run["id"]: [_finding(k, s) for k, s in found]})
    assert scored["verdicts"][0]["outcome"] == outcome


def test_a_hand_labelled_fragment_may_leave_out_what_a_healthy_run_has_none_of():
    # A blind batch's healthy runs were written without `kinds` and `steps`; scoring raised KeyError.
    base = next(r for r in RUNS if r["label"] == "healthy")
    run = {k: v for k, v in base.items() if k not in ("kinds", "steps")}
    scored = rw.score(dict(MANIFEST, runs=[run]), {run["id"]: [_finding("no_progress", "warning")]})
    assert scored["verdicts"][0]["outcome"] == "false_alarm" and scored["verdicts"][0]["kinds"] == []
    # A pathology that names no kind could only be missed: that is a labelling error, said as one.
    bad = dict(run, label="pathology")
    with pytest.raises(ValueError, match="names no kinds"):
        rw.score(dict(MANIFEST, runs=[bad]), {})


def test_a_run_that_cannot_be_analysed_is_never_counted_quiet():
    run = next(r for r in RUNS if r["label"] == "healthy")
    scored = rw.score(dict(MANIFEST, runs=[run]), {}, errors={run["id"]: "boom"})
    assert scored["verdicts"][0]["outcome"] == "error"


def test_recall_counts_the_labelled_kinds_and_warned_counts_any():
    runs = [dict(r, kinds=["non_finite"], steps=None) for r in RUNS if r["label"] == "pathology"][:3]
    found = {
        runs[0]["id"]: [_finding("non_finite", "error")],
        runs[1]["id"]: [_finding("oscillation", "warning")],
        runs[2]["id"]: [_finding("oscillation", "info")],
    }
    scored = rw.score(dict(MANIFEST, runs=runs), found)
    fa, recall, warned = rw.rates(scored["tallies"]["split"]["all"])
    assert recall.startswith("1/3") and warned == "2/3" and fa == "-"


def test_recall_per_labelled_kind_counts_each_kind_told_as_itself():
    # A run labelled with two kinds and told one of them is caught as a run, but told only that kind; an
    # info of the other kind tells nothing.
    runs = [dict(r, steps=None) for r in RUNS if r["label"] == "pathology"][:2]
    runs[0]["kinds"] = ["overfitting", "no_progress"]
    runs[1]["kinds"] = ["overfitting"]
    found = {
        runs[0]["id"]: [_finding("overfitting", "warning"), _finding("no_progress", "info")],
        runs[1]["id"]: [_finding("loss_divergence", "error")],
    }
    scored = rw.score(dict(MANIFEST, runs=runs), found)
    kinds = {k: t for split in scored["by_kind"].values() for k, t in split.items()}
    assert kinds["overfitting"] == {"labelled": 2, "told": 1}
    assert kinds["no_progress"] == {"labelled": 1, "told": 0}


def test_runs_read_from_another_data_folder(tmp_path, monkeypatch):
    """The labels stay beside the benchmark while the runs' files may live elsewhere
    (CURVECHECK_REALWORLD_DATA): a run copied there reads exactly as it does here."""
    import shutil
    import subprocess
    import sys

    raw = next(r for r in RUNS if r["stored"] == "raw")
    extracted = next(r for r in RUNS if r["stored"] == "extracted")
    here = {r["id"]: rw.read_run(r) for r in (raw, extracted)}
    shutil.copytree(rw.data_path(raw), str(tmp_path / raw["data"]))
    os.makedirs(str(tmp_path / "extracted"))
    shutil.copy(rw.data_path(extracted), str(tmp_path / extracted["data"]))
    monkeypatch.setattr(rw, "DATA_ROOT", str(tmp_path))
    for run in (raw, extracted):
        assert rw.data_path(run).startswith(str(tmp_path))
        scalars, _, _ = rw.read_run(run)
        want = here[run["id"]][0]
        assert set(scalars) == set(want)
        for name, tags in want.items():
            for tag, s in tags.items():
                np.testing.assert_array_equal(scalars[name][tag].values, s.values)
    # The variable is what sets the folder, for the benchmark run as a script as for the tests.
    root = os.path.dirname(os.path.dirname(os.path.abspath(rw.__file__)))
    env = dict(os.environ, CURVECHECK_REALWORLD_DATA=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", "from benchmarks import realworld as rw; print(rw.DATA_ROOT)"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == str(tmp_path)


def _outside_batch(tmp_path):
    """A two-run batch (one healthy, one ending in NaN) in a folder of its own: data/ beside fragment.json."""
    from tests import logwriters
    from tests.corpus_entries import run_entry

    steps = list(range(40))
    healthy = {"loss": [2.0 * 0.93**i + 0.1 for i in steps], "val_loss": [2.1 * 0.94**i + 0.15 for i in steps]}
    broken = {"loss": [2.0 * 0.93**i + 0.1 if i < 25 else float("nan") for i in steps]}
    runs = []
    for name, tags, label, kinds in (("good", healthy, "healthy", []), ("nan", broken, "pathology", ["non_finite"])):
        logwriters.tbx_scalars(str(tmp_path / "data" / "someone__repo" / "runs" / name), tags)
        runs.append(
            run_entry(
                name,
                label,
                kinds,
                "held_out",
                stored="raw",
                data="data/someone__repo/runs/" + name,
                files=[{"path": "runs/%s/events" % name, "size": 1, "sha256": "0" * 64}],
            )
        )
        if not kinds:
            # A collector may leave a healthy run's kinds and steps out of its fragment.
            del runs[-1]["kinds"], runs[-1]["steps"]
    frag = {
        "repositories": [{"repo": "someone/repo", "commit": "0" * 40, "split": "held_out", "runs": 2, "added": "x"}],
        "runs": runs,
    }
    path = tmp_path / "fragment.json"
    path.write_text(json.dumps(frag))
    return path


def test_a_batch_kept_outside_the_repository_is_scored_from_its_own_folder(tmp_path, monkeypatch, capsys):
    """`--manifest FRAGMENT`: a blind batch whose files never enter the repository is scored where it
    lies, with the corpus's own scorer (its folder holds data/ beside the fragment)."""
    monkeypatch.setattr(rw, "DATA_ROOT", rw.DATA_ROOT)  # main() points it at the batch; put it back after
    path = _outside_batch(tmp_path)
    assert rw.main(["--manifest", str(path), "--json"]) == 0
    got = {v["id"]: v["outcome"] for v in json.loads(capsys.readouterr().out)["verdicts"]}
    assert got == {"someone__repo/runs/good": "quiet", "someone__repo/runs/nan": "caught"}


def test_a_scored_batch_becomes_a_ledger_and_its_first_scoring_is_totalled(tmp_path, monkeypatch, capsys):
    """`blind_ledger write` keeps each run's label, files and the outcome of its one scoring with the
    commit that made it (and not where the gone folder kept its data); `totals` counts those outcomes."""
    from benchmarks import blind_ledger

    monkeypatch.setattr(rw, "DATA_ROOT", rw.DATA_ROOT)
    path = _outside_batch(tmp_path)
    assert rw.main(["--manifest", str(path), "--json"]) == 0
    scores = tmp_path / "scores.json"
    scores.write_text(capsys.readouterr().out)
    # A collector that named what a healthy or mild run has (kinds, steps) does not put them in the ledger.
    frag = json.loads(path.read_text())
    for r in frag["runs"]:
        if r["id"] == "someone__repo/runs/good":
            r.update(kinds=["overfitting"], steps=[1, 2])
    path.write_text(json.dumps(frag))
    out = tmp_path / "ledger.json"
    assert blind_ledger.main(["write", str(out), "--about", "a test batch", str(tmp_path), str(scores), "abc1234"]) == 0
    ledger = json.loads(out.read_text())
    assert ledger["about"] == "a test batch" and [r["repo"] for r in ledger["repositories"]] == ["someone/repo"]
    runs = {r["id"]: r for r in ledger["runs"]}
    assert runs["someone__repo/runs/nan"]["blind_outcome"] == "caught"
    assert runs["someone__repo/runs/good"]["blind_outcome"] == "quiet"
    assert all(r["scored_with"] == "abc1234" and r["files"] and "data" not in r for r in runs.values())
    assert runs["someone__repo/runs/good"]["kinds"] == [] and runs["someone__repo/runs/good"]["steps"] is None
    # Each event file takes one line of the ledger (a run with thousands of files stays readable).
    lines = [line.strip().rstrip(",") for line in out.read_text().splitlines()]
    assert all(json.dumps(x, ensure_ascii=False) in lines for r in runs.values() for x in r["files"])
    capsys.readouterr()
    assert blind_ledger.main(["totals", str(out)]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["ledger", "held_out", "0/1", "1/1"] in rows and ["all", "held_out", "0/1", "1/1"] in rows
    # The same batch written as a sibling ledger is listed, kept out of `all` and totalled on its own row.
    sib = tmp_path / "sib.json"
    assert (
        blind_ledger.main(["write", str(sib), "--about", "x", "--siblings", str(tmp_path), str(scores), "abc1234"]) == 0
    )
    assert json.loads(sib.read_text())["siblings"] is True
    capsys.readouterr()
    assert blind_ledger.main(["totals", str(out), str(sib)]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["all", "held_out", "0/1", "1/1"] in rows and ["siblings", "held_out", "0/1", "1/1"] in rows
    # A batch from a repository the corpus holds is refused as foreign; as siblings, only if it scores a
    # folder judged before (or one holding it).
    known = REPOS[0]["repo"]
    judged = next(r["path"] for r in RUNS if r["repo"] == known)
    frag = json.loads(path.read_text())
    frag["repositories"][0]["repo"] = known.upper()
    for r in frag["runs"]:
        r["repo"] = known
    path.write_text(json.dumps(frag))
    with pytest.raises(ValueError, match="used before"):
        blind_ledger.write(str(tmp_path / "again.json"), "x", [(str(tmp_path), str(scores), "abc1234")])
    assert blind_ledger.write(str(tmp_path / "again.json"), "x", [(str(tmp_path), str(scores), "abc1234")], True)
    frag["runs"][0]["path"] = judged.rsplit("/", 1)[0] if "/" in judged else judged
    path.write_text(json.dumps(frag))
    with pytest.raises(ValueError, match="judged before"):
        blind_ledger.write(str(tmp_path / "again.json"), "x", [(str(tmp_path), str(scores), "abc1234")], True)
    # A scores file of another batch is refused rather than recorded as runs without an outcome.
    scores.write_text(json.dumps({"verdicts": []}))
    with pytest.raises(ValueError):
        blind_ledger.write(str(out), "x", [(str(tmp_path), str(scores), "abc1234")])


def test_two_reports_are_compared_with_held_out_runs_as_counts(tmp_path, monkeypatch, capsys):
    """`--compare BEFORE AFTER`: the runs whose outcome or alarms changed between two `--json` reports.
    A held-out run is counted, not named (thresholds are never tuned on it), unless asked for."""
    import shutil

    from tests import logwriters

    monkeypatch.setattr(rw, "DATA_ROOT", rw.DATA_ROOT)
    path = _outside_batch(tmp_path)
    assert rw.main(["--manifest", str(path), "--json"]) == 0
    before = tmp_path / "before.json"
    before.write_text(capsys.readouterr().out)
    good = tmp_path / "data" / "someone__repo" / "runs" / "good"
    shutil.rmtree(good)
    logwriters.tbx_scalars(str(good), {"loss": [2.0 * 0.93**i + 0.1 if i < 30 else float("nan") for i in range(40)]})
    assert rw.main(["--manifest", str(path), "--json"]) == 0
    after = tmp_path / "after.json"
    after.write_text(capsys.readouterr().out)
    assert rw.main(["--compare", str(before), str(after)]) == 0
    out = capsys.readouterr().out
    assert "held_out: 1 runs changed {'quiet -> false_alarm': 1}" in out and "runs/good" not in out, out
    assert "before: false alarms 0/1" in out and "after:  false alarms 1/1" in out, out
    assert rw.main(["--compare", str(before), str(after), "--show-held-out"]) == 0
    out = capsys.readouterr().out
    assert "quiet -> false_alarm  someone__repo/runs/good" in out and "gained non_finite on loss" in out, out
    # A tuned run is always named.
    for report in (before, after):
        data = json.loads(report.read_text())
        for v in data["verdicts"]:
            v["split"] = "tuned"
        data["tallies"]["split"] = {"tuned": data["tallies"]["split"]["held_out"]}
        report.write_text(json.dumps(data))
    assert rw.main(["--compare", str(before), str(after)]) == 0
    assert "quiet -> false_alarm  someone__repo/runs/good" in capsys.readouterr().out


def test_a_run_with_an_undecodable_series_is_scored_on_the_rest(tmp_path, monkeypatch):
    """As `curvecheck scan` does, the benchmark leaves out a series it cannot decode (a string logged
    as a scalar) and scores the run on the rest instead of counting the whole run as an error."""
    from tests.test_hostile_corpus import _tf_odd_tensors

    monkeypatch.setattr(rw, "DATA_ROOT", str(tmp_path))
    _tf_odd_tensors(str(tmp_path / "data"))
    run = {"id": "x/string_run", "data": "data/string_run", "stored": "raw"}
    scalars, _, _ = rw.read_run(run)
    assert list(scalars["."]) == ["loss"]  # `accuracy` holds strings: left out


def test_a_run_whose_event_files_sit_at_the_repositorys_root_is_scored(tmp_path, monkeypatch):
    """A Hugging Face fine-tune committed its event file at the repository's root (blind batch dk): its
    id names no path, and scoring it raised an IndexError instead of reading the run TensorBoard calls "."."""
    from tests import logwriters

    monkeypatch.setattr(rw, "DATA_ROOT", str(tmp_path))
    steps = list(range(40))
    logwriters.tbx_scalars(
        str(tmp_path / "data" / "someone__repo"),
        {"loss": [2.0 * 0.93**i + 0.1 if i < 25 else float("nan") for i in steps]},
    )
    run = {"id": "someone__repo", "repo": "someone/repo", "path": ".", "data": "data/someone__repo", "stored": "raw"}
    found, errors = rw.repo_findings([run])
    assert errors == {}
    assert [f.kind for f in rw.flatten(found["someone__repo"])] == ["non_finite"]


BLIND_LEDGERS = sorted(f for f in os.listdir(os.path.join(rw.CORPUS, "blind")) if f.endswith(".json"))


def _ledger(name):
    with open(os.path.join(rw.CORPUS, "blind", name), encoding="utf-8") as f:
        return json.load(f)


def test_blind_ledgers_share_no_repository_with_each_other():
    assert BLIND_LEDGERS[:2] == ["stop25.json", "stop26.json"]
    seen = {}
    for name in BLIND_LEDGERS:
        ledger = _ledger(name)
        if ledger.get("siblings"):
            continue  # repositories already used, by design: its runs are checked one by one below
        for r in ledger["repositories"]:
            assert r["repo"] not in seen, (r["repo"], name, seen.get(r["repo"]))
            seen[r["repo"]] = name


def test_a_sibling_ledger_scores_no_run_folder_judged_before():
    # Run folders are one training each: a sibling ledger's folder may not be, hold or lie inside a
    # folder of the corpus or of any ledger (repositories compared without their case, as GitHub does).
    judged = [(r["repo"].lower(), r["path"].rstrip("/")) for r in RUNS]
    for name in BLIND_LEDGERS:
        judged += [(r["repo"].lower(), r["path"].rstrip("/")) for r in _ledger(name)["runs"]]
    folders = {}
    for repo, path in judged:
        folders.setdefault(repo, []).append(path)
    siblings = [name for name in BLIND_LEDGERS if _ledger(name).get("siblings")]
    assert siblings, "no sibling ledger to check"
    for name in siblings:
        for r in _ledger(name)["runs"]:
            x = r["path"].rstrip("/")
            nested = [
                p for p in folders[r["repo"].lower()] if p != x and (p.startswith(x + "/") or x.startswith(p + "/"))
            ]
            assert not nested and folders[r["repo"].lower()].count(x) == 1, (name, r["id"], nested)


@pytest.mark.parametrize("name", BLIND_LEDGERS)
def test_the_blind_ledger_names_every_run_it_scored_and_none_of_the_corpus(name):
    """Blind batches (from stop 25) were scored where they lay and never committed; each ledger keeps
    what is needed to fetch and score them again (repository, commit, each file's path, size and
    sha256), the label read from the numbers, and the outcome of the one blind scoring with the commit
    that made it.  A ledger stays under 2 MB, the size a reviewer still opens."""
    path = os.path.join(rw.CORPUS, "blind", name)
    assert os.path.getsize(path) < 2_000_000
    with open(path, encoding="utf-8") as f:
        ledger = json.load(f)
    repos = {r["repo"]: r for r in ledger["repositories"]}
    assert ledger.get("siblings") or not set(repos) & {r["repo"] for r in REPOS}
    outcomes = {
        "healthy": {"quiet", "false_alarm", "error"},
        "healthy_by_design": {"quiet", "false_alarm", "error"},
        "pathology": {"caught", "missed", "misnamed", "error"},
        "mild": {"not_scored", "error"},
    }
    for run in ledger["runs"]:
        repo = repos[run["repo"]]
        assert HEX40.match(repo["commit"]) and run["split"] == repo["split"]
        held = int(hashlib.sha256(run["repo"].encode()).hexdigest()[:8], 16) < 0x55555555
        assert run["split"] == ("held_out" if held else "tuned"), run["repo"]
        assert run["blind_outcome"] in outcomes[run["label"]], run["id"]
        assert re.match(r"^[0-9a-f]{7,40}$", run["scored_with"])
        assert run["files"] and all(HEX64.match(x["sha256"]) and x["size"] > 0 for x in run["files"])
        assert (run["label"] == "pathology") == bool(run["kinds"])


def test_the_second_labels_cover_held_out_runs_of_the_corpus_each_once():
    """Stop 26's second labeller read 120 held-out runs blind; the file names each once, in the label
    vocabulary the corpus uses, with kinds on every pathology run."""
    from benchmarks import agreement

    labels = agreement.load(agreement.DEFAULT_FILE)
    ids = [e["id"] for e in labels]
    assert len(ids) == len(set(ids)) == 120
    runs = {r["id"]: r for r in MANIFEST["runs"]}
    split = {r["repo"]: r["split"] for r in REPOS}
    for e in labels:
        assert split[runs[e["id"]]["repo"]] == "held_out", e["id"]
        assert e["label"] in rw.LABELS and e["reason"]
        # A mild run may name the kinds its labeller would accept; a healthy one names none.
        assert bool(e["kinds"]) if e["label"] == "pathology" else not e["label"].startswith("healthy") or not e["kinds"]


def test_kappa_discounts_the_agreement_chance_alone_would_give():
    from benchmarks import agreement

    # 35 of 50 agree; each labeller's own shares make 25 of 50 agree by chance: kappa (0.7-0.5)/0.5.
    table = {
        ("healthy", "healthy"): 20,
        ("healthy", "pathology"): 5,
        ("pathology", "healthy"): 10,
        ("pathology", "pathology"): 15,
    }
    observed, k = agreement.kappa(table)
    assert observed == pytest.approx(0.7) and k == pytest.approx(0.4)
    assert agreement.kappa({("mild", "mild"): 3}) == (1.0, 1.0)
