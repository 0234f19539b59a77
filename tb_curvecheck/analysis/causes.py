"""Likely causes of a finding, ranked by what the run's own logs say.

A post-detection stage: it takes an experiment and its findings and returns
them with

- `evidence["context"]`: what each context series did at the onset (see
  `analysis.context`), in numbers;
- `evidence["likely_causes"]`: a ranked list of `{cause, text, numbers,
  confidence}`, confidence in words: "likely", "possible" or "unlikely given
  the logs";
- one measured sentence ("In this run: ...") in the explanation, placed
  before the detector's generic causes, so that a cause the logs contradict
  is never the first one a reader meets.

Nothing here is guessed: a cause is "likely" only when a logged series shows
its mechanism at the onset, and "unlikely given the logs" only when a logged
series contradicts it.  With no context series and no hyperparameters, the
finding passes through unchanged.
"""

from __future__ import annotations

import math
import re
from typing import Dict, List, Mapping, Optional, Sequence

from ..detectors.wording import fmt
from ..model import EV_CONTEXT, EV_LIKELY_CAUSES, Experiment, Finding
from .context import NAMES, NORM_RATIO, ContextSeries, FindingContext, Measure, context_for, find_context

CONFIDENCES = ("likely", "possible", "unlikely given the logs")
_RANK = {c: i for i, c in enumerate(CONFIDENCES)}

# Kinds where too large an update is the classic cause: a rate that rose or
# jumped, gradients that grew, a resume that lost the optimiser state.
BLOW_UP_KINDS = {
    "non_finite",
    "loss_divergence",
    "metric_collapse",
    "saturated_loss",
    "exploding_weights",
    "exploding_gradients",
    "dead_units",
    "saturated_outputs",
    "collapsed_outputs",
    "transient_dip",
    "oscillation",
}
# Kinds where too small an update (or none) is the classic cause.
STALL_KINDS = {"stuck_metric", "no_progress", "frozen_weights", "vanishing_gradients"}
# Kinds that say an agent did not learn (or unlearned), where a policy that grew more random is
# the mechanism to name first.
EXPLORATION_KINDS = {"never_learned", "metric_collapse", "no_progress", "stuck_metric"}
# Of the blow-ups, those that the arithmetic itself can produce at any rate:
# a NaN at a small, steady rate points at the data or the loss.
NUMERIC_KINDS = {"non_finite", "loss_divergence"}

# A rate at or below Adam's default (1e-3) rarely overflows well-scaled data
# by itself; at or above 0.1 it is large for any adaptive optimiser.
SMALL_LR = 1e-3
LARGE_LR = 0.1
# A dynamic loss scale that fell this far (or to 1 or below) has halved on
# overflow after overflow: float16 ran out of range.
LOSS_SCALE_FALL = 1000.0
# Hyperparameter names, as people spell them.
_HP_KEYS = {
    "learning_rate": ("learning_rate", "lr", "learning-rate", "learningrate", "base_lr", "init_lr", "max_lr"),
    "optimizer": ("optimizer", "optim", "opt", "optimizer_name", "optimizer_type"),
    "batch_size": ("batch_size", "bs", "batch", "per_device_train_batch_size", "train_batch_size"),
    "clip": (
        "clipnorm",
        "clip_norm",
        "clipvalue",
        "clip_value",
        "max_grad_norm",
        "gradient_clip_val",
        "grad_clip",
        "clip",
        "global_clipnorm",
        "clip_grad_norm",
    ),
}
# Where the detectors' generic causes begin: the measured sentence goes right before.
_GENERIC = re.compile(
    r"(?:(?<=\. )|^)[^.]*?\b(?:Likely causes|likely causes|usual causes|Classic causes|usually|Usually)\b"
)


def _steps(n: int) -> str:
    return "{:,}".format(int(n))


def _times(r: float) -> str:
    """A ratio as people say it: 3.2x, 45x, 1,000x."""
    if r == math.inf:
        return "from zero"
    if r >= 1e6:
        return "%.2g×" % r  # past a million the digits say nothing more
    if r >= 100:
        return "{:,.0f}×".format(r)
    if r >= 10:
        return "%.0f×" % r
    return "%.1f×" % r


def hparams_for(
    hparams: Optional[Mapping[str, Mapping[str, object]]], experiment: Experiment, run: str
) -> Dict[str, object]:
    """The relevant hyperparameters of `run` (or of its experiment's runs), by canonical name."""
    if not hparams:
        return {}
    sources = [hparams.get(run)] + [hparams.get(r) for r in experiment.runs if r != run]
    sources.append(hparams.get(experiment.name))
    out: Dict[str, object] = {}
    for src in sources:
        if not src:
            continue
        lowered = {str(k).lower().split("/")[-1].split(".")[-1]: v for k, v in src.items()}
        for canon, names in _HP_KEYS.items():
            if canon in out:
                continue
            for n in names:
                if n in lowered and lowered[n] is not None and lowered[n] != "":
                    out[canon] = lowered[n]
                    break
    return out


def _hp_text(hp: Mapping[str, object], keys: Sequence[str]) -> str:
    short = {"learning_rate": "lr", "optimizer": "optimizer", "batch_size": "batch_size", "clip": "clip"}
    parts = []
    for k in keys:
        if k in hp:
            v = hp[k]
            number = isinstance(v, (int, float)) and not isinstance(v, bool)
            parts.append("%s=%s" % (short[k], fmt(float(v)) if number else v))
    return ("the run's hparams say " + ", ".join(parts)) if parts else ""


def _when(step: int, onset: int, axis: str) -> str:
    """How a context event at `step` relates to the onset, on the finding's axis."""
    unit = "epoch" if axis == "epoch" else "step"
    d = onset - step
    if d == 0:
        return "at the onset (%s %s)" % (unit, _steps(step))
    if d == 1:
        return "one %s before the onset (%s %s)" % (unit, unit, _steps(step))
    return "%s %ss before the onset (%s %s)" % (_steps(d), unit, unit, _steps(step))


def describe(kind: str, m: Measure, axis: str, direction: Optional[str] = None) -> Optional[str]:
    """One measured clause for a context series, or None when it says nothing.

    `direction` ("up"/"down"): describe the movement that way, when a cause
    rests on it (a gradient norm that spiked and then fell is named for its spike).
    """
    name = NAMES[kind]
    unit = "epoch" if axis == "epoch" else "step"
    if kind == "action_std":
        c = m.change
        if c is None or c["to"] <= c["from"]:
            return None
        return "%s grew %s over the run (%s → %s, %s %s to %s)" % (
            name,
            _times(c["ratio"]),
            fmt(c["from"]),
            fmt(c["to"]),
            unit,
            _steps(int(c["from_step"])),
            _steps(int(c["to_step"])),
        )
    if m.nonfinite_step is not None and kind in ("gradient_norm", "weight_norm", "loss_scale"):
        if m.nonfinite_step < m.onset:
            return "%s was already non-finite at %s %s, before the finding's onset at %s" % (
                name,
                unit,
                _steps(m.nonfinite_step),
                _steps(m.onset),
            )
    if m.value is None:
        return None
    if kind == "learning_rate" and m.value == 0.0 and m.flat:
        return "the learning rate was 0 throughout"
    jump = m.jump
    if jump is not None and direction is not None and (jump["after"] > jump["before"]) != (direction == "up"):
        jump = None
    if jump is not None:
        j = jump
        verb = "jumped" if j["after"] > j["before"] else "dropped"
        r = j["ratio"] if j["after"] > j["before"] else (1.0 / j["ratio"] if j["ratio"] > 0 else math.inf)
        text = "%s %s %s (%s → %s) %s" % (
            name,
            verb,
            _times(r),
            fmt(j["before"]),
            fmt(j["after"]),
            _when(int(j["step"]), m.onset, axis),
        )
        if "pace" in j:
            text += ", the largest one-%s change of the run so far (%.1f× its usual pace)" % (unit, j["pace"])
        return text
    if m.change is not None:
        c = m.change
        up = c["to"] > c["from"]
        r = c["ratio"] if up else (1.0 / c["ratio"] if c["ratio"] > 0 else math.inf)
        if kind in ("learning_rate", "batch_size", "loss_scale", "epoch"):
            settled = int(c.get("settled_step", c["to_step"]))
            span = m.onset - int(c["from_step"])
            if settled >= m.onset - max(1, (m.onset - int(c["from_step"])) // 10):
                return "%s %s %s (%s → %s) over the %s %ss before the onset" % (
                    name,
                    "rose" if up else "fell",
                    _times(r),
                    fmt(c["from"]),
                    fmt(c["to"]),
                    _steps(span),
                    unit,
                )
            return "%s had been %s since %s %s (after %s %s from %s)" % (
                name,
                fmt(c["to"]),
                unit,
                _steps(settled),
                "rising" if up else "falling",
                _times(r),
                fmt(c["from"]),
            )
        if int(c["from_step"]) >= m.onset:
            return "%s %s %s (%s → %s) at the onset (%s %s)" % (
                name,
                "grew" if up else "shrank",
                _times(r),
                fmt(c["from"]),
                fmt(c["to"]),
                unit,
                _steps(m.onset),
            )
        lead = m.onset - int(c["from_step"])
        return "%s %s %s first (%s → %s): it passed %s its baseline at %s %s, %s before the onset" % (
            name,
            "grew" if up else "shrank",
            _times(r),
            fmt(c["from"]),
            fmt(c["to"]),
            _times(NORM_RATIO),
            unit,
            _steps(int(c["from_step"])),
            ("one " + unit) if lead == 1 else "%s %ss" % (_steps(lead), unit),
        )
    if m.flat:
        where = "throughout" if m.flat_to_end else "from the start to the onset"
        return "%s was flat at %s %s" % (name, fmt(m.value), where)
    if kind == "learning_rate":
        return "the learning rate was %s at the onset, within %s of its starting %s" % (
            fmt(m.value),
            _times(max(_r(m.first, m.value), _r(m.value, m.first))),
            fmt(m.first),
        )
    return None


def _r(a: Optional[float], b: Optional[float]) -> float:
    if a is None or b is None or a <= 0 or b <= 0:
        return 1.0
    return b / a


def _cause(cause: str, text: str, confidence: str, **numbers) -> Dict[str, object]:
    return {
        "cause": cause,
        "text": text,
        "confidence": confidence,
        "numbers": {k: v for k, v in numbers.items() if v is not None},
    }


def rank_causes(finding: Finding, ctx: FindingContext, hp: Mapping[str, object]) -> List[Dict[str, object]]:
    """The causes the logs support or rule out for `finding`, best first."""
    kind = finding.kind
    out: List[Dict[str, object]] = []
    lr = ctx.measures.get("learning_rate")
    gn = ctx.measures.get("gradient_norm")
    wn = ctx.measures.get("weight_norm")
    ls = ctx.measures.get("loss_scale")
    bs = ctx.measures.get("batch_size")
    hp_lr = _hp_text(hp, ("learning_rate", "optimizer"))
    lr_tag = {"run": lr.run, "tag": lr.tag} if lr is not None else None

    def with_hp(text: str, keys=("learning_rate", "optimizer")) -> str:
        extra = _hp_text(hp, keys)
        return text + ("; " + extra if extra else "")

    sd = ctx.measures.get("action_std")
    widened = describe("action_std", sd, ctx.axis) if sd is not None else None
    if kind in EXPLORATION_KINDS and widened:
        out.append(
            _cause(
                "exploration_growth",
                widened + ": the policy grew more random instead of settling on the actions that pay, so "
                "more and more of what it does is noise. The entropy bonus outweighs the reward signal (an "
                "entropy coefficient too large for this reward's scale, rewards or advantages left "
                "unnormalised), or the reward barely depends on the actions; lower ent_coef, normalise "
                "rewards, or bound the log-std",
                "likely",
                ratio=sd.change["ratio"],
                start=sd.change["from"],
                end=sd.change["to"],
                series={"run": sd.run, "tag": sd.tag},
            )
        )

    if kind in BLOW_UP_KINDS:
        rate_explains = False
        if lr is not None and lr.jump is not None and lr.jump["after"] > lr.jump["before"]:
            rate_explains = True
            out.append(
                _cause(
                    "learning_rate_jump",
                    with_hp(
                        "the learning rate jumped %s (%s → %s) %s: one large step can throw the weights "
                        "out of the region they were learning in"
                        % (
                            _times(lr.jump["ratio"]),
                            fmt(lr.jump["before"]),
                            fmt(lr.jump["after"]),
                            _when(int(lr.jump["step"]), ctx.onset, ctx.axis),
                        )
                    ),
                    "likely",
                    ratio=lr.jump["ratio"],
                    before=lr.jump["before"],
                    after=lr.jump["after"],
                    step=int(lr.jump["step"]),
                    onset=ctx.onset,
                    series=lr_tag,
                )
            )
        elif lr is not None and lr.change is not None and lr.change["to"] > lr.change["from"]:
            clause = describe("learning_rate", lr, ctx.axis) or ""
            recent = "over the" in clause
            rate_explains = recent
            out.append(
                _cause(
                    "learning_rate_growth",
                    with_hp(clause + (": the updates outgrew what the weights tolerate" if recent else "")),
                    "likely" if recent else "possible",
                    ratio=lr.change["ratio"],
                    start=lr.change["from"],
                    end=lr.change["to"],
                    from_step=int(lr.change["from_step"]),
                    onset=ctx.onset,
                    series=lr_tag,
                )
            )
        if gn is not None and (
            gn.nonfinite_step is not None
            and gn.nonfinite_step < ctx.onset
            or gn.change is not None
            and gn.change["to"] > gn.change["from"]
        ):
            clause = describe("gradient_norm", gn, ctx.axis, "up") or ""
            clip = _hp_text(hp, ("clip",))
            first = gn.nonfinite_step is not None or int((gn.change or {}).get("from_step", ctx.onset)) < ctx.onset
            out.append(
                _cause(
                    "gradient_explosion",
                    clause
                    + (
                        ": the gradients blew up before the curve showed it"
                        if first
                        else ": the gradients blew up with it"
                    )
                    + ("; " + clip if clip else "; clip gradients (clipnorm / max_grad_norm)"),
                    "likely",
                    ratio=(gn.change or {}).get("ratio"),
                    nonfinite_step=gn.nonfinite_step,
                    onset=ctx.onset,
                    series={"run": gn.run, "tag": gn.tag},
                )
            )
        grew = [
            m
            for m in (wn, gn)
            if m is not None
            and (
                m.change is not None
                and m.change["to"] > m.change["from"]
                or m.jump is not None
                and m.jump["after"] > m.jump["before"]
            )
        ]
        if wn is not None and wn in grew:
            ratio = (wn.jump or wn.change or {}).get("ratio")
            out.append(
                _cause(
                    "weight_growth",
                    (describe("weight_norm", wn, ctx.axis, "up") or "")
                    + ": the weights grew with it, and outputs that grow saturate",
                    "likely",
                    ratio=ratio,
                    onset=ctx.onset,
                    series={"run": wn.run, "tag": wn.tag},
                )
            )
        rate_steady = (
            lr is not None
            and lr.value is not None
            and lr.jump is None
            and (lr.change is None or lr.change["to"] < lr.change["from"])
        )
        if grew and rate_steady:
            # The update is rate x gradient: with the rate unchanged, bigger steps came from the gradients.
            out.append(
                _cause(
                    "inputs_or_gradients",
                    "%s while the larger steps came through the gradients: check what the data looked like "
                    "there (the scale of the inputs, a new shard or source, extreme or mislabelled samples) "
                    "and the loss" % (describe("learning_rate", lr, ctx.axis) or "the learning rate did not change"),
                    "possible",
                    learning_rate=lr.value,
                    onset=ctx.onset,
                    series={"run": lr.run, "tag": lr.tag},
                )
            )
        if (
            ls is not None
            and ls.value is not None
            and (
                ls.change is not None
                and ls.change["to"] < ls.change["from"]
                and ls.change["from"] / max(ls.change["to"], 1e-300) >= LOSS_SCALE_FALL
                or 0 < ls.value <= 1.0
            )
        ):
            out.append(
                _cause(
                    "float16_overflow",
                    "the mixed-precision loss scale fell to %s (from %s): float16 overflowed "
                    "again and again" % (fmt(ls.value), fmt(ls.first)),
                    "likely",
                    value=ls.value,
                    first=ls.first,
                    series={"run": ls.run, "tag": ls.tag},
                )
            )
        if ctx.restart is not None:
            out.append(
                _cause(
                    "restart",
                    "right after a restart from a checkpoint at %s %s: check that the optimiser state "
                    "and the learning-rate schedule were restored with the weights"
                    % ("epoch" if ctx.axis == "epoch" else "step", _steps(ctx.restart)),
                    "likely",
                    restart_step=ctx.restart,
                    onset=ctx.onset,
                )
            )
        if bs is not None and bs.jump is not None:
            out.append(
                _cause(
                    "batch_size_change",
                    describe("batch_size", bs, ctx.axis) or "",
                    "possible",
                    before=bs.jump["before"],
                    after=bs.jump["after"],
                    step=int(bs.jump["step"]),
                )
            )
        # A rate that held still contradicts "the rate grew"; a small one, "the rate is too high".
        if lr is not None and lr.value is not None and not rate_explains:
            steady = lr.flat or (lr.jump is None and lr.change is None)
            clause = describe("learning_rate", lr, ctx.axis) or ""
            if steady and _at_most(lr.value, SMALL_LR) and kind in NUMERIC_KINDS and not out:
                out.append(
                    _cause(
                        "data_or_loss",
                        "%s, so a rate too high is unlikely: look at the data (a NaN/Inf or an extreme value "
                        "in a batch, labels out of range) and the loss (a log or division of zero, "
                        "probabilities fed to a loss that expects logits) first" % clause,
                        "likely",
                        learning_rate=lr.value,
                        onset=ctx.onset,
                        series=lr_tag,
                    )
                )
            if steady and _at_most(lr.value, SMALL_LR):
                out.append(
                    _cause(
                        "learning_rate_too_high",
                        with_hp("%s: a steady rate this small rarely causes it" % clause),
                        "unlikely given the logs",
                        learning_rate=lr.value,
                        series=lr_tag,
                    )
                )
            elif steady and _at_most(LARGE_LR, lr.value):
                out.append(
                    _cause(
                        "learning_rate_too_high",
                        with_hp("%s: large for an adaptive optimiser (Adam's default is 0.001)" % clause),
                        "possible",
                        learning_rate=lr.value,
                        series=lr_tag,
                    )
                )
            elif steady:
                out.append(
                    _cause("learning_rate_too_high", with_hp(clause), "possible", learning_rate=lr.value, series=lr_tag)
                )
        elif lr is None and "learning_rate" in hp and hp_lr:
            out.append(
                _cause(
                    "learning_rate_too_high",
                    hp_lr + " (no learning-rate series was logged)",
                    "possible",
                    learning_rate=_num(hp.get("learning_rate")),
                )
            )
    elif kind in STALL_KINDS:
        if lr is not None and lr.value is not None:
            clause = describe("learning_rate", lr, ctx.axis) or ""
            if lr.value == 0.0:
                out.append(
                    _cause(
                        "learning_rate_zero",
                        with_hp(clause + ": nothing can move at a rate of 0"),
                        "likely",
                        learning_rate=0.0,
                        series=lr_tag,
                    )
                )
            elif (
                lr.change is not None
                and lr.change["to"] < lr.change["from"]
                or (lr.jump is not None and lr.jump["after"] < lr.jump["before"])
            ):
                out.append(
                    _cause(
                        "learning_rate_decayed",
                        with_hp(clause + ": the updates became too small to move the weights"),
                        "likely",
                        learning_rate=lr.value,
                        first=lr.first,
                        series=lr_tag,
                    )
                )
            elif lr.jump is not None or (lr.change is not None and lr.change["to"] > lr.change["from"]):
                out.append(
                    _cause(
                        "learning_rate_jump",
                        with_hp(clause + ": large steps can kill ReLUs, and dead units stop learning"),
                        "possible",
                        learning_rate=lr.value,
                        series=lr_tag,
                    )
                )
            else:
                out.append(
                    _cause(
                        "learning_rate_setting",
                        with_hp(
                            clause + ": a steady rate, so not a schedule "
                            "that decayed; it may be too small or too large "
                            "for this model"
                        ),
                        "possible",
                        learning_rate=lr.value,
                        series=lr_tag,
                    )
                )
        if gn is not None and gn.change is not None and gn.change["to"] < gn.change["from"]:
            out.append(
                _cause(
                    "vanishing_gradient_norm",
                    (describe("gradient_norm", gn, ctx.axis, "down") or "")
                    + ": the gradients faded, so the weights stopped moving",
                    "likely",
                    ratio=gn.change["ratio"],
                    series={"run": gn.run, "tag": gn.tag},
                )
            )
        if ctx.restart is not None:
            out.append(
                _cause(
                    "restart",
                    "right after a restart from a checkpoint at %s %s: check what the "
                    "resumed run restored (a rate of 0 or a frozen layer)"
                    % ("epoch" if ctx.axis == "epoch" else "step", _steps(ctx.restart)),
                    "possible",
                    restart_step=ctx.restart,
                )
            )
        if lr is None and hp_lr:
            out.append(
                _cause(
                    "learning_rate_setting",
                    hp_lr + " (no learning-rate series was logged)",
                    "possible",
                    learning_rate=_num(hp.get("learning_rate")),
                )
            )
    out.sort(key=lambda c: _RANK[str(c["confidence"])])  # stable: order above breaks ties
    return out


def _at_most(a: float, b: float) -> bool:
    """a <= b, allowing for a rate logged as float32 (0.001 reads 0.0010000000475)."""
    return a <= b * (1.0 + 1e-6)


def _num(v: object) -> Optional[float]:
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def facts(ctx: FindingContext) -> List[str]:
    """One measured clause per context series (learning rate first), and a restart."""
    out = []
    for kind in ("learning_rate", "gradient_norm", "weight_norm", "loss_scale", "batch_size", "action_std"):
        m = ctx.measures.get(kind)
        if m is None:
            continue
        clause = describe(kind, m, ctx.axis)
        if clause:
            out.append(clause)
    if ctx.restart is not None:
        out.append(
            "the run restarted from a checkpoint at %s %s"
            % ("epoch" if ctx.axis == "epoch" else "step", _steps(ctx.restart))
        )
    return out


def sentence(ctx: FindingContext, causes: Sequence[Mapping[str, object]]) -> str:
    """The measured sentence for the explanation ('' when the logs say nothing)."""
    top = causes[0] if causes else None
    parts: List[str] = []
    if top is not None and top["confidence"] in ("likely",):
        parts.append("In this run, %s." % _clause(str(top["text"])))
        said = [top]
        # What a steady rate implies is worth its own sentence: it points away from the schedule.
        for c in causes[1:]:
            if c["cause"] == "inputs_or_gradients":
                parts.append("And %s." % _clause(str(c["text"])))
                said.append(c)
        rest = [f for f in facts(ctx) if not any(_covered(f, c) for c in said)]
        if rest:
            parts.append("Also: %s." % "; ".join(rest))
    else:
        fs = facts(ctx)
        if fs:
            parts.append("In this run, %s." % "; ".join(fs))
    unlikely = [c for c in causes if c["confidence"] == "unlikely given the logs"]
    if unlikely and (top is None or top["confidence"] != "likely" or top is not unlikely[0]):
        names = ", ".join(str(c["cause"]).replace("_", " ") for c in unlikely)
        parts.append("Unlikely given the logs: %s." % names)
    return " ".join(parts)


def _clause(text: str) -> str:
    return text.strip().rstrip(".")


def _covered(fact: str, cause: Mapping[str, object]) -> bool:
    return fact.split(" (")[0] in str(cause["text"]) or fact.split(":")[0] in str(cause["text"])


def insert_sentence(explanation: str, text: str) -> str:
    """`text` placed before the explanation's generic causes (or after its first sentence)."""
    if not text:
        return explanation
    m = _GENERIC.search(explanation)
    if m is not None:
        i = m.start()
        return (explanation[:i] + text + " " + explanation[i:]).strip()
    end = explanation.find(". ")
    if end < 0:
        return (explanation.rstrip() + " " + text).strip()
    return explanation[: end + 2] + text + " " + explanation[end + 2 :]


def annotate(
    finding: Finding,
    experiment: Experiment,
    hparams: Optional[Mapping[str, Mapping[str, object]]] = None,
    series: Optional[Sequence[ContextSeries]] = None,
) -> Finding:
    """`finding` with its context, ranked causes and measured sentence (in place; returned)."""
    if EV_LIKELY_CAUSES in (finding.evidence or {}):
        return finding  # already annotated: never say it twice
    ctx = context_for(experiment, finding, series)
    hp = hparams_for(hparams, experiment, finding.run)
    causes = rank_causes(finding, ctx, hp)
    if not ctx.measures and ctx.restart is None and not causes:
        return finding
    finding.evidence[EV_CONTEXT] = ctx.to_json()
    if hp:
        finding.evidence[EV_CONTEXT]["hparams"] = {
            k: (v if isinstance(v, (int, float, str, bool)) else str(v)) for k, v in hp.items()
        }
    finding.evidence[EV_LIKELY_CAUSES] = causes
    text = sentence(ctx, causes)
    if text:
        finding.explanation = insert_sentence(finding.explanation, text)
    return finding


def annotate_findings(
    experiment: Experiment, findings: Sequence[Finding], hparams: Optional[Mapping[str, Mapping[str, object]]] = None
) -> List[Finding]:
    """Every finding of one experiment, annotated (see the module's docstring).

    `hparams`: run name (or experiment name) -> that run's hyperparameters, as
    TensorBoard's HParams plugin holds them; optional.
    """
    if not findings:
        return []
    try:
        pool = find_context(experiment)
    except Exception:  # noqa: BLE001 - context is an addition: it never costs the findings
        return list(findings)
    out = []
    for f in findings:
        try:
            out.append(annotate(f, experiment, hparams, pool))
        except Exception:  # noqa: BLE001 - the finding stands without its context
            out.append(f)
    return out
