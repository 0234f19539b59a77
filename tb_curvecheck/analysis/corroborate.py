"""One event seen by several detectors reads as one story.

A collapse is usually also a stuck metric, a saturated loss and a diverged
loss; post 004's alternation shows on the validation accuracy and the
validation loss.  `merge` groups scalar findings of one experiment that
overlap in steps (on the same axis: epochs with epochs, batches with batches)
and whose kinds describe the same event, keeps the one that explains it best
as the row, and folds the others into it:

- `evidence["corroborating"]`: the folded findings, each as `Finding.to_json()`
  (the tab can shade their ranges on their own tags);
- `related`: their series, added to the primary's;
- `explanation`: a closing sentence naming what else showed it;
- `severity`: the most serious of the group.

Histogram findings pass through unchanged: `histogram_stories` already reads
the scalar findings it corroborates.
"""

from __future__ import annotations

from typing import Dict, List

from ..model import EV_CORROBORATING, EV_GRANULARITY, SCALAR_KINDS, SEVERITY_RANK, Finding

# Pairs of kinds that describe one event when they overlap in steps.
_STORIES = [
    # A run that breaks: its loss blows up, saturates or turns non-finite, its metric collapses and pins.
    {"non_finite", "loss_divergence", "metric_collapse", "saturated_loss", "stuck_metric"},
    # A run that never learns: metric pinned at the class prior, loss flat or saturated.
    {"never_learned", "stuck_metric", "no_progress", "saturated_loss"},
    # An evaluation that swings: dips and alternation that the loss barely follows.
    {"oscillation", "transient_dip", "low_margin"},
    {"overfitting"},
]
LINKED = {(a, b) for story in _STORIES for a in story for b in story}

# Which finding of a group is the row: the one that names the mechanism first.
PRIMARY_ORDER = (
    "non_finite",
    "never_learned",
    "saturated_loss",
    "metric_collapse",
    "loss_divergence",
    "stuck_metric",
    "no_progress",
    "overfitting",
    "oscillation",
    "transient_dip",
    "low_margin",
)
# Findings on an epoch axis one evaluation apart still describe one event (a loss that jumps
# at epoch 6 and an accuracy that shows it at epoch 7).
EPOCH_GAP = 1


def _axis(f: Finding) -> str:
    return str((f.evidence or {}).get(EV_GRANULARITY, "step"))


def _overlap(a: Finding, b: Finding) -> bool:
    if _axis(a) != _axis(b):
        return False
    gap = EPOCH_GAP if _axis(a) == "epoch" else 0
    return a.start_step <= b.end_step + gap and b.start_step <= a.end_step + gap


def _linked(a: Finding, b: Finding) -> bool:
    return (a.kind, b.kind) in LINKED and _overlap(a, b)


def _primary_key(f: Finding):
    return (SEVERITY_RANK[f.severity], PRIMARY_ORDER.index(f.kind), f.start_step, f.run, f.tag)


def merge(findings: List[Finding]) -> List[Finding]:
    scalar = [f for f in findings if f.kind in SCALAR_KINDS]
    rest = [f for f in findings if f.kind not in SCALAR_KINDS]
    parent = list(range(len(scalar)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(scalar)):
        for j in range(i + 1, len(scalar)):
            if _linked(scalar[i], scalar[j]):
                parent[root(i)] = root(j)
    groups: Dict[int, List[Finding]] = {}
    for i, f in enumerate(scalar):
        groups.setdefault(root(i), []).append(f)
    out: List[Finding] = []
    for members in groups.values():
        if len(members) == 1:
            out.append(members[0])
            continue
        members.sort(key=_primary_key)
        out.append(_fold(members[0], members[1:]))
    out.extend(rest)
    out.sort(key=Finding.sort_key)
    return out


def _fold(primary: Finding, others: List[Finding]) -> Finding:
    severity = min([primary] + others, key=lambda f: SEVERITY_RANK[f.severity]).severity
    related = list(primary.related)
    seen = {(r["run"], r["tag"]) for r in related} | {(primary.run, primary.tag)}
    for f in others:
        for r in [{"run": f.run, "tag": f.tag}] + list(f.related):
            key = (r["run"], r["tag"])
            if key not in seen:
                seen.add(key)
                related.append({"run": r["run"], "tag": r["tag"]})
    evidence = dict(primary.evidence)
    evidence[EV_CORROBORATING] = [f.to_json() for f in others]
    also = "; ".join("%s (%s)" % (f.title, f.kind.replace("_", " ")) for f in others)
    explanation = primary.explanation.rstrip() + " The same event shows in: " + also + "."
    return Finding(
        run=primary.run,
        tag=primary.tag,
        kind=primary.kind,
        severity=severity,
        start_step=primary.start_step,
        end_step=primary.end_step,
        title=primary.title,
        explanation=explanation,
        evidence=evidence,
        related=related,
    )
