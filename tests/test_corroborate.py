"""corroborate.merge: one event seen by several detectors reads as one story."""

from tb_curvecheck.analysis import corroborate
from tb_curvecheck.model import Finding


def f(kind, severity, start, end, tag="epoch_accuracy", run="train", granularity="epoch", related=()):
    return Finding(
        run=run,
        tag=tag,
        kind=kind,
        severity=severity,
        start_step=start,
        end_step=end,
        title="%s on %s" % (kind, tag),
        explanation="Because.",
        evidence={"granularity": granularity},
        related=list(related),
    )


def test_a_collapse_that_is_also_stuck_and_saturated_is_one_row():
    found = [
        f("stuck_metric", "warning", 12, 30),
        f("metric_collapse", "error", 10, 30, related=[{"run": "train", "tag": "epoch_loss"}]),
        f("saturated_loss", "error", 10, 30, tag="epoch_loss"),
        f("metric_collapse", "error", 11, 30, run="validation"),
    ]
    merged = corroborate.merge(found)
    assert len(merged) == 1
    story = merged[0]
    # The mechanism leads; the rest is folded in, each with its own range for the tab.
    assert story.kind == "saturated_loss" and story.severity == "error"
    folded = story.evidence["corroborating"]
    assert sorted(x["kind"] for x in folded) == ["metric_collapse", "metric_collapse", "stuck_metric"]
    assert {(x["run"], x["start_step"]) for x in folded if x["kind"] == "metric_collapse"} == {
        ("train", 10),
        ("validation", 11),
    }
    assert {"run": "validation", "tag": "epoch_accuracy"} in story.related
    assert "The same event shows in" in story.explanation and "stuck_metric on epoch_accuracy" in story.explanation
    assert all(Finding.from_json(x).kind == x["kind"] for x in folded)


def test_unrelated_or_distant_findings_stay_separate_and_ranked():
    found = [
        f("transient_dip", "info", 3, 3, run="validation"),
        f("overfitting", "warning", 20, 40, tag="epoch_loss", run="validation"),
        f("metric_collapse", "error", 30, 40),
        f("stuck_metric", "warning", 0, 5, tag="epoch_auc"),
    ]
    merged = corroborate.merge(found)
    assert [x.kind for x in merged] == ["metric_collapse", "stuck_metric", "overfitting", "transient_dip"]
    assert all("corroborating" not in x.evidence for x in merged)


def test_batch_and_epoch_axes_are_never_merged():
    found = [
        f("saturated_loss", "error", 691, 805, tag="batch_loss", granularity="batch"),
        f("metric_collapse", "error", 6, 6),
    ]
    assert len(corroborate.merge(found)) == 2


def test_the_severity_of_a_story_is_its_most_serious_part():
    found = [f("low_margin", "info", 7, 7, run="validation"), f("oscillation", "warning", 0, 38, run="validation")]
    merged = corroborate.merge(found)
    assert len(merged) == 1 and merged[0].kind == "oscillation" and merged[0].severity == "warning"


def test_histogram_findings_pass_through_untouched():
    h = Finding(
        run="train",
        tag="dense/kernel/histogram",
        kind="exploding_weights",
        severity="error",
        start_step=5,
        end_step=9,
        title="t",
        explanation="e",
    )
    merged = corroborate.merge([h, f("metric_collapse", "error", 5, 9)])
    assert h in merged and len(merged) == 2
