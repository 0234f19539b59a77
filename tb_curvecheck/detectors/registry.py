"""Every detector, in the order they run, and the one loop that runs them.

To add a kind: write a detector class (see `base.py` and docs/internals.md),
add its kind to `model.py`'s `ScalarKind`/`HistogramKind`, and list an instance of the class
here.  `DetectorSet.with_params` builds the same detectors with other
thresholds (the detection benchmark's `--param`).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Mapping, Tuple

from ..model import Experiment, Finding
from .base import Detector, ExperimentTargets, HistogramTarget, with_param
from .histogram_activations import CollapsedOutputs, DeadUnits, SaturatedOutputs
from .histogram_gradients import GradientDepth, GradientHistograms, GradientNorms
from .histogram_stats import summarize
from .histogram_weights import ExplodingWeights, FrozenWeights
from .non_finite import NonFinite
from .scalar_adversarial import IdleDiscriminator, WinningDiscriminator
from .scalar_blowup import UnrecoveredBlowup
from .scalar_critic import BlindCritic
from .scalar_decline import MetricDecline
from .scalar_detections import NoDetections
from .scalar_episodes import EpisodesAtLimit
from .scalar_excursion import LongBlowup
from .scalar_foreground import BackgroundOnly
from .scalar_level import LossDivergence, MetricDrops, RewardCollapse
from .scalar_margin import LowMargin
from .scalar_never import NeverLearned
from .scalar_oscillation import Oscillation
from .scalar_pinned import PinnedLoss
from .scalar_policy import CollapsedPolicy, FrozenPolicy
from .scalar_runaway import RunawayLoss
from .scalar_saturation import SaturatedLoss
from .scalar_softmax import DoubleSoftmax
from .scalar_spikes import LossSpikes
from .scalar_stuck import StuckMetric
from .scalar_trend import NoProgress, Overfitting

# Every detector at its default thresholds (frozen dataclasses, so one instance serves every set).
# The order is the order of the findings before ranking (a stable sort keeps it among equals).
DETECTORS: Tuple[Detector, ...] = (
    # Scalar detectors judge only the series whose role they understand; tags with role
    # unknown/other/learning_rate reach none of them but non_finite.
    NonFinite(),
    # Hands over no_progress's judgement of a training side (detectors do not import one another).
    LossDivergence(stall=NoProgress()),
    UnrecoveredBlowup(),
    RunawayLoss(),
    LongBlowup(),
    MetricDrops(),
    # Hands over MetricDrops' judgement, so a sharp collapse is not told again as a slide.
    MetricDecline(drops=MetricDrops()),
    RewardCollapse(),
    StuckMetric(),
    SaturatedLoss(),
    DoubleSoftmax(),
    PinnedLoss(),
    Oscillation(),
    LossSpikes(),
    Overfitting(),
    NoProgress(),
    LowMargin(softmax=DoubleSoftmax()),
    NeverLearned(stall=NoProgress()),
    BackgroundOnly(),
    NoDetections(),
    IdleDiscriminator(),
    WinningDiscriminator(),
    FrozenPolicy(),
    CollapsedPolicy(),
    BlindCritic(),
    EpisodesAtLimit(),
    # Histogram symptoms, at severity info: `analysis.histogram_stories` tells them with the curves.
    ExplodingWeights(),
    FrozenWeights(),
    DeadUnits(),
    SaturatedOutputs(),
    CollapsedOutputs(),
    GradientHistograms(),
    GradientNorms(),
    GradientDepth(),
)


@dataclasses.dataclass(frozen=True)
class DetectorSet:
    """Configured detectors; `DetectorSet()` has every detector at its default thresholds."""

    detectors: Tuple[Detector, ...] = DETECTORS

    def __post_init__(self) -> None:
        names = [d.name for d in self.detectors]
        if len(set(names)) != len(names):
            raise ValueError("two detectors share a name: %s" % names)

    def __getitem__(self, name: str) -> Detector:
        for d in self.detectors:
            if d.name == name:
                return d
        raise KeyError(name)

    def with_params(self, params: Mapping[str, Any]) -> "DetectorSet":
        """The same detectors with parameters `{"<detector>.<field>[.<field>]": value}` changed,
        e.g. `{"saturated_loss.min_error": 0.03, "metric_drops.drops.noise_k": 4}`."""
        out = list(self.detectors)
        known = [d.name for d in out]
        for key, value in params.items():
            name, _, path = key.partition(".")
            if name not in known or not path:
                raise ValueError("unknown detector parameter %r (detectors: %s)" % (key, ", ".join(known)))
            i = known.index(name)
            out[i] = with_param(out[i], path, value)
        return DetectorSet(tuple(out))

    def params(self) -> Dict[str, Any]:
        """Every parameter of every detector as `{"<detector>.<field>": value}`."""
        return {"%s.%s" % (d.name, k): v for d in self.detectors for k, v in d.params().items()}

    def of(self, target: str) -> List[Detector]:
        return [d for d in self.detectors if d.target == target]

    def detect_scalars(self, experiment: Experiment) -> List[Finding]:
        """Every scalar detector on every scalar series, ranked."""
        detectors = self.of("scalar")
        findings: List[Finding] = []
        for ref in experiment.scalars:
            for d in detectors:
                findings.extend(d.detect(experiment, ref))
        findings.sort(key=Finding.sort_key)
        return findings

    def detect_histograms(self, experiment: Experiment) -> List[Finding]:
        """Every histogram symptom (at severity info), before any story is told."""
        found: List[Finding] = []
        targets: List[HistogramTarget] = []
        per_histogram = self.of("histogram")
        for ref in experiment.histograms:
            if not len(ref.series):
                continue
            role = experiment.layer_role(ref.run, ref.tag)
            readers = [d for d in per_histogram if role.role in d.layer_roles]
            if not readers:
                continue
            target = HistogramTarget(ref, role, summarize(ref.series))
            targets.append(target)
            for d in readers:
                found.extend(d.detect(experiment, target))
        layer_scalars = []
        per_layer_scalar = self.of("layer_scalar")
        for sref in experiment.scalars:
            role = experiment.layer_role(sref.run, sref.tag)
            readers = [d for d in per_layer_scalar if role.role in d.layer_roles]
            if not readers or not len(sref.series):
                continue
            layer_scalars.append((sref, role))
            for d in readers:
                found.extend(d.detect(experiment, sref))
        context = ExperimentTargets(targets, layer_scalars)
        for d in self.of("experiment"):
            found.extend(d.detect(experiment, context))
        return found


DEFAULT = DetectorSet()


def detect_scalars(experiment: Experiment) -> List[Finding]:
    """Every scalar kind at the default thresholds."""
    return DEFAULT.detect_scalars(experiment)


def detect_histograms(experiment: Experiment) -> List[Finding]:
    """Every histogram symptom at the default thresholds."""
    return DEFAULT.detect_histograms(experiment)
