"""`non_finite`: a scalar value is NaN or +-Inf."""
from __future__ import annotations

from typing import List

import numpy as np

from ..model import Finding, SeriesRef


def detect_non_finite(ref: SeriesRef) -> List[Finding]:
    """One finding per series, from the first bad step to the last one."""
    values = ref.series.values
    bad = ~np.isfinite(values)
    if not bad.any():
        return []
    steps = ref.series.steps
    idx = np.flatnonzero(bad)
    first, last = int(idx[0]), int(idx[-1])
    n_nan = int(np.count_nonzero(np.isnan(values)))
    n_pinf = int(np.count_nonzero(values == np.inf))
    n_ninf = int(np.count_nonzero(values == -np.inf))
    first_value = values[first]
    word = "NaN" if np.isnan(first_value) else ("+Inf" if first_value > 0 else "-Inf")
    finite_before = np.flatnonzero(np.isfinite(values[:first]))
    last_healthy = int(steps[finite_before[-1]]) if finite_before.size else None
    recovered = bool(np.isfinite(values[last + 1 :]).any()) if last + 1 < len(values) else False
    title = "%s became %s at step %d (%d of %d points non-finite)" % (
        ref.tag, word, int(steps[first]), int(idx.size), len(values))
    parts = [
        "The value of %s is %s from step %d" % (ref.tag, word, int(steps[first])),
    ]
    if last_healthy is not None:
        parts.append("; the last finite value was at step %d" % last_healthy)
    parts.append(". ")
    if ref.info.role == "loss" or ref.info.role == "unknown":
        parts.append(
            "A non-finite loss means the arithmetic overflowed: usually a learning rate too high "
            "for the data's scale, a log or division of zero (log(0) in a hand-written loss, "
            "a softmax fed to a loss that expects logits), or exploding gradients in a "
            "recurrent net. Check the inputs for NaN first (a NaN from the first step means "
            "bad data), then lower the learning rate or clip gradients and see whether the "
            "first bad step moves. "
        )
    else:
        parts.append(
            "A metric that turns non-finite usually follows a non-finite loss or weights; "
            "a metric that divides (precision, F1) can also be NaN when a class is never "
            "predicted. "
        )
    if recovered:
        parts.append("Later values are finite again, so the logging or the metric, not the "
                     "weights, may be at fault.")
    elif last_healthy is not None:
        parts.append("It never recovers: restore the checkpoint from step %d or earlier." % last_healthy)
    return [
        Finding(
            run=ref.run,
            tag=ref.tag,
            kind="non_finite",
            severity="error",
            start_step=int(steps[first]),
            end_step=int(steps[last]),
            title=title,
            explanation="".join(parts).strip(),
            evidence={
                "first_bad_step": int(steps[first]),
                "first_bad_value": word,
                "nan_count": n_nan,
                "pos_inf_count": n_pinf,
                "neg_inf_count": n_ninf,
                "points": len(values),
                "last_healthy_step": last_healthy,
                "recovered": recovered,
            },
            related=[],
        )
    ]
