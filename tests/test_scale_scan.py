"""Scanning in batches on worker processes gives what one read of the whole
logdir gives (issue 14.1): the same findings JSON, notes, failed and empty
runs, hyperparameters and sweep report, on real event files."""

import io
import json
import os

import numpy as np
import pytest

from tb_curvecheck import cli, reading, scanning
from tb_curvecheck.analysis import pipeline
from tests import logwriters
from tests.test_hostile_corpus import _tf_odd_tensors

LOADERS = ["rust", "python"]


@pytest.fixture(scope="module")
def sweep_logdir(tmp_path_factory):
    """A small sweep written by tensorboardX and tf.summary: trials with
    train/validation runs (two diverge to NaN, one overfits), an add_scalars
    experiment, logged hyperparameters, an empty run, and the odd tensors
    (vectors, strings, doubles under `scalars`) the Python loader fails on."""
    from tensorboardX import SummaryWriter

    root = tmp_path_factory.mktemp("scale_sweep")
    rng = np.random.default_rng(0)
    n = 300
    steps = np.arange(n)
    for i, lr in enumerate([1e-4, 3e-4, 1e-3, 1e-2, 1e-4, 3e-4, 1e-3, 1e-2]):
        loss = 2 * np.exp(-steps / 80) + 0.05 * rng.random(n)
        acc = 1 - 0.5 * np.exp(-steps / 60)
        val = loss * 1.1
        if lr == 1e-2:
            loss[200:] = np.nan
        if i == 5:
            val = val + np.where(steps > 220, (steps - 220) * 0.05, 0.0)
        logwriters.tbx_scalars(str(root / ("lr=%g_seed%d" % (lr, i)) / "train"), {"loss": loss, "accuracy": acc})
        logwriters.tbx_scalars(
            str(root / ("lr=%g_seed%d" % (lr, i)) / "validation"), {"loss": val, "accuracy": acc - 0.02}
        )
    w = SummaryWriter(str(root / "tbx"))
    for s in range(n):
        w.add_scalars(
            "Loss",
            {"train": float(2 * np.exp(-s / 80)), "val": float(2.2 * np.exp(-s / 80) + (5 if s > 250 else 0))},
            s,
        )
    w.close()
    # add_scalars under two main tags, the writer's own (empty) event file
    # removed: only the tags tell that the four runs are one experiment.
    w = SummaryWriter(str(root / "tbx2"))
    for s in range(n):
        w.add_scalars(
            "Loss",
            {"train": float(2 * np.exp(-s / 80)), "val": float(2.2 * np.exp(-s / 80) + (5 if s > 250 else 0))},
            s,
        )
        w.add_scalars("Acc", {"train": float(1 - np.exp(-s / 80)), "val": float(0.9 - np.exp(-s / 80))}, s)
    w.close()
    for f in os.listdir(root / "tbx2"):
        if "tfevents" in f:
            os.remove(root / "tbx2" / f)
    w = SummaryWriter(str(root / "hp"))
    for s in range(n):
        w.add_scalar("loss", float(np.exp(-s / 50)), s)
    w.add_hparams({"lr": 0.1, "bs": 32}, {"hparam/x": 1.0})
    w.close()
    SummaryWriter(str(root / "empty")).close()
    _tf_odd_tensors(str(root / "odd"))
    return str(root)


def _same(result, reference):
    assert [f.to_json() for f in result.findings] == [f.to_json() for f in reference.findings]
    # Batches finish in any order: the merged notes are sorted.
    assert result.notes == sorted(reference.notes)
    assert result.run_errors == reference.run_errors
    assert result.statuses == reference.statuses
    assert result.hparams == reference.hparams
    assert (result.sweep.to_json() if result.sweep else None) == (
        reference.sweep.to_json() if reference.sweep else None
    )


@pytest.mark.parametrize("loader", LOADERS)
def test_batches_on_two_processes_equal_one_read(sweep_logdir, loader):
    reference = pipeline.analyze(reading.read_logdir(sweep_logdir, loader=loader))
    # The fixture holds what the comparison is about.
    kinds = {(f.run, f.kind) for f in reference.findings}
    assert ("lr=0.01_seed3/train", "non_finite") in kinds and ("lr=0.01_seed7/train", "non_finite") in kinds
    assert reference.statuses["empty"].status == "empty"
    assert reference.hparams["hp"] == {"lr": 0.1, "bs": 32.0}
    if loader == "python":
        assert reference.statuses["odd/string_run"].status == "failed"
    # One byte per batch: every experiment in a batch of its own.
    units = scanning.plan_units(scanning.list_event_runs(sweep_logdir))
    assert len(scanning.plan_batches(sweep_logdir, scanning.list_event_runs(sweep_logdir), 1)) == len(units) > 10
    for options in (dict(jobs=2, batch_bytes=1), dict(jobs=1), dict(jobs=2, batch_bytes=1, data_server="shared")):
        scanned = scanning.scan(sweep_logdir, loader=loader, **options)
        _same(scanned.result, reference)
        assert scanned.runs == sorted(reference.statuses)


def test_experiments_are_never_split_between_batches(sweep_logdir):
    units = dict(
        (members[0], members) for members, _names in scanning.plan_units(scanning.list_event_runs(sweep_logdir))
    )
    assert units["lr=0.0001_seed0/train"] == ("lr=0.0001_seed0/train", "lr=0.0001_seed0/validation")
    # add_scalars' runs and add_hparams' sub-run stay with their main run.
    assert units["tbx"] == ("tbx", "tbx/Loss/train", "tbx/Loss/val")
    hp = units["hp"]
    assert len(hp) == 2 and hp[1].startswith("hp/")
    # Names alone cannot join tbx2/Acc/* with tbx2/Loss/*: each batch
    # defers them, and the last batch analyses them together.
    assert units["tbx2/Acc/train"] == ("tbx2/Acc/train", "tbx2/Acc/val")
    result = scanning.scan(sweep_logdir, loader="rust", jobs=1, batch_bytes=1).result
    assert [e.runs for e in result.experiments if e.name == "tbx2"] == [
        ("tbx2/Acc/train", "tbx2/Acc/val", "tbx2/Loss/train", "tbx2/Loss/val")
    ]


def test_add_scalars_keys_that_name_no_split_join_their_run_in_any_batching(tmp_path):
    # PyTorch's `add_scalars("loss", {"loss": ..., "BCE": ..., "KLD": ...})` writes `<exp>/loss_BCE` etc.,
    # each holding the tag `loss`; with nothing logged in `<exp>` itself (or `<exp>` the logdir), names
    # alone cannot join them, and a scan in small batches must still analyse them as one experiment.
    e = np.arange(30, dtype=float)
    bce = 190.0 * np.exp(-e / 8.0) + 100.0
    kld = 5.0 + 15.0 * (1 - np.exp(-e / 6.0))
    for exp in ("vae_a", "vae_b"):
        for key, v in (("loss", bce + kld), ("BCE", bce), ("KLD", kld)):
            logwriters.tbx_scalars(str(tmp_path / exp / ("loss_" + key)), {"loss": v})
    reference = pipeline.analyze(reading.read_logdir(str(tmp_path), loader="python"))
    assert sorted(x.name for x in reference.experiments) == ["vae_a", "vae_b"]
    assert not [f for f in reference.findings if f.severity != "info"], [f.title for f in reference.findings]
    scanned = scanning.scan(str(tmp_path), loader="python", jobs=1, batch_bytes=1)
    _same(scanned.result, reference)
    assert sorted(x.name for x in scanned.result.experiments) == ["vae_a", "vae_b"]


def _cli(*args):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["scan", *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_json_lines_stream_the_findings_then_notes_sweep_and_summary(sweep_logdir):
    code, out, err = _cli(sweep_logdir, "--json", "--sweep", "--jobs", "2")
    assert code == 1, err
    whole = json.loads(out)
    code2, lines, err2 = _cli(sweep_logdir, "--json-lines", "--sweep", "--jobs", "2")
    assert code2 == 1, err2
    objs = [json.loads(line) for line in lines.splitlines()]
    findings = [o for o in objs if "run" in o]
    notes = [o["note"] for o in objs if "note" in o]
    # Findings first, as batches finish; then notes, the sweep, the summary.
    assert objs[: len(findings)] == findings
    assert objs[-1].keys() == {"summary"} and "sweep" in objs[-2]
    assert sorted(findings, key=json.dumps) == sorted(whole["findings"], key=json.dumps)
    assert objs[-2]["sweep"] == whole["sweep"] and objs[-2]["hparams"] == whole["hparams"]
    summary = objs[-1]["summary"]
    assert summary["findings"]["error"] == sum(f["severity"] == "error" for f in whole["findings"])
    assert any("'empty'" in n for n in notes)
    assert summary["runs"] == len(scanning.list_event_runs(sweep_logdir))


def test_a_logdir_url_reaches_tensorboard_and_fails_clearly():
    assert reading.check_logdir("s3://bucket/x") == "s3://bucket/x"
    assert reading.is_url("gs://b/logs") and not reading.is_url(os.path.join("a", "b"))
    code, out, err = _cli("s3://bucket/x", "--json")
    assert code == cli.EXIT_UNREADABLE and out == ""
    assert "s3://bucket/x" in err and "could not be read" in err and "Traceback" not in err


def test_a_missing_local_logdir_is_still_refused(tmp_path):
    code, out, err = _cli(str(tmp_path / "nope"))
    assert code == cli.EXIT_UNREADABLE and "does not exist" in err
