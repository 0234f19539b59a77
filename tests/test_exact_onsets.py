"""Onsets on long series are reported at the logged step where they happened,
not at the start of the bin the detectors judged (issue 14: 10k-step runs are
condensed to 1,000 bin medians, up to 10 steps wide)."""

import numpy as np
import pytest

from tb_curvecheck.api import scan_result

STEPS = 10_000


def _write(root, run, tags):
    from tensorboardX import SummaryWriter

    w = SummaryWriter(str(root / run), max_queue=100_000, flush_secs=600)
    for tag, values in tags.items():
        for s, v in enumerate(values):
            w.add_scalar(tag, float(v), s)
    w.close()


@pytest.mark.parametrize("onset", [5437, 5440, 7771])
def test_collapse_and_divergence_onsets_are_exact_on_10k_steps(tmp_path, onset):
    rng = np.random.default_rng(onset)
    t = np.arange(STEPS)
    acc = 0.5 + 0.4 * (1 - np.exp(-t / 800.0)) + rng.normal(0, 0.004, STEPS)
    acc[onset:] = 0.5467 + rng.normal(0, 0.004, STEPS - onset)
    loss = 1.2 * np.exp(-t / 900.0) + 0.1 + rng.normal(0, 0.005, STEPS)
    loss[onset:] = loss[onset - 1] + 0.002 * (t[onset:] - onset + 1) ** 1.2 + 2.0
    _write(tmp_path, "run", {"val_accuracy": acc, "val_loss": loss})

    findings = scan_result(str(tmp_path), loader="python").findings
    flat = findings + [type(f).from_json(c) for f in findings for c in f.evidence.get("corroborating", [])]
    by_kind = {f.kind: f for f in flat}
    assert {"metric_collapse", "loss_divergence"} <= set(by_kind), [(f.kind, f.tag) for f in flat]
    # Exact to the logged step; a bin is 10 steps wide, so the old answer was
    # the bin's first step, up to 9 steps early.
    assert by_kind["metric_collapse"].start_step == onset
    assert by_kind["loss_divergence"].start_step == onset
