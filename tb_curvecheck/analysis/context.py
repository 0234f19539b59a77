"""What a run's context series did at a finding's onset, measured.

Context series are the ones logged beside the curves that say why a curve
moved: the learning rate, gradient and weight norms, the mixed-precision loss
scale, the batch size, the epoch counter; and the restarts the reading layer
saw (steps that went back).  They are recognised by the naming conventions of
the writers CurveCheck reads (Keras `epoch_learning_rate`, Lightning's
`lr-Adam` / `lr-SGD-0`, Hugging Face and SB3 `train/learning_rate` and
`train/grad_norm`, `amp/scale`, the CurveCheck callback's
`curvecheck/gradient_norm/<layer>`, plain `lr`/`LR`); a name that tells
nothing stays unknown and is not used.

Everything is measured on the finding's own step axis: Keras' `epoch_*` tags
and the callback's diagnostics are at epoch indices, `batch_*` at global
batches, every other tag at the writer's own step.  A context series on
another axis than the finding is left out: a number said on the wrong axis
would be worse than none.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .. import tags
from ..model import Experiment, Finding, ScalarSeries
from . import histogram_roles
from .roles import SPLIT_WORDS, _tokens, classify

CONTEXT_KINDS: Tuple[str, ...] = (
    "learning_rate",
    "gradient_norm",
    "weight_norm",
    "loss_scale",
    "batch_size",
    "epoch",
    "action_std",
)

# Human names, for sentences.
NAMES = {
    "learning_rate": "the learning rate",
    "gradient_norm": "the gradient norm",
    "weight_norm": "the weight norm",
    "loss_scale": "the loss scale",
    "batch_size": "the batch size",
    "epoch": "the epoch counter",
    "action_std": "the policy's action std",
}

# Series whose values are set, not measured (a schedule, a config): compared
# point to point exactly.  The others are noisy measurements, compared
# against a median baseline so that one odd batch is not a "growth".
EXACT_KINDS = ("learning_rate", "batch_size", "loss_scale", "epoch")

# One logged interval that multiplies (or divides) a set value by this much is
# a jump, not a schedule's smooth drift: warmup and cosine or exponential
# decay change a rate by a few percent per logged step, a step decay by 10x.
JUMP_RATIO = 3.0
# A set value that changed by this factor between the start and the onset
# "rose" or "fell": a tenfold change of a learning rate changes what training does.
TREND_RATIO = 10.0
# Values within this relative distance are the same setting (float32 keeps
# about 7 significant digits; schedules written as float32 wobble at 1e-7).
FLAT_RTOL = 1e-5
# A measured norm that grew or shrank by this factor from its own baseline
# before the onset is past any minibatch noise (gradient norms vary 2-3x
# between batches of a healthy run).
NORM_RATIO = 10.0
# "Near the onset": this many logged points of the context series back, or
# this share of the finding series' span, whichever is wider.  A per-epoch
# collapse one epoch after a jump is near; a per-step one 5% of the run later
# is not "right after".
NEAR_POINTS = 3
NEAR_SHARE = 0.02
# A measured norm "jumped" when one interval near the onset changed it by at
# least this factor, more than any earlier interval did, and this many times
# its median pace before: the run's own rhythm is the yardstick, so a per-step
# norm's batch-to-batch noise does not count, while a per-epoch weight norm
# that grew 1.5x after epochs of ~1.1x does.
NOISY_JUMP_MIN_RATIO = 1.25
NOISY_JUMP_PACE = 3.0
# ... and only with this many points before it to know that rhythm.
NOISY_JUMP_MIN_POINTS = 4
# A Gaussian policy's action std (Stable-Baselines3's `train/std`, the exp of its learned log-std)
# narrows as the policy commits to the actions that pay; grown this many times from where it began,
# it widened instead: the entropy bonus (or the absence of any reward gradient) is winning.  The
# healthy PPO runs of the real-world corpus's tuned part end at 0.25x-1.1x of their start; the two
# that never learned grew 10x and 50x.
STD_GROWTH = 3.0
# The std's start and end levels: medians of this many logged points (a learned parameter moves
# smoothly, so a few points suffice).
STD_LEVEL_POINTS = 3
# Action-std tags: Stable-Baselines3 writes `train/std`; hand-written agents `policy/std`, `action_std`.
_STD_PREFIXES = {"train", "training", "rollout", "policy", "actor"}
_STD_JOINED = {"action_std", "policy_std", "actor_std", "policy_action_std", "action_noise_std"}
# A wall-clock gap this many times the median time per logged step, at a
# series that restarted, marks where the resumed run began writing.
RESTART_GAP_FACTOR = 10.0

_LR_WORDS = {"lr", "learning_rate", "learningrate"}
_GRAD_WORDS = {"grad", "grads", "gradient", "gradients"}
_WEIGHT_WORDS = {"weight", "weights", "param", "params", "parameter", "parameters", "w"}
_NORM_WORDS = {"norm", "global_norm", "l2", "l2_norm"}
_SCALE_WORDS = {"loss_scale", "lossscale", "loss_scaler", "grad_scale", "grad_scaler", "scaler_scale"}
_BATCH_SIZE_WORDS = {"batch_size", "batchsize", "bs", "global_batch_size", "train_batch_size"}
_AMP_WORDS = {"amp", "scaler", "grad_scaler", "mixed_precision", "fp16", "loss_scaler"}
# Writer prefixes that say where a value was logged, not what it is.
_PREFIX_NOISE = {
    "optimizer",
    "optim",
    "opt",
    "train",
    "training",
    "trainer",
    "epoch",
    "batch",
    "step",
    "charts",
    "stats",
    "hparams",
    "lr_monitor",
    "monitor",
    "misc",
    "info",
}


@dataclasses.dataclass(frozen=True, eq=False)
class ContextSeries:
    """One context quantity of one run, ready to measure.

    `axis` names the step axis its steps live on ("epoch", "batch" or "step").
    `parts` > 1 when it is the root sum of squares of per-layer series (the
    CurveCheck callback logs the gradient norm per layer).
    """

    kind: str
    run: str
    tag: str
    steps: np.ndarray  # int64, increasing
    values: np.ndarray  # float64, NaN/Inf kept
    axis: str
    parts: int = 1

    def ref(self) -> Dict[str, str]:
        return {"run": self.run, "tag": self.tag}


def context_kind(run: str, tag: str) -> Optional[str]:
    """Which context quantity a scalar tag holds, or None."""
    low = tag.strip().lower()
    raw = _tokens(tag)
    toks = [t for t in raw if t not in SPLIT_WORDS]
    if not toks:
        return None
    joined = "_".join(toks)
    # Lightning's LearningRateMonitor: `lr-Adam`, `lr-SGD-0`, `lr-Adam/pg1`.
    if toks[0] == "lr" or low.startswith("lr-"):
        return "learning_rate"
    if classify(run, tag).role == "learning_rate" or any(t in _LR_WORDS for t in toks) or "learning_rate" in joined:
        return "learning_rate"
    if histogram_roles.classify(run, tag, scalar=True).role == "gradient_norm":
        return "gradient_norm"
    has_norm = any(t in _NORM_WORDS or t.endswith("norm") for t in toks)
    if has_norm and any(t in _GRAD_WORDS or t.startswith("grad") for t in toks):
        return "gradient_norm"
    if joined in ("global_norm",) or joined.endswith("gradients_global_norm"):
        return "gradient_norm"
    if has_norm and any(t in _WEIGHT_WORDS for t in toks):
        return "weight_norm"
    if joined in ("weight_norm", "param_norm", "parameter_norm", "weights_norm", "model_norm"):
        return "weight_norm"
    if any(w in joined for w in _SCALE_WORDS) or ("scale" in toks and any(t in _AMP_WORDS for t in toks)):
        return "loss_scale"
    if joined in _STD_JOINED or (raw[-1:] == ["std"] and len(raw) == 2 and raw[0] in _STD_PREFIXES):
        return "action_std"
    rest = [t for t in toks if t not in _PREFIX_NOISE] or toks
    joined_rest = "_".join(rest)
    if joined in _BATCH_SIZE_WORDS or joined_rest in _BATCH_SIZE_WORDS:
        return "batch_size"
    if joined_rest in ("batch_size", "batchsize", "bs", "global_batch_size", "train_batch_size"):
        return "batch_size"
    if toks == ["epoch"] or toks == ["epochs"] or joined in ("train_epoch", "epoch_epoch"):
        return "epoch"
    return None


def scalar_axis(tag: str) -> str:
    """The step axis a scalar tag of a run lives on."""
    low = tag.lower()
    if low.startswith(tags.PREFIX):
        return "epoch"  # the callback writes its diagnostics once per epoch
    if low.startswith("epoch_"):
        return "epoch"
    if low.startswith("batch_") or (low.startswith("evaluation_") and low.endswith("_vs_iterations")):
        return "batch"
    return "step"


def histogram_axis(run_tags: Sequence[str], tag: str) -> str:
    """Keras writes its weight histograms once per epoch into the run that
    holds its `epoch_*` scalars; other writers use their own step."""
    if tag.lower().startswith(tags.PREFIX):
        return "epoch"
    return "epoch" if any(t.startswith("epoch_") for t in run_tags) else "step"


def finding_axis(experiment: Experiment, finding: Finding) -> str:
    run_tags = [s.tag for s in experiment.scalars if s.run == finding.run]
    if any(h.run == finding.run and h.tag == finding.tag for h in experiment.histograms):
        return histogram_axis(run_tags, finding.tag)
    return scalar_axis(finding.tag)


def find_context(experiment: Experiment) -> List[ContextSeries]:
    """Every context series of an experiment's runs.

    Per-layer gradient norms of one run and axis are combined into one
    global norm (root sum of squares at the steps they share), which is what
    a person means by "the gradient norm".
    """
    out: List[ContextSeries] = []
    layered: Dict[Tuple[str, str, str], List[Tuple[str, ScalarSeries]]] = {}
    tags_by_run: Dict[str, List[str]] = {}
    for s in experiment.scalars:
        tags_by_run.setdefault(s.run, []).append(s.tag)
    for s in experiment.scalars:
        kind = context_kind(s.run, s.tag)
        if kind is None or not len(s.series):
            continue
        axis = scalar_axis(s.tag)
        layer = experiment.layer_role(s.run, s.tag)
        if kind == "gradient_norm" and layer.role == "gradient_norm" and layer.layer:
            layered.setdefault((s.run, kind, axis), []).append((s.tag, s.series))
            continue
        out.append(ContextSeries(kind, s.run, s.tag, s.series.steps, s.series.values, axis))
    have_weight_norm = {cs.run for cs in out if cs.kind == "weight_norm"}
    out.extend(_weight_norms_from_histograms(experiment, tags_by_run, have_weight_norm))
    for (run, kind, axis), parts in sorted(layered.items()):
        if len(parts) == 1:
            tag, series = parts[0]
            out.append(ContextSeries(kind, run, tag, series.steps, series.values, axis))
            continue
        common = parts[0][1].steps
        for _, series in parts[1:]:
            common = np.intersect1d(common, series.steps)
        if not common.size:
            continue
        total = np.zeros(common.shape[0], dtype=np.float64)
        for _, series in parts:
            idx = np.searchsorted(series.steps, common)
            total += np.square(series.values[idx])
        prefix = _common_prefix([t for t, _ in parts])
        out.append(
            ContextSeries(kind, run, prefix + "*", common.astype(np.int64), np.sqrt(total), axis, parts=len(parts))
        )
    return out


def _weight_norms_from_histograms(
    experiment: Experiment, tags_by_run: Dict[str, List[str]], skip_runs: set
) -> List[ContextSeries]:
    """The weight norm of each run that logs kernel histograms but no weight-norm scalar.

    Each bucket's count times its centre squared, summed over every kernel
    tensor, estimates the squared Frobenius norm of the weights (within the
    bucket width; the same estimate at every step, so ratios hold).
    """
    by_run: Dict[Tuple[str, str], List] = {}
    for h in experiment.histograms:
        if h.run in skip_runs or not len(h.series):
            continue
        if experiment.layer_role(h.run, h.tag).role != "kernel":
            continue
        axis = histogram_axis(tags_by_run.get(h.run, []), h.tag)
        by_run.setdefault((h.run, axis), []).append(h)
    out = []
    for (run, axis), hists in sorted(by_run.items()):
        common = hists[0].series.steps
        for h in hists[1:]:
            common = np.intersect1d(common, h.series.steps)
        if common.shape[0] < 2:
            continue
        total = np.zeros(common.shape[0], dtype=np.float64)
        for h in hists:
            where = np.searchsorted(h.series.steps, common)
            with np.errstate(invalid="ignore", over="ignore"):
                total += np.array(
                    [
                        float(np.sum(b[:, 2] * np.square(0.5 * (b[:, 0] + b[:, 1]))))
                        for b in (h.series.buckets[i] for i in where)
                    ]
                )
        prefix = _common_prefix([h.tag for h in hists]) if len(hists) > 1 else hists[0].tag
        out.append(
            ContextSeries(
                "weight_norm",
                run,
                prefix + ("*" if len(hists) > 1 else ""),
                common.astype(np.int64),
                np.sqrt(total),
                axis,
                parts=len(hists),
            )
        )
    return out


def _common_prefix(tags: Sequence[str]) -> str:
    prefix = tags[0]
    for t in tags[1:]:
        while not t.startswith(prefix):
            prefix = prefix[:-1]
    return prefix[: prefix.rfind("/") + 1] if "/" in prefix else prefix


def restart_steps(experiment: Experiment, run: str) -> List[int]:
    """Steps at which a resumed run began writing again, for one run.

    The reading layer keeps the newest value per step and counts how often
    steps went back; where the resumed run began shows as the widest gaps in
    wall time (the old run's lost stretch plus the downtime).
    """
    best: Optional[ScalarSeries] = None
    for s in experiment.scalars:
        if s.run == run and s.series.restarts and (best is None or len(s.series) > len(best)):
            best = s.series
    if best is None:
        return []
    exact = getattr(best, "restart_steps", None)
    if exact:
        # Recorded by the reading layer where the steps went back: no inference needed.
        return sorted({int(x) for x in exact})
    if len(best) < 3:
        return []
    dt = np.diff(best.wall_times)
    positive = dt[dt > 0]
    if not positive.size:
        return []
    typical = float(np.median(positive))
    order = np.argsort(-dt, kind="stable")[: best.restarts]
    hits = [int(best.steps[i + 1]) for i in order if dt[i] > RESTART_GAP_FACTOR * max(typical, 1e-9)]
    return sorted(hits)


# --- Measuring one context series at an onset ---------------------------------


@dataclasses.dataclass
class Measure:
    """What one context series did up to a finding's onset (steps on the finding's axis)."""

    kind: str
    run: str
    tag: str
    onset: int
    value: Optional[float]  # the value in effect at the onset (last finite point at or before it)
    value_step: Optional[int]
    first: Optional[float]  # the first finite value of the series
    first_step: Optional[int]
    flat: bool = False  # one value from the start up to the onset
    flat_to_end: bool = False  # ... and to the end of the series
    jump: Optional[Dict[str, float]] = None  # {ratio, before, after, step}: one interval near the onset
    change: Optional[Dict[str, float]] = None  # {ratio, from, to, from_step, to_step}: since the extreme before
    nonfinite_step: Optional[int] = None  # first NaN/Inf at or before the onset (near window included)
    parts: int = 1

    def to_json(self) -> Dict[str, object]:
        d = dataclasses.asdict(self)
        return {k: v for k, v in d.items() if v is not None and v is not False}


def near_span(steps: np.ndarray, onset: int, finding_span: int) -> int:
    """How many steps before an onset count as 'near' it (see NEAR_POINTS)."""
    before = steps[steps <= onset]
    by_points = 0
    if before.size:
        by_points = int(onset - before[max(0, before.size - NEAR_POINTS - 1)])
    return max(by_points, int(math.ceil(NEAR_SHARE * max(finding_span, 0))), 1)


def measure(cs: ContextSeries, onset: int, finding_span: int) -> Optional[Measure]:
    """What `cs` did up to `onset`; None when it logged nothing by then."""
    if cs.kind == "action_std":
        return _measure_exploration(cs, onset)
    steps, values = cs.steps, cs.values
    upto = steps <= onset
    if not np.any(upto):
        return None
    s_b, v_b = steps[upto], values[upto]
    near = near_span(steps, onset, finding_span)
    bad = np.flatnonzero(~np.isfinite(v_b))
    ok = np.isfinite(v_b)
    m = Measure(cs.kind, cs.run, cs.tag, int(onset), None, None, None, None, parts=cs.parts)
    if bad.size:
        m.nonfinite_step = int(s_b[bad[0]])
    if not np.any(ok):
        return m
    fs, fv = s_b[ok], v_b[ok]
    m.value, m.value_step = float(fv[-1]), int(fs[-1])
    m.first, m.first_step = float(fv[0]), int(fs[0])
    if cs.kind in EXACT_KINDS:
        _measure_set(m, fs, fv, values, near)
    else:
        _measure_noisy(m, fs, fv, near)
    return m


def _measure_exploration(cs: ContextSeries, onset: int) -> Optional[Measure]:
    """An action std over the whole run: how far the policy's randomness moved is a story of the run
    (a return that never rose has its onset at the start), not of the moments before one step."""
    ok = np.isfinite(cs.values)
    fs, fv = cs.steps[ok], cs.values[ok]
    if fv.shape[0] < 2 * STD_LEVEL_POINTS:
        return None
    m = Measure(cs.kind, cs.run, cs.tag, int(onset), float(fv[-1]), int(fs[-1]), float(fv[0]), int(fs[0]))
    start = float(np.median(fv[:STD_LEVEL_POINTS]))
    end = float(np.median(fv[-STD_LEVEL_POINTS:]))
    if start > 0 and end >= STD_GROWTH * start:
        m.change = {"ratio": end / start, "from": start, "to": end, "from_step": int(fs[0]), "to_step": int(fs[-1])}
    return m


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= FLAT_RTOL * max(abs(a), abs(b), 1e-30)


def _ratio(a: float, b: float) -> float:
    """b / a for positive values; inf when a is 0 and b is not."""
    if a <= 0.0:
        return math.inf if b > 0.0 else 1.0
    return b / a


def _measure_set(m: Measure, fs: np.ndarray, fv: np.ndarray, all_values: np.ndarray, near: int) -> None:
    lo, hi = float(np.min(fv)), float(np.max(fv))
    m.flat = _same(lo, hi)
    if m.flat:
        rest = all_values[np.isfinite(all_values)]
        m.flat_to_end = bool(rest.size) and _same(float(np.min(rest)), lo) and _same(float(np.max(rest)), lo)
        # One point up to the onset (a finding that opens at the first summary) holds no level: "flat from
        # the start to the onset" would say nothing unless the series stays there to its end.
        m.flat = m.flat_to_end or fv.shape[0] >= 2
    # The largest one-interval change whose later point lies near the onset.
    if fv.shape[0] >= 2 and np.all(fv >= 0):
        prev, cur = fv[:-1], fv[1:]
        with np.errstate(divide="ignore", invalid="ignore"):
            logr = np.where((prev > 0) & (cur > 0), np.abs(np.log(cur / np.where(prev > 0, prev, 1.0))), 0.0)
            logr = np.where((prev == 0) != (cur == 0), np.inf, logr)
        inside = fs[1:] >= m.onset - near
        logr = np.where(inside, logr, -1.0)
        j = int(np.argmax(logr))
        if logr[j] >= math.log(JUMP_RATIO):
            m.jump = {
                "ratio": _ratio(float(prev[j]), float(cur[j])),
                "before": float(prev[j]),
                "after": float(cur[j]),
                "step": int(fs[j + 1]),
                "prev_step": int(fs[j]),
            }
    # The change from the extreme before the onset to the value at the onset.
    v = float(fv[-1])
    i_min = int(np.flatnonzero(fv == lo)[-1])
    i_max = int(np.flatnonzero(fv == hi)[-1])
    up = _ratio(lo, v) if lo >= 0 else 1.0
    down = _ratio(v, hi) if v >= 0 else 1.0
    if up >= TREND_RATIO and up >= down:
        m.change = {
            "ratio": up,
            "from": lo,
            "to": v,
            "from_step": int(fs[i_min]),
            "to_step": int(fs[-1]),
            "settled_step": _settled(fs, fv),
        }
    elif down >= TREND_RATIO:
        m.change = {
            "ratio": 1.0 / down if down != math.inf else 0.0,
            "from": hi,
            "to": v,
            "from_step": int(fs[i_max]),
            "to_step": int(fs[-1]),
            "settled_step": _settled(fs, fv),
        }


def _settled(fs: np.ndarray, fv: np.ndarray) -> int:
    """The first step from which the value stayed at its onset setting."""
    v = float(fv[-1])
    i = fv.shape[0] - 1
    while i > 0 and _same(float(fv[i - 1]), v):
        i -= 1
    return int(fs[i])


def _measure_noisy(m: Measure, fs: np.ndarray, fv: np.ndarray, near: int) -> None:
    n = fv.shape[0]
    if n < 3:
        return
    # Baseline: the median of the first half before the onset; peak/trough: near the onset.
    base = float(np.median(fv[: max(1, n // 2)]))
    window = fs >= m.onset - near
    if not np.any(window):
        return
    peak, trough = float(np.max(fv[window])), float(np.min(fv[window]))
    up, down = _ratio(base, peak), _ratio(trough, base)
    if up >= NORM_RATIO and up >= down:
        first = int(np.flatnonzero(fv > base * NORM_RATIO)[0])
        m.change = {"ratio": up, "from": base, "to": peak, "from_step": int(fs[first]), "to_step": int(m.onset)}
    elif down >= NORM_RATIO:
        first = int(np.flatnonzero(fv < base / NORM_RATIO)[0])
        m.change = {
            "ratio": 1.0 / down if down != math.inf else 0.0,
            "from": base,
            "to": trough,
            "from_step": int(fs[first]),
            "to_step": int(m.onset),
        }
    lo, hi = float(np.min(fv)), float(np.max(fv))
    # One point up to the onset (a finding that opens at the first summary) is no level held: "flat from
    # the start to the onset" would say nothing.
    m.flat = fv.shape[0] >= 2 and _same(lo, hi)
    # One interval near the onset that outpaces everything the series did before it.
    if n >= NOISY_JUMP_MIN_POINTS and np.all(fv > 0):
        logr = np.log(fv[1:] / fv[:-1])
        inside = np.flatnonzero(fs[1:] >= m.onset - near)
        if inside.size:
            j = int(inside[np.argmax(np.abs(logr[inside]))])
            earlier = np.abs(logr[:j])
            size = abs(float(logr[j]))
            if (
                earlier.size >= NOISY_JUMP_MIN_POINTS - 1
                and size >= math.log(NOISY_JUMP_MIN_RATIO)
                and size >= float(np.max(earlier))
                and size >= NOISY_JUMP_PACE * max(float(np.median(earlier)), 1e-12)
            ):
                m.jump = {
                    "ratio": float(fv[j + 1] / fv[j]),
                    "before": float(fv[j]),
                    "after": float(fv[j + 1]),
                    "step": int(fs[j + 1]),
                    "prev_step": int(fs[j]),
                    "pace": size / max(float(np.median(earlier)), 1e-12),
                }


# --- All of it for one finding ---------------------------------------------------


@dataclasses.dataclass
class FindingContext:
    """Every measure taken for one finding, best series per kind."""

    axis: str
    onset: int
    measures: Dict[str, Measure]
    restart: Optional[int] = None  # a restart near (at or before) the onset, on the finding's axis
    restarts: List[int] = dataclasses.field(default_factory=list)

    def to_json(self) -> Dict[str, object]:
        out: Dict[str, object] = {"axis": self.axis, "onset": self.onset}
        for k, m in self.measures.items():
            out[k] = m.to_json()
        if self.restart is not None:
            out["restart_step"] = self.restart
        return out


def _finding_span(experiment: Experiment, finding: Finding) -> int:
    for s in experiment.scalars:
        if s.run == finding.run and s.tag == finding.tag and len(s.series):
            return int(s.series.steps[-1] - s.series.steps[0])
    for h in experiment.histograms:
        if h.run == finding.run and h.tag == finding.tag and len(h.series):
            return int(h.series.steps[-1] - h.series.steps[0])
    return 0


def context_for(
    experiment: Experiment, finding: Finding, series: Optional[Sequence[ContextSeries]] = None
) -> FindingContext:
    """What the experiment's context series did at `finding`'s onset.

    Of several series of one kind, the one in the finding's own run wins,
    then the longest; series on another step axis are left out.
    """
    axis = finding_axis(experiment, finding)
    onset = int(finding.start_step)
    span = _finding_span(experiment, finding)
    pool = find_context(experiment) if series is None else series

    def preference(cs: ContextSeries):
        # Own run first; a logged global norm over one summed from layers; then the longest.
        return (cs.run == finding.run, cs.parts == 1, len(cs.steps))

    chosen: Dict[str, ContextSeries] = {}
    for cs in pool:
        if cs.axis != axis or (cs.run == finding.run and cs.tag == finding.tag):
            continue  # another step axis, or the finding's own series (it says nothing about itself)
        old = chosen.get(cs.kind)
        if old is None or preference(cs) > preference(old):
            chosen[cs.kind] = cs
    measures: Dict[str, Measure] = {}
    for kind in CONTEXT_KINDS:
        cs = chosen.get(kind)
        if cs is None:
            continue
        m = measure(cs, onset, span)
        if m is not None:
            measures[kind] = m
    ctx = FindingContext(axis=axis, onset=onset, measures=measures)
    # Restarts: of the finding's own run, and only when its steps share the axis of what restarted.
    restarts = restart_steps(experiment, finding.run)
    restarted_axes = {scalar_axis(s.tag) for s in experiment.scalars if s.run == finding.run and s.series.restarts}
    if restarts and axis in restarted_axes:
        ctx.restarts = restarts
        near = max(NEAR_POINTS, int(math.ceil(NEAR_SHARE * max(span, 0))))
        before = [r for r in restarts if onset - near <= r <= onset]
        if before:
            ctx.restart = before[-1]
    return ctx
