"""Every histogram kind over one experiment, judged together with the curves.

A histogram symptom alone is `info`: a layer can look odd and train fine.
It becomes a `warning` when a scalar finding of a related kind overlaps it in
time (a dead layer while accuracy is stuck or collapsed; exploding weights
before a divergence), and an `error` when that scalar finding is itself an
error.  The explanation then tells both halves of the story.
"""
from __future__ import annotations

import dataclasses
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..analysis.histogram_roles import HistogramRole, classify
from ..model import Experiment, Finding, SEVERITY_RANK
from . import histogram_activations as act
from . import histogram_gradients as grad
from . import histogram_weights as weights
from .histogram_stats import summarize

# Which curve findings tell the same story as each histogram symptom.
SUPPORT: Dict[str, Sequence[str]] = {
    "dead_units": ("metric_collapse", "stuck_metric", "no_progress", "loss_divergence"),
    "collapsed_outputs": ("stuck_metric", "metric_collapse", "no_progress"),
    "saturated_outputs": ("saturated_loss", "loss_divergence", "metric_collapse", "non_finite"),
    "exploding_weights": ("loss_divergence", "non_finite", "metric_collapse", "saturated_loss"),
    "exploding_gradients": ("loss_divergence", "non_finite", "metric_collapse"),
    "vanishing_gradients": ("no_progress", "stuck_metric", "metric_collapse"),
    "frozen_weights": ("no_progress", "stuck_metric", "metric_collapse"),
}

# Histograms are logged every epoch (or every N) while scalar findings may
# start a step or two before or after the histogram shows it: the weights
# explode the epoch before the loss does, a dead layer is logged at the end
# of the epoch whose accuracy already collapsed.  Overlap is judged with this
# much slack, in steps, or this share of the curve's length if larger.
SLACK_STEPS = 2
SLACK_SHARE = 0.1

# Outputs pinned at 0 or 1 are only a problem when some of them are wrong.
# When the accuracy at those steps is at least the pinned share (less this
# much for the accuracy's own rounding and sample), every pinned output may
# be a right one: a confident model on an easy problem, not a finding.
PINNED_BUT_RIGHT_SLACK = 0.02

# Roles each detector reads.
WEIGHT_ROLES = ("kernel", "bias")


def _symptoms(experiment: Experiment) -> List[Finding]:
    found: List[Finding] = []
    for ref in experiment.histograms:
        if not len(ref.series):
            continue
        role = classify(ref.run, ref.tag)
        if role.role == "unknown" or role.role == "norm_stat":
            continue
        stats = summarize(ref.series)
        candidates: List[Optional[Finding]] = []
        if role.role in WEIGHT_ROLES:
            candidates.append(weights.detect_exploding_weights(ref, role, stats))
            candidates.append(weights.detect_frozen_weights(ref, role, stats))
        elif role.role == "activations":
            candidates.append(act.detect_dead_units(ref, role, stats))
        elif role.role == "outputs":
            candidates.append(act.detect_saturated_outputs(ref, role, stats))
            candidates.append(act.detect_collapsed_outputs(ref, role, stats))
        elif role.role == "gradients":
            candidates.extend(grad.detect_gradients(
                ref.run, ref.tag, role, ref.series.steps, stats["rms"],
                stats["non_finite"] >= 1.0, "rms"))
        found.extend(f for f in candidates if f is not None)
    for sref in experiment.scalars:
        role = classify(sref.run, sref.tag, scalar=True)
        if role.role != "gradient_norm" or not len(sref.series):
            continue
        found.extend(grad.detect_gradients(
            sref.run, sref.tag, role, sref.series.steps, sref.series.values,
            ~np.isfinite(sref.series.values), "value"))
    return found


def _note_other_weights(frozen: List[Finding], experiment: Experiment) -> None:
    """Records whether other weights of the run kept moving over the frozen
    steps: a lone frozen layer is a layer problem (trainable flag, no
    gradient); everything frozen at once is an optimizer problem (a learning
    rate of 0, an optimizer given no parameters)."""
    cache: Dict[int, np.ndarray] = {}
    for f in frozen:
        moving = False
        for ref in experiment.histograms:
            if ref.run != f.run or ref.tag == f.tag:
                continue
            if classify(ref.run, ref.tag).role not in WEIGHT_ROLES:
                continue
            steps = ref.series.steps
            sel = (steps > f.start_step) & (steps <= f.end_step)
            if not sel.any():
                continue
            if id(ref) not in cache:
                cache[id(ref)] = summarize(ref.series)["change"]
            with np.errstate(invalid="ignore"):
                if np.any(cache[id(ref)][sel] > weights.FROZEN_CHANGE):
                    moving = True
                    break
        f.evidence["other_weights_moving"] = moving
        if not moving:
            f.explanation += (" No other weight histogram of this run moved over these steps "
                              "either: the optimizer is not updating at all (a learning rate "
                              "of 0, or an optimizer built over no or other parameters).")


def _accuracy_explains(f: Finding, experiment: Experiment) -> bool:
    """True when an accuracy curve shows the pinned outputs can all be right."""
    accs = [s for s in experiment.scalars
            if s.info.role == "metric_up" and s.info.quantity == "accuracy" and len(s.series)
            and s.info.granularity != "batch"]
    if not accs:
        return False
    # The outputs are logged on held-out data when a split is known at all.
    accs.sort(key=lambda s: (s.info.split != "validation", s.run != f.run, s.tag))
    acc = accs[0]
    ref = next((h for h in experiment.histograms if h.run == f.run and h.tag == f.tag), None)
    if ref is None:
        return False
    ends = summarize(ref.series)["ends_fraction"]
    steps = ref.series.steps
    checked = 0
    for k in np.flatnonzero((steps >= f.start_step) & (steps <= f.end_step)):
        hit = np.flatnonzero(acc.series.steps == steps[k])
        if not hit.size or not np.isfinite(ends[k]):
            continue
        a = float(acc.series.values[hit[0]])
        a = a / 100.0 if acc.info.percent else a
        if not np.isfinite(a) or a < ends[k] - PINNED_BUT_RIGHT_SLACK:
            return False
        checked += 1
    return checked > 0


def _overlaps(h: Finding, s: Finding, experiment: Experiment) -> bool:
    span = max(1, h.end_step - h.start_step, s.end_step - s.start_step)
    slack = max(SLACK_STEPS, int(SLACK_SHARE * span))
    info = None
    for ref in experiment.scalars:
        if ref.run == s.run and ref.tag == s.tag:
            info = ref.info
            break
    if info is not None and info.granularity == "batch":
        # Batch-level curves count global batches, histograms count epochs:
        # the step numbers are not comparable, the co-occurrence in one run is.
        return True
    return h.start_step <= s.end_step + slack and h.end_step >= s.start_step - slack


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


def _support(h: Finding, scalar_findings: Sequence[Finding], experiment: Experiment) -> Optional[Finding]:
    kinds = SUPPORT.get(h.kind, ())
    hits = [s for s in scalar_findings if s.kind in kinds and _overlaps(h, s, experiment)]
    if not hits:
        return None
    # The most serious, then the earliest: the story's headline.
    hits.sort(key=lambda s: (SEVERITY_RANK[s.severity], kinds.index(s.kind), s.start_step))
    return hits[0]


def _class_share_note(experiment: Experiment, support: Finding) -> str:
    """When the curves stuck at a value equal to a logged class share, say so."""
    value = None
    for key in ("value", "stuck_value", "collapsed_to", "level", "after"):
        v = support.evidence.get(key) if support.evidence else None
        if isinstance(v, (int, float)) and np.isfinite(v):
            value = float(v)
            break
    if value is None:
        return ""
    for ref in experiment.scalars:
        if "class_share" not in ref.tag or not len(ref.series):
            continue
        share = float(ref.series.values[-1])
        # Two decimals of agreement after rounding to the 4 digits Keras prints.
        if np.isfinite(share) and abs(share - value) <= 5e-4:
            return (" %.4f is exactly the share of class %s (%s), the class the model now "
                    "predicts for everything." % (value, ref.tag.rsplit("/", 1)[-1], ref.tag))
    return ""


def _raise(h: Finding, s: Finding, experiment: Experiment) -> Finding:
    severity = "error" if s.severity == "error" else "warning"
    symptom = h.evidence.get("symptom", h.title)
    title = "%s, when %s" % (symptom, _lower_first(s.title))
    joined = "%s The curves agree: %s (%s, %s).%s" % (
        h.explanation, _lower_first(s.title), s.run, s.tag, _class_share_note(experiment, s))
    evidence = dict(h.evidence)
    evidence["corroborated_by"] = {"kind": s.kind, "run": s.run, "tag": s.tag,
                                   "start_step": s.start_step, "severity": s.severity}
    related = list(h.related) + [{"run": s.run, "tag": s.tag}]
    return dataclasses.replace(h, severity=severity, title=title, explanation=joined,
                               evidence=evidence, related=related)


def detect(experiment: Experiment, scalar_findings: Sequence[Finding] = ()) -> List[Finding]:
    """Every histogram kind for one experiment; `scalar_findings` are the
    scalar detectors' findings for the same experiment."""
    symptoms = _symptoms(experiment)
    _note_other_weights([f for f in symptoms if f.kind == "frozen_weights"], experiment)
    symptoms = [f for f in symptoms
                if not (f.kind == "saturated_outputs" and _accuracy_explains(f, experiment))]
    out = []
    for h in symptoms:
        s = _support(h, scalar_findings, experiment)
        out.append(_raise(h, s, experiment) if s is not None else h)
    return out
