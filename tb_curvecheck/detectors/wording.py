"""How findings name numbers and series: shared by every detector's `describe`."""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..model import EV_GRANULARITY, EV_LAYER, EV_STATISTIC, EV_SYMPTOM, Finding, SeriesRef


def fmt(v: Optional[float]) -> str:
    """A number short enough for a title, precise enough to recognise."""
    if v is None or not np.isfinite(v):
        return str(v)
    a = abs(v)
    if a != 0 and (a < 1e-3 or a >= 1e5):
        return "%.5g" % v
    if a >= 100:
        return "%.1f" % v
    return ("%.4f" % v).rstrip("0").rstrip(".") if a < 10 else "%.3f" % v


def short(ref: SeriesRef) -> str:
    split = {"train": "training", "validation": "validation", "test": "test"}.get(ref.info.split or "", "")
    return ("%s %s" % (split, ref.info.quantity or ref.tag)).strip()


def capital(text: str) -> str:
    return text[0].upper() + text[1:]


def make_finding(
    ref: SeriesRef,
    kind: str,
    severity: str,
    view,
    i0: int,
    i1: int,
    title: str,
    explanation: str,
    evidence: dict,
    related=(),
) -> Finding:
    """A scalar finding over view points i0..i1 (a `stats.View`), with the tag's granularity."""
    ev = {EV_GRANULARITY: ref.info.granularity}
    ev.update(evidence)
    return Finding(
        run=ref.run,
        tag=ref.tag,
        kind=kind,
        severity=severity,
        start_step=view.onset_step(i0),
        end_step=int(view.end_steps[max(i0, i1)]),
        title=title,
        explanation=explanation,
        evidence=ev,
        related=[r.ref() for r in related if r is not None and r is not ref],
    )


def symptom_finding(
    run: str,
    tag: str,
    *,
    kind: str,
    statistic: str,
    layer: str,
    symptom: str,
    start_step: int,
    end_step: int,
    explanation: str,
    evidence: dict,
) -> Finding:
    """A histogram symptom as a finding: always an info until the stories raise it,
    titled by the symptom, with the evidence keys the stories and the tab read
    (`statistic`, `symptom`, `layer`) ahead of the detector's own numbers."""
    ev = {EV_STATISTIC: statistic, EV_SYMPTOM: symptom, EV_LAYER: layer}
    ev.update(evidence)
    return Finding(
        run=run,
        tag=tag,
        kind=kind,
        severity="info",
        start_step=start_step,
        end_step=end_step,
        title=symptom,
        explanation=explanation,
        evidence=ev,
    )
