"""The detection benchmark counts what it claims, and the fast corpora (post
replays and the seeded synthetic families) hold the issue's bar: recall >= 0.95
per kind and no warning or error on any healthy case.  (The demo and the
real-training corpora train networks; `python benchmarks/detection.py` runs them.)"""

import numpy as np

from benchmarks import corpus_scalar_posts, corpus_scalar_synth, detection
from benchmarks.corpus import Case, Expect, series


def test_evaluate_counts_detections_misses_and_false_alarms():
    flat = [0.9] * 5 + [0.5467] * 15
    loss = list(0.3 + 0.5 * np.exp(-np.arange(20) / 4.0))
    cases = [
        Case(
            "collapse_found",
            "t",
            False,
            {"train": {"epoch_accuracy": series(flat), "epoch_loss": series(loss)}},
            expect=[Expect("metric_collapse", "train", "epoch_accuracy", (5, 5))],
            also_ok=("stuck_metric",),
        ),
        Case(
            "collapse_wrong_window",
            "t",
            False,
            {"train": {"epoch_accuracy": series(flat)}},
            expect=[Expect("metric_collapse", "train", "epoch_accuracy", (0, 2))],
            also_ok=("stuck_metric",),
        ),
        Case("healthy_but_collapsed", "t", True, {"train": {"epoch_accuracy": series(flat)}}),
    ]
    stats, misses, alarms, loud, infos, _ = detection.evaluate(cases)
    assert stats["metric_collapse"]["cases"] == 2
    assert stats["metric_collapse"]["detected"] == 1 and stats["metric_collapse"]["missed"] == 1
    assert [m[0] for m in misses] == ["collapse_wrong_window"]
    # Only the case that does not expect a collapse counts it (and the stuck metric) as false alarms.
    assert sorted((a[0], a[1]) for a in alarms) == [
        ("healthy_but_collapsed", "metric_collapse"),
        ("healthy_but_collapsed", "stuck_metric"),
    ]
    assert [name for name, _ in loud] == ["healthy_but_collapsed"]


def test_folded_findings_count_as_found():
    from tb_curvecheck.model import Finding

    sub = Finding("r", "t", "stuck_metric", "warning", 3, 9, "s", "e")
    top = Finding("r", "t", "metric_collapse", "error", 3, 9, "c", "e", evidence={"corroborating": [sub.to_json()]})
    assert [f.kind for f in detection.flatten([top])] == ["metric_collapse", "stuck_metric"]


def test_fast_corpora_meet_the_recall_and_silence_bar():
    cases = corpus_scalar_posts.cases() + corpus_scalar_synth.cases()
    assert len(cases) > 300
    stats, misses, alarms, loud, infos, seconds = detection.evaluate(cases)
    print("analysis of %d cases took %.1f s; healthy cases with infos: %d" % (len(cases), seconds, len(infos)))
    for kind, s in stats.items():
        if kind.startswith("_") or not s["cases"]:
            continue
        assert s["detected"] / s["cases"] >= 0.95, (kind, [m for m in misses if m[1] == kind])
    assert loud == []
    assert stats["_healthy"]["cases"] >= 100


def test_a_parameter_passed_to_the_benchmark_changes_what_is_found(capsys):
    import pytest

    from tb_curvecheck.detectors.registry import DEFAULT

    flat = [0.9] * 5 + [0.5467] * 15
    cases = [
        Case(
            "collapse",
            "t",
            False,
            {"train": {"epoch_accuracy": series(flat)}},
            expect=[Expect("metric_collapse", "train", "epoch_accuracy", (5, 5))],
            also_ok=("stuck_metric",),
        )
    ]
    assert detection.evaluate(cases)[0]["metric_collapse"]["detected"] == 1
    # A drop must now be more than 0.5 of accuracy: this 0.35 fall no longer is one.
    strict = DEFAULT.with_params({"metric_drops.drops.min_fraction": 0.5})
    assert detection.evaluate(cases, strict)[0]["metric_collapse"]["missed"] == 1
    with pytest.raises(SystemExit):
        detection.main(["--corpus", "posts", "--param", "metric_drops.no_such_threshold=1"])
    assert "no_such_threshold" in capsys.readouterr().err


def test_benchmark_prints_rates_per_corpus_and_writer_and_scores_real_runs_with_given_detectors(capsys):
    from tb_curvecheck.detectors.registry import DEFAULT

    flat = [0.9] * 5 + [0.5467] * 15
    keras_case = Case("k", "t", True, {"train": {"epoch_accuracy": series(flat)}})
    plain_case = Case(
        "p",
        "t",
        False,
        {".": {"train/acc": series(flat)}},
        expect=[Expect("metric_collapse", ".", "train/acc", (5, 5))],
        also_ok=("stuck_metric",),
    )
    assert detection.writer_of(keras_case) == "keras" and detection.writer_of(plain_case) == "plain_tags"
    outcomes = []
    detection.evaluate([keras_case, plain_case], None, outcomes)
    detection.print_axes(outcomes)
    out = capsys.readouterr().out
    # The healthy Keras case collapses (a false alarm), the plain one is caught.
    assert "keras" in out and "1/1 = 1.000" in out and "plain_tags" in out
    from benchmarks import realworld as rw

    run = [r for r in rw.load_manifest()["runs"] if r["id"].endswith("ML-Project5/results/run1")][0]
    strict = DEFAULT.with_params({"never_learned.reward_share": 0.99, "reward_collapse.gave_back": 10.0})
    kinds = {f.kind for f in rw.run_findings(run, detectors=strict)}
    assert "never_learned" not in kinds and "never_learned" in {f.kind for f in rw.run_findings(run, detectors=DEFAULT)}
