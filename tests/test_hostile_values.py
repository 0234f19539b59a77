"""Values the detectors cannot judge, through `curvecheck scan` and reading,
on both loaders (issue 13.5): the same verdicts whichever loader reads the
files, no verdict from an overflow, no numpy RuntimeWarning, a note or a
reason for what was left out.
"""

import io
import json
import warnings

import numpy as np
import pytest

from tb_curvecheck import cli, reading
from tb_curvecheck.analysis import pipeline
from tb_curvecheck.model import LogData, ScalarSeries
from tests.test_hostile_corpus import OUT_OF_ORDER_KEPT, _tf_odd_tensors

LOADERS = ["rust", "python"]


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile_values")
    _tf_odd_tensors(str(root))
    return str(root)


def _scan(logdir, loader, *args):
    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # an overflow fails the test
        code = cli.main(["scan", logdir, "--loader", loader, *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("loader", LOADERS)
def test_scan_gives_no_verdict_from_an_overflow(logdir, loader):
    code, out, err = _scan(logdir, loader, "--json")
    assert code == 0, (out, err)
    # The only finding: NaN written into a weight histogram, at info (the
    # histogram was sampled from data with NaN, a fact and not an overflow).
    found = [(f["run"], f["tag"]) for f in json.loads(out)["findings"]]
    assert found == [("odd_histograms", "dense/kernel/histogram")]
    code, report, err = _scan(logdir, loader)
    assert "huge/kernel/histogram" in report and "not judged" in report
    if loader == "python":
        # Only the Python loader keeps DT_DOUBLE, strings and vectors: each is
        # named in the report, the rest of its run is analysed.
        assert "'accuracy' in run 'double_run'" in report and "not judged" in report
        assert "string_run" in err or "string_run" in report
        assert "weights_norms" in report


def test_both_loaders_read_the_odd_series_alike(logdir):
    rust = reading.read_logdir(logdir, loader="rust")
    python = reading.read_logdir(logdir, loader="python")
    for data in (rust, python):
        assert list(data.scalars["out_of_order"]["loss"].steps) == OUT_OF_ORDER_KEPT
        # A string is never a number, whichever loader hands it over.
        assert "accuracy" not in data.scalars["string_run"]
        assert list(data.scalars["vector_run"]) == ["loss"]
    np.testing.assert_allclose(
        rust.scalars["out_of_order"]["loss"].values, python.scalars["out_of_order"]["loss"].values, rtol=1e-6
    )
    assert "weights_norms" in python.run_errors["vector_run"]
    assert "string_run" in python.run_errors and "not numbers" in python.run_errors["string_run"]


def test_the_analysis_takes_typed_input_and_cuts_what_it_cannot_judge():
    with pytest.raises(TypeError):
        pipeline.analyze({"scalars": {}})
    steps = np.arange(30)
    loss = np.exp(-steps / 10.0)
    loss[20:] = 1e200  # finite, but its square overflows
    data = LogData(scalars={"r": {"loss": ScalarSeries.from_points(steps, loss)}}, runs=["r"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = pipeline.analyze(data)
    assert [n for n in result.notes if "'loss' in run 'r'" in n and "step 20" in n]
    judged = result.experiments[0].scalars[0].series
    assert len(judged) == 20 and np.all(judged.values < 1e150)
    assert result.statuses["r"].status == "analysed"


def test_a_run_read_only_in_part_is_not_reported_as_unanalysed(logdir):
    # `string_run` logs a string where a number belongs beside numeric series: the string is left
    # out with its reason, the rest of the run is analysed, and the report says so instead of
    # "could not be analysed" (which a user reads as "nothing here was checked").
    data = reading.read_logdir(logdir, loader="python")
    assert data.scalars["string_run"], "the run's numeric series are read"
    code, report, err = _scan(logdir, "python")
    block = report.split("string_run\n", 1)[1].split("\n\n", 1)[0]
    assert "read only in part (the rest is analysed)" in block and "not numbers" in block
    assert "could not be analysed" not in block
    code, out, err = _scan(logdir, "python", "--json")
    assert "run string_run was read only in part" in err


@pytest.mark.parametrize("loss", [1e300, 2e4])
def test_a_loss_far_above_any_cross_entropy_beside_a_high_accuracy_is_judged_without_error(tmp_path, loss):
    # The double-softmax test infers a class count from loss - (1 - accuracy); a loss of 1e300 (or
    # 2e4) beside an accuracy of 0.95 implies none, and must leave the run to the other detectors.
    from tests import logwriters

    steps = list(range(12))
    logwriters.tbx_scalars(str(tmp_path), {"loss": (steps, [loss] * 12), "accuracy": (steps, [0.95] * 12)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        result = pipeline.analyze(reading.read_logdir(str(tmp_path), loader="python"))
    assert not result.run_errors, result.run_errors
    assert not [f for f in result.findings if f.evidence.get("how") == "double_softmax"]
