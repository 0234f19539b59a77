"""Plain data shared by every part of CurveCheck: series, findings, kinds.

Nothing here knows about TensorBoard, HTTP or TensorFlow; only numpy.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Dict, FrozenSet, List, Literal, Mapping, Optional, Sequence, Tuple, get_args

import numpy as np

# --- Named contracts --------------------------------------------------------
# Each is a `Literal` (what type checkers and readers see) and the tuple of its
# values (what code iterates and validates against).  The values are plain
# strings, so a finding's JSON is the same as it always was.

Severity = Literal["error", "warning", "info"]
SEVERITIES: Tuple[str, ...] = get_args(Severity)
# Lower rank = more serious; used for sorting and for `--fail-on`.
SEVERITY_RANK: Dict[str, int] = {name: i for i, name in enumerate(SEVERITIES)}

ScalarKind = Literal[
    "non_finite",
    "loss_divergence",
    "metric_collapse",
    "transient_dip",
    "stuck_metric",
    "saturated_loss",
    "oscillation",
    "overfitting",
    "no_progress",
    "low_margin",
    "never_learned",
]
HistogramKind = Literal[
    "exploding_weights",
    "frozen_weights",
    "dead_units",
    "saturated_outputs",
    "collapsed_outputs",
    "vanishing_gradients",
    "exploding_gradients",
]
Kind = Literal[ScalarKind, HistogramKind]
SCALAR_KINDS: Tuple[str, ...] = get_args(ScalarKind)
HISTOGRAM_KINDS: Tuple[str, ...] = get_args(HistogramKind)
KINDS: Tuple[str, ...] = SCALAR_KINDS + HISTOGRAM_KINDS

# What a scalar tag measures (`TagInfo.role`).
Role = Literal[
    "loss",  # lower is better, a training objective
    "metric_up",  # higher is better: accuracy, AUC, F1, precision, recall, IoU, ...
    "metric_down",  # lower is better but not the objective: MAE, MSE, error rate, perplexity, ...
    "learning_rate",
    "other",  # known not to be judged: epoch counters, throughput, timing, reward, ...
    "unknown",  # could not be told; detectors leave these alone except non_finite
]
ROLES: Tuple[str, ...] = get_args(Role)
# What a series is for in its run (`TagInfo.purpose`, decided per experiment in
# `analysis.roles.purposes`): trend kinds judge objectives and task metrics; a
# component or auxiliary series is judged only when they agree.
Purpose = Literal[
    "objective",  # the loss being minimised (`loss`, `total_loss`)
    "component",  # a term of it or a loss beside it: regularisation, KL, RL policy/value, YOLO box/obj
    "task",  # the metric that says whether training works: accuracy, mAP, BLEU, reward
    "auxiliary",  # a metric of a side task (a domain classifier's accuracy) or a partial one (precision)
]
PURPOSES: Tuple[str, ...] = get_args(Purpose)
Split = Literal["train", "validation", "test"]
SPLITS: Tuple[str, ...] = get_args(Split)
# "epoch": one value per epoch; "batch": per-batch values on a counter of their own (Keras
# `batch_*` running means that reset every epoch, Lightning `val_*_step` evaluation batches);
# "step": anything else logged against a global step.
Granularity = Literal["epoch", "batch", "step"]
GRANULARITIES: Tuple[str, ...] = get_args(Granularity)
# What a histogram tag (or a per-layer gradient-norm scalar) holds (`LayerRole.role`).
LayerRoleName = Literal[
    "kernel", "bias", "norm_stat", "activations", "outputs", "gradients", "gradient_norm", "unknown"
]
LAYER_ROLES: Tuple[str, ...] = get_args(LayerRoleName)

# Evidence keys that surfaces (the tab, the CLI, the benchmark) read; everything
# else in `Finding.evidence` is for people.  Documented in docs/internals.md.
EV_GRANULARITY = "granularity"  # scalar findings: the TagInfo.granularity of the flagged tag
EV_STATISTIC = "statistic"  # histogram findings: the `histogram_stats` key the finding rests on
EV_CORROBORATING = "corroborating"  # folded findings, each a Finding.to_json() (corroborate.merge)
EV_CORROBORATED_BY = "corroborated_by"  # the curve finding that raised a histogram symptom
EV_TAGS = "tags"  # grouped histogram findings: every tag covered (`tag` is the first)
EV_LAYERS = "layers"  # ... and every layer
EV_SYMPTOM = "symptom"  # a histogram finding's symptom alone, before any story is added
EV_LAYER = "layer"  # the layer a histogram finding names
EV_CAUSED_BY = "caused_by"  # a frozen/vanished layer told as the consequence of a dead one
EV_CLASS_SHARE = "class_share"  # the logged class share a stuck or collapsed output matched
EV_LAST_HEALTHY_STEP = "last_healthy_step"  # the checkpoint to restore
EV_TASK_WORSE = "task_worse"  # a loss finding's task metric, seen by its detector ending below where it stood before
EV_CONTEXT = "context"  # what the run's context series (learning rate, norms, restarts) did at the onset
EV_LIKELY_CAUSES = "likely_causes"  # ranked [{cause, text, numbers, confidence}], most likely first

# How non-finite floats are spelled in JSON (evidence here, points over HTTP):
# JavaScript's own names, so `Number("NaN")` and `Number("-Infinity")` read them back.
NON_FINITE_JSON = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}


def json_float(f: float) -> Any:
    """A float as strict JSON: itself when finite, else "NaN", "Infinity" or "-Infinity"."""
    if math.isnan(f):
        return NON_FINITE_JSON["nan"]
    if math.isinf(f):
        return NON_FINITE_JSON["inf"] if f > 0 else NON_FINITE_JSON["-inf"]
    return f


def _steps_back(steps: np.ndarray) -> Tuple[int, bool]:
    """(how often the steps went back, whether any step is not above the one before).  A step logged
    twice (Lightning's `epoch` beside each validation) is sorted and kept once, but is no restart."""
    if steps.shape[0] < 2:
        return 0, False
    d = np.diff(steps)
    return int(np.count_nonzero(d < 0)), bool(np.any(d <= 0))


@dataclasses.dataclass(frozen=True, eq=False)
class ScalarSeries:
    """One scalar tag of one run, sorted by step, one value per step.

    `values` keeps NaN and +-Inf exactly as logged.  `restarts` counts the
    places where the writer went back to an earlier step (a run resumed from
    a checkpoint); the newest value per step (by wall time) is the one kept.
    `superseded` holds, in logged order, the values a restart overwrote: what
    TensorBoard no longer shows of the sessions before the one it keeps.
    """

    steps: np.ndarray  # int64, strictly increasing
    values: np.ndarray  # float64
    wall_times: np.ndarray  # float64, seconds since the epoch
    restarts: int = 0
    sampled: bool = False  # True when TensorBoard kept only a sample of the points
    superseded: Optional[np.ndarray] = None  # float64, or None when no restart dropped a point

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    @property
    def last_step(self) -> Optional[int]:
        return int(self.steps[-1]) if len(self) else None

    def fingerprint(self) -> Tuple[int, Optional[int], float]:
        """Cheap identity of the content, for caches: grows when the series grows."""
        if not len(self):
            return (0, None, 0.0)
        return (len(self), int(self.steps[-1]), float(self.wall_times[-1]))

    @staticmethod
    def from_points(
        steps: Sequence[int],
        values: Sequence[float],
        wall_times: Optional[Sequence[float]] = None,
        sampled: bool = False,
    ) -> "ScalarSeries":
        """Builds a normalised series from raw points in logged order.

        Duplicate steps (a restarted run writes them again) keep the value with
        the newest wall time; a step lower than one already seen counts as a restart.
        """
        s = np.asarray(steps, dtype=np.int64).reshape(-1)
        v = np.asarray(values, dtype=np.float64).reshape(-1)
        if wall_times is None:
            w = np.arange(s.shape[0], dtype=np.float64)
        else:
            w = np.asarray(wall_times, dtype=np.float64).reshape(-1)
        if not (s.shape == v.shape == w.shape):
            raise ValueError("steps, values and wall times differ in length")
        restarts, unordered = _steps_back(s)
        if unordered:
            # Stable sort by (step, wall time): the last of each step is the newest.
            order = np.lexsort((np.arange(s.shape[0]), w, s))
            s, v, w = s[order], v[order], w[order]
            keep = np.ones(s.shape[0], dtype=bool)
            keep[:-1] = s[1:] != s[:-1]
            s, v, w = s[keep], v[keep], w[keep]
        return ScalarSeries(s, v, w, restarts=restarts, sampled=sampled)


@dataclasses.dataclass(frozen=True, eq=False)
class HistogramSeries:
    """One histogram tag of one run: per step, buckets as a [k, 3] float64
    array of (left edge, right edge, count), sorted by left edge.

    The number of buckets may differ from step to step.
    """

    steps: np.ndarray  # int64, strictly increasing
    wall_times: np.ndarray  # float64
    buckets: Tuple[np.ndarray, ...]  # one [k, 3] float64 array per step
    restarts: int = 0
    sampled: bool = False

    def __len__(self) -> int:
        return int(self.steps.shape[0])

    def fingerprint(self) -> Tuple[int, Optional[int], float]:
        if not len(self):
            return (0, None, 0.0)
        return (len(self), int(self.steps[-1]), float(self.wall_times[-1]))

    @staticmethod
    def normalise_buckets(raw: Any) -> np.ndarray:
        """Any writer's buckets as a clean [k, 3] float64 array.

        TF1-style `histo` summaries read by RustBoard can carry a first bucket
        whose left edge lies right of its right edge; edges are swapped there.
        """
        a = np.asarray(raw, dtype=np.float64)
        if a.size == 0:
            return np.zeros((0, 3), dtype=np.float64)
        a = a.reshape(-1, 3).copy()
        lo = np.minimum(a[:, 0], a[:, 1])
        hi = np.maximum(a[:, 0], a[:, 1])
        a[:, 0], a[:, 1] = lo, hi
        order = np.argsort(a[:, 0], kind="stable")
        return a[order]

    @staticmethod
    def from_points(
        steps: Sequence[int],
        buckets: Sequence[Any],
        wall_times: Optional[Sequence[float]] = None,
        sampled: bool = False,
    ) -> "HistogramSeries":
        s = np.asarray(steps, dtype=np.int64).reshape(-1)
        w = (
            np.arange(s.shape[0], dtype=np.float64)
            if wall_times is None
            else np.asarray(wall_times, dtype=np.float64).reshape(-1)
        )
        b = [HistogramSeries.normalise_buckets(x) for x in buckets]
        if not (s.shape[0] == w.shape[0] == len(b)):
            raise ValueError("steps, wall times and buckets differ in length")
        restarts, unordered = _steps_back(s)
        if unordered:
            order = np.lexsort((np.arange(s.shape[0]), w, s))
            s, w = s[order], w[order]
            b = [b[i] for i in order]
            keep = np.ones(s.shape[0], dtype=bool)
            keep[:-1] = s[1:] != s[:-1]
            s, w = s[keep], w[keep]
            b = [x for x, k in zip(b, keep) if k]
        return HistogramSeries(s, w, tuple(b), restarts=restarts, sampled=sampled)


def _plain(value: Any) -> Any:
    """numpy scalars/arrays and nested containers as JSON-ready Python values.

    Non-finite floats become the strings "NaN", "Infinity", "-Infinity" (see
    `json_float`) so that the JSON is strict (json.loads in any language reads it).
    """
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return json_float(float(value))
    return value


@dataclasses.dataclass
class Finding:
    """The contract every surface speaks (see SPEC.md, "A finding")."""

    run: str
    tag: str
    kind: Kind
    severity: Severity
    start_step: int
    end_step: int
    title: str
    explanation: str
    evidence: Dict[str, Any] = dataclasses.field(default_factory=dict)
    related: List[Dict[str, str]] = dataclasses.field(default_factory=list)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError("unknown finding kind %r" % (self.kind,))
        if self.severity not in SEVERITY_RANK:
            raise ValueError("unknown severity %r" % (self.severity,))
        self.start_step = int(self.start_step)
        self.end_step = int(self.end_step)
        if self.end_step < self.start_step:
            raise ValueError("end_step before start_step")

    def to_json(self) -> Dict[str, Any]:
        return {
            "run": self.run,
            "tag": self.tag,
            "kind": self.kind,
            "severity": self.severity,
            "start_step": self.start_step,
            "end_step": self.end_step,
            "title": self.title,
            "explanation": self.explanation,
            "evidence": _plain(self.evidence),
            "related": [{"run": str(r["run"]), "tag": str(r["tag"])} for r in self.related],
        }

    @staticmethod
    def from_json(obj: Mapping[str, Any]) -> "Finding":
        return Finding(
            run=obj["run"],
            tag=obj["tag"],
            kind=obj["kind"],
            severity=obj["severity"],
            start_step=obj["start_step"],
            end_step=obj["end_step"],
            title=obj["title"],
            explanation=obj["explanation"],
            evidence=dict(obj.get("evidence") or {}),
            related=[dict(r) for r in obj.get("related") or []],
        )

    def sort_key(self) -> Tuple[int, int, str, str, str]:
        """Most serious first, then earliest onset."""
        return (SEVERITY_RANK[self.severity], self.start_step, self.run, self.tag, self.kind)


def at_or_above(severity: str, threshold: str) -> bool:
    """True when `severity` is as serious as `threshold` or more."""
    return SEVERITY_RANK[severity] <= SEVERITY_RANK[threshold]


# --- What a tag is, and series grouped into experiments -------------------


@dataclasses.dataclass(frozen=True)
class TagInfo:
    """What a scalar tag measures, decided from run and tag names.

    `quantity` is a canonical name shared by the train and validation series
    of the same thing ("loss", "accuracy", "auc", ...), so they can be paired.
    `split` is None when neither names tell.  `granularity` is "epoch" for
    per-epoch values, "batch" for per-batch values on a counter of their own (Keras `batch_*`
    are running means that reset every epoch; Lightning's `val_*_step` / `test_*_step` are single
    evaluation batches), "step" otherwise.
    `percent` is True when a fraction-valued metric is logged on a 0-100 scale.
    `purpose` is what the series is for among its experiment's series (None: not judged by it).
    """

    role: Role
    quantity: str
    split: Optional[Split] = None
    granularity: Granularity = "step"
    percent: bool = False
    purpose: Optional[Purpose] = None


@dataclasses.dataclass(frozen=True, eq=False)
class SeriesRef:
    """A scalar series with where it came from and what it is."""

    run: str
    tag: str
    info: TagInfo
    series: ScalarSeries

    def ref(self) -> Dict[str, str]:
        return {"run": self.run, "tag": self.tag}


@dataclasses.dataclass(frozen=True, eq=False)
class HistogramRef:
    run: str
    tag: str
    series: HistogramSeries

    def ref(self) -> Dict[str, str]:
        return {"run": self.run, "tag": self.tag}


@dataclasses.dataclass(frozen=True)
class LayerRole:
    """What a histogram tag (or a per-layer scalar such as a gradient norm)
    holds, decided in `analysis.histogram_roles`.

    `role`: kernel, bias, norm_stat, activations, outputs, gradients,
    gradient_norm or unknown.  `layer` is the layer's path as the tag spells
    it (None when the tag names none); `name` its last component, for
    explanations ("dense_1").
    """

    role: LayerRoleName
    layer: Optional[str] = None
    param: Optional[str] = None

    @property
    def name(self) -> str:
        if not self.layer:
            return "the model"
        return self.layer.split("/")[-1]

    @property
    def is_weight(self) -> bool:
        return self.role in ("kernel", "bias")


UNKNOWN_LAYER_ROLE = LayerRole("unknown")


@dataclasses.dataclass(eq=False)
class Experiment:
    """Runs that belong to one training job (e.g. `exp/train` and
    `exp/validation`, or the extra runs PyTorch's `add_scalars` creates),
    with every scalar and histogram series they hold.
    """

    name: str
    runs: Tuple[str, ...]
    scalars: List[SeriesRef] = dataclasses.field(default_factory=list)
    histograms: List[HistogramRef] = dataclasses.field(default_factory=list)
    # (run, tag) -> what the histogram (or per-layer scalar) holds.
    layer_roles: Dict[Tuple[str, str], LayerRole] = dataclasses.field(default_factory=dict)
    # The last components of where the runs were read from (`LogData.source_names`): a logdir is
    # often named for what its runs train on (SB3's `tensorboard_log="./ppo_lunarlander/"`).
    source: str = ""
    # Runs PyTorch's or tensorboardX's `add_scalars` wrote for keys that name no split (`loss_G`,
    # `loss_D`): each holds one key of one call, so they are parts of one job as much as one run is.
    keyed_runs: FrozenSet[str] = frozenset()

    def layer_role(self, run: str, tag: str) -> LayerRole:
        return self.layer_roles.get((run, tag), UNKNOWN_LAYER_ROLE)

    def find(
        self,
        quantity: Optional[str] = None,
        split: Optional[str] = None,
        role: Optional[str] = None,
        granularity: Optional[str] = None,
    ) -> List[SeriesRef]:
        """Series matching every criterion given (None = any)."""
        out = []
        for s in self.scalars:
            if quantity is not None and s.info.quantity != quantity:
                continue
            if split is not None and s.info.split != split:
                continue
            if role is not None and s.info.role != role:
                continue
            if granularity is not None and s.info.granularity != granularity:
                continue
            out.append(s)
        return out

    def partner(self, ref: SeriesRef) -> Optional[SeriesRef]:
        """The same quantity on the other split (train <-> validation), same granularity.  A test set
        evaluated during a run that logs no validation split of the quantity is that run's held-out curve
        (PyTorch coursework's `add_scalars("loss", {"train": ..., "test": ...})`), paired as one."""
        other = {"train": "validation", "validation": "train", "test": "train"}.get(ref.info.split or "")
        if other is None:
            return None
        if ref.info.split == "test" and self.find(ref.info.quantity, "validation"):
            return None  # beside a validation curve, a test curve is the final check, not the held-out one
        if other == "validation" and not self.find(ref.info.quantity, "validation"):
            other = "test"
        hits = self.find(ref.info.quantity, other, granularity=ref.info.granularity)
        if ref.info.granularity != "batch" and not any(len(s.series) >= 2 for s in hits):
            # Lightning logs `train_loss_epoch` beside `val_loss`: same cadence, other names.  A
            # `train_loss_step` of one point (a run shorter than its logging interval) is no curve to
            # hold a validation curve against when the epoch series has one.
            wider = [s for s in self.find(ref.info.quantity, other) if s.info.granularity != "batch"]
            hits = [s for s in wider if len(s.series) >= 2] or hits or wider
        if not hits and other == "train":
            # `Loss` beside `Loss_val` in one run (Keras history names, NeuralProphet, plain PyTorch
            # loops): the series no split names is the training one.
            # A TF Estimator writes its training summaries in the model directory and its evaluations
            # in `eval/` below it: the unnamed series of the folder a validation run sits in.
            parent = ref.run.rsplit("/", 1)[0] if "/" in ref.run else "."
            unnamed = [
                s
                for s in self.scalars
                if s.run in (ref.run, parent)
                and s.info.quantity == ref.info.quantity
                and s.info.split is None
                and s.info.role == ref.info.role
                and s.info.granularity != "batch"
            ]
            hits = [s for s in unnamed if s.run == ref.run] or unnamed
        # A curve before a single point of the same name (a course template's `Loss/Training/Batch`, one
        # value written once, found before `Train/Loss`): one point is nothing to hold a curve against.
        hits = sorted(hits, key=lambda s: len(s.series) < 2)
        return hits[0] if hits else None

    def loss_for(self, ref: SeriesRef) -> Optional[SeriesRef]:
        """The loss of the same split and granularity as `ref` (for a metric)."""
        hits = [
            s for s in self.find(role="loss", split=ref.info.split, granularity=ref.info.granularity) if s is not ref
        ]
        if not hits and ref.info.granularity != "batch":
            hits = [
                s
                for s in self.find(role="loss", split=ref.info.split)
                if s is not ref and s.info.granularity != "batch"
            ]
        if not hits:
            return None
        # Prefer the plain objective ("loss") over auxiliary losses.
        hits.sort(key=lambda s: (s.info.quantity != "loss", s.tag))
        return hits[0]

    def metrics_for(self, ref: SeriesRef) -> List[SeriesRef]:
        """Higher-is-better metrics of the same split and granularity as `ref` (for a loss)."""
        return self.find(role="metric_up", split=ref.info.split, granularity=ref.info.granularity)


# --- What the analysis is given, and what it says of each run --------------


@dataclasses.dataclass
class LogData:
    """The input of the one analysis (`analysis.pipeline.analyze`): every
    scalar and histogram series of some runs, with what reading them noted.

    `runs` lists every run the source knows, including those holding no
    series; `run_errors` names the runs (or series) that could not be read.
    A subset of a logdir's runs (one experiment, one batch of runs) is as
    valid an input as the whole logdir.
    """

    scalars: Dict[str, Dict[str, ScalarSeries]] = dataclasses.field(default_factory=dict)
    histograms: Dict[str, Dict[str, HistogramSeries]] = dataclasses.field(default_factory=dict)
    notes: List[str] = dataclasses.field(default_factory=list)
    run_errors: Dict[str, str] = dataclasses.field(default_factory=dict)
    runs: List[str] = dataclasses.field(default_factory=list)
    # Hyperparameters per run, as TensorBoard's HParams plugin holds them
    # (the run a session's record was written to; its sub-runs share them).
    hparams: Dict[str, Dict[str, object]] = dataclasses.field(default_factory=dict)
    # Where the runs were read from (a logdir path), when known.
    source: str = ""

    def source_names(self, parts: int = 2) -> str:
        """The last `parts` components of `source` (`ppo_lunarlander_tensorboard`), not the whole path:
        a home or project directory says nothing about these runs."""
        comps = [c for c in self.source.replace("\\", "/").split("/") if c and c != "."]
        return "/".join(comps[-parts:])

    def series_count(self) -> int:
        return sum(len(t) for t in self.scalars.values()) + sum(len(t) for t in self.histograms.values())

    def all_runs(self) -> List[str]:
        """Every run named anywhere in the data, sorted."""
        return sorted(set(self.runs) | set(self.scalars) | set(self.histograms) | set(self.run_errors))

    def nbytes(self) -> int:
        """Memory held by the points, for caches that bound themselves."""
        total = 0
        for tags in self.scalars.values():
            for s in tags.values():
                total += s.steps.nbytes + s.values.nbytes + s.wall_times.nbytes
        for tags in self.histograms.values():
            for h in tags.values():
                total += h.steps.nbytes + h.wall_times.nbytes + sum(b.nbytes for b in h.buckets)
        return total


RUN_STATUSES: Tuple[str, ...] = ("analysed", "empty", "failed")


@dataclasses.dataclass(frozen=True)
class RunStatus:
    """What the analysis could do with one run.

    `failed` with a `reason` when some of its data could not be read or its
    experiment's analysis failed (the series that could be read are still
    analysed); `empty` when it holds no scalar or histogram points.
    """

    run: str
    status: str  # one of RUN_STATUSES
    reason: Optional[str]
    sampled: bool
    scalar_series: int
    histogram_series: int
