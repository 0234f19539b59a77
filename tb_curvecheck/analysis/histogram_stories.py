"""The stories histogram symptoms tell with the curves (beside `corroborate`).

The histogram detectors (`detectors.registry`) find symptoms alone, at
severity `info`: a layer can look odd and train fine.  Here they are told
together with the scalar findings of the same experiment:

- a symptom becomes a `warning` when a scalar finding of a related kind
  overlaps it in time (a dead layer while accuracy is stuck or collapsed;
  exploding weights before a divergence), and an `error` when that scalar
  finding is itself an error; the explanation then tells both halves;
- kinds that strike many tensors of one run at once are one finding per run and onset;
- frozen weights say whether the rest of the run froze too, and name a logged
  learning rate of exactly 0;
- pinned outputs that an accuracy shows can all be right are dropped;
- frozen weights and vanished gradients below a dead layer are told as its consequence.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Sequence

import numpy as np

from .. import tags
from ..detectors.histogram_stats import FROZEN_CHANGE, summarize
from ..detectors.histogram_weights import WEIGHT_ROLES
from ..model import (
    EV_CAUSED_BY,
    EV_CLASS_SHARE,
    EV_CORROBORATED_BY,
    EV_LAYER,
    EV_LAYERS,
    EV_SYMPTOM,
    EV_TAGS,
    SEVERITY_RANK,
    Experiment,
    Finding,
)

# Which curve findings tell the same story as each histogram symptom.
SUPPORT: Dict[str, Sequence[str]] = {
    "dead_units": ("never_learned", "metric_collapse", "stuck_metric", "no_progress", "loss_divergence"),
    "collapsed_outputs": ("never_learned", "stuck_metric", "metric_collapse", "no_progress"),
    "saturated_outputs": ("saturated_loss", "loss_divergence", "metric_collapse", "non_finite"),
    "exploding_weights": ("loss_divergence", "non_finite", "metric_collapse", "saturated_loss"),
    "exploding_gradients": ("loss_divergence", "non_finite", "metric_collapse"),
    "vanishing_gradients": ("never_learned", "no_progress", "stuck_metric", "metric_collapse"),
    "frozen_weights": ("never_learned", "no_progress", "stuck_metric", "metric_collapse"),
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


def _note_other_weights(frozen: List[Finding], experiment: Experiment) -> None:
    """Records whether other weights of the run kept moving over the frozen
    steps: a lone frozen layer is a layer problem (trainable flag, no
    gradient); everything frozen at once is an optimizer problem (a learning
    rate of 0, an optimizer given no parameters).  "Moved" is judged at the
    default `FROZEN_CHANGE` whatever the frozen-weights detector was given:
    the question is whether anything moved at all."""
    cache: Dict[int, np.ndarray] = {}
    for f in frozen:
        moving = False
        for ref in experiment.histograms:
            if ref.run != f.run or ref.tag == f.tag:
                continue
            if experiment.layer_role(ref.run, ref.tag).role not in WEIGHT_ROLES:
                continue
            steps = ref.series.steps
            sel = (steps > f.start_step) & (steps <= f.end_step)
            if not sel.any():
                continue
            if id(ref) not in cache:
                cache[id(ref)] = summarize(ref.series)["change"]
            with np.errstate(invalid="ignore"):
                if np.any(cache[id(ref)][sel] > FROZEN_CHANGE):
                    moving = True
                    break
        f.evidence["other_weights_moving"] = moving
        if not moving:
            f.explanation += (
                " No other weight histogram of this run moved over these steps "
                "either: the optimizer is not updating at all (a learning rate "
                "of 0, or an optimizer built over no or other parameters)."
            )


def _accuracy_explains(f: Finding, experiment: Experiment) -> bool:
    """True when an accuracy curve shows the pinned outputs can all be right."""
    accs = [
        s
        for s in experiment.scalars
        if s.info.role == "metric_up"
        and s.info.quantity == "accuracy"
        and len(s.series)
        and s.info.granularity != "batch"
    ]
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


def _supports(h: Finding, scalar_findings: Sequence[Finding], experiment: Experiment) -> List[Finding]:
    """Curve findings telling the same story, the headline first (most
    serious, then the kind closest to the symptom, then the earliest)."""
    kinds = SUPPORT.get(h.kind, ())
    hits = [s for s in scalar_findings if s.kind in kinds and _overlaps(h, s, experiment)]
    hits.sort(key=lambda s: (SEVERITY_RANK[s.severity], kinds.index(s.kind), s.start_step))
    return hits


# Keras prints metrics to 4 decimals; a settled accuracy and a class share
# that agree to within half of the last digit are the same number.
SHARE_MATCH = 5e-4


def _class_share_match(experiment: Experiment, supports: Sequence[Finding]):
    """(value, class, tag) when a curve settled on a logged class share, else None."""
    values = []
    for f in supports:
        for key in ("value", "final_value"):
            v = (f.evidence or {}).get(key)
            if isinstance(v, (int, float)) and np.isfinite(v):
                values.append((float(v), f))
    for ref in experiment.scalars:
        cls = tags.class_share_label(ref.tag)
        if cls is None or not len(ref.series):
            continue
        share = float(ref.series.values[-1])
        if not np.isfinite(share):
            continue
        for v, f in values:
            if abs(share - v) <= SHARE_MATCH:
                return v, cls, ref.tag, f
    return None


def _raise(h: Finding, supports: Sequence[Finding], experiment: Experiment) -> Finding:
    s = supports[0]
    severity = "error" if s.severity == "error" else "warning"
    symptom = h.evidence.get(EV_SYMPTOM, h.title)
    title = "%s, when %s" % (symptom, _lower_first(s.title))
    joined = "%s The curves agree: %s (%s, %s)." % (h.explanation, _lower_first(s.title), s.run, s.tag)
    evidence = dict(h.evidence)
    match = _class_share_match(experiment, supports)
    if match is not None and h.kind in ("dead_units", "collapsed_outputs"):
        value, cls, tag, source = match
        where = "%s %s" % (source.run.rsplit("/", 1)[-1], source.tag)
        title += "; %.4f (%s) is exactly the share of class %s" % (value, where, cls)
        joined += (
            " %s settled at %.4f, exactly the share of class %s in the labels (%s): the "
            "model predicts that class for every input." % (where, value, cls, tag)
        )
        evidence[EV_CLASS_SHARE] = {"value": value, "class": cls, "tag": tag}
    evidence[EV_CORROBORATED_BY] = {
        "kind": s.kind,
        "run": s.run,
        "tag": s.tag,
        "start_step": s.start_step,
        "severity": s.severity,
    }
    related = list(h.related) + [{"run": s.run, "tag": s.tag}]
    return dataclasses.replace(
        h, severity=severity, title=title, explanation=joined, evidence=evidence, related=related
    )


# Kinds that strike many tensors of one run at once (every layer below a dead
# one stops receiving gradient; a runaway step grows every weight): one
# finding per run and onset, naming every layer, instead of one per tensor.
GROUPED_KINDS = (
    "frozen_weights",
    "exploding_weights",
    "vanishing_gradients",
    "exploding_gradients",
    "collapsed_outputs",
    "saturated_outputs",
)

_GROUP_VERB = {
    "frozen_weights": "stopped changing",
    "exploding_weights": "grew by orders of magnitude",
    "vanishing_gradients": "vanished",
    "exploding_gradients": "blew up",
    "collapsed_outputs": "are the same for every input",
    "saturated_outputs": "sit at exactly 0 or 1",
}


def _group(symptoms: List[Finding]) -> List[Finding]:
    out: List[Finding] = []
    groups: Dict[tuple, List[Finding]] = {}
    for f in symptoms:
        if f.kind in GROUPED_KINDS:
            groups.setdefault((f.kind, f.run, f.start_step), []).append(f)
        else:
            out.append(f)
    for (kind, _run, start), members in groups.items():
        if len(members) == 1:
            out.append(members[0])
            continue
        # A kernel speaks for its layer better than a bias or a norm scale.
        members.sort(key=lambda f: (f.evidence.get("role") not in (None, "kernel"), f.tag))
        head = members[0]
        layers: List[str] = []
        for f in members:
            name = (f.evidence.get(EV_LAYER) or f.tag.split("/")[-1]).split("/")[-1]
            if name not in layers:
                layers.append(name)
        shown = ", ".join(layers[:6]) + (", ..." if len(layers) > 6 else "")
        if kind.endswith("_outputs"):
            # Per-class output histograms (a softmax) and the pooled one.
            symptom = "the outputs (%s) %s from step %d" % (shown, _GROUP_VERB[kind], start)
        elif "gradients" in kind:
            where = ("layer %s" % shown) if len(layers) == 1 else "%d layers (%s)" % (len(layers), shown)
            symptom = "the gradients of %s %s from step %d" % (where, _GROUP_VERB[kind], start)
        else:
            where = ("layer %s" % shown) if len(layers) == 1 else "%d layers (%s)" % (len(layers), shown)
            if kind == "frozen_weights" and all(f.evidence.get("frozen_from_start") for f in members):
                symptom = "%d weight tensors of %s never changed over the run" % (len(members), where)
            else:
                symptom = "%d weight tensors of %s %s from step %d" % (len(members), where, _GROUP_VERB[kind], start)
        evidence = dict(head.evidence)
        evidence.update(
            {
                EV_SYMPTOM: symptom,
                EV_LAYERS: layers,
                EV_TAGS: [f.tag for f in members],
                "per_tag": [{"tag": f.tag, "title": f.title} for f in members],
            }
        )
        explanation = "%s. The first of them: %s" % (symptom[0].upper() + symptom[1:], head.explanation)
        out.append(
            dataclasses.replace(
                head,
                title=symptom,
                explanation=explanation,
                evidence=evidence,
                end_step=max(f.end_step for f in members),
                related=list(head.related) + [{"run": f.run, "tag": f.tag} for f in members[1:]],
            )
        )
    return out


def tell(experiment: Experiment, symptoms: Sequence[Finding], scalar_findings: Sequence[Finding] = ()) -> List[Finding]:
    """The histogram findings of one experiment: its `symptoms` (from
    `DetectorSet.detect_histograms`) told with its `scalar_findings`."""
    symptoms = _once_per_layer(list(symptoms))
    _note_other_weights([f for f in symptoms if f.kind == "frozen_weights"], experiment)
    symptoms = [f for f in symptoms if not (f.kind == "saturated_outputs" and _accuracy_explains(f, experiment))]
    out = []
    for h in _group(symptoms):
        supports = _supports(h, scalar_findings, experiment)
        out.append(_raise(h, supports, experiment) if supports else h)
    return _downstream_of_dead([_zero_rate(f, experiment) for f in out])


def _once_per_layer(symptoms: List[Finding]) -> List[Finding]:
    """A layer already found vanishing on its own history tells that story:
    the comparison across layers (`across_layers`) does not repeat it."""
    seen = {f.tag for f in symptoms if f.kind == "vanishing_gradients" and not f.evidence.get("across_layers")}
    out = []
    for f in symptoms:
        if f.kind == "vanishing_gradients" and f.evidence.get("across_layers"):
            if f.tag in seen:
                continue
            seen.add(f.tag)
        out.append(f)
    return out


def _zero_rate(f: Finding, experiment: Experiment) -> Finding:
    """Weights frozen everywhere while the logged learning rate is exactly 0:
    the learning-rate curve agrees, and names the cause."""
    if f.kind != "frozen_weights" or f.evidence.get("other_weights_moving", True):
        return f
    for ref in experiment.scalars:
        if ref.info.role != "learning_rate" or not len(ref.series):
            continue
        steps, values = ref.series.steps, ref.series.values
        sel = (steps >= f.start_step) & (steps <= f.end_step)
        if sel.any() and np.all(values[sel] == 0.0):
            evidence = dict(f.evidence)
            evidence["learning_rate"] = {"run": ref.run, "tag": ref.tag, "value": 0.0}
            return dataclasses.replace(
                f,
                severity="warning" if f.severity == "info" else f.severity,
                title="%s: the learning rate (%s) is 0" % (f.title, ref.tag),
                explanation=f.explanation + " The logged learning rate %s is exactly 0 over "
                "these steps: that is why." % ref.tag,
                evidence=evidence,
                related=list(f.related) + [ref.ref()],
            )
    return f


# What a dead layer does to the layers below it: no gradient flows through
# units that output only zeros, so their gradients vanish and their weights
# freeze.  Those findings are consequences, not separate failures.
DOWNSTREAM_KINDS = ("vanishing_gradients", "frozen_weights")


def _downstream_of_dead(findings: List[Finding]) -> List[Finding]:
    dead = [f for f in findings if f.kind == "dead_units"]
    if not dead:
        return findings
    out = []
    for f in findings:
        cause = None
        if f.kind in DOWNSTREAM_KINDS:
            # Histograms of one epoch: the layer dies during the epoch that
            # the weights and gradients show frozen from.
            near = [d for d in dead if d.start_step - SLACK_STEPS <= f.start_step <= d.end_step]
            cause = min(near, key=lambda d: d.start_step) if near else None
        if cause is None:
            out.append(f)
            continue
        layer = cause.evidence.get(EV_LAYER) or cause.tag
        evidence = dict(f.evidence)
        evidence[EV_CAUSED_BY] = {
            "kind": "dead_units",
            "run": cause.run,
            "tag": cause.tag,
            "start_step": cause.start_step,
        }
        explanation = (
            "Layer %s died at step %d (its outputs are exact zeros): no gradient "
            "flows back through it, so the layers below it stop learning. This is "
            "that consequence; the dead layer is the cause to fix. %s" % (layer, cause.start_step, f.explanation)
        )
        severity = f.severity if f.severity == "info" else "warning"
        out.append(
            dataclasses.replace(
                f,
                severity=severity,
                explanation=explanation,
                evidence=evidence,
                related=list(f.related) + [{"run": cause.run, "tag": cause.tag}],
            )
        )
    return out
