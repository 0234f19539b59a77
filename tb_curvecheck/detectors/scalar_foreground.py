"""`never_learned` told from a two-stage detector's box head: its foreground accuracy (Detectron2's
`fast_rcnn/fg_cls_accuracy`) exactly 0 at every summary.

The box head classifies a few hundred sampled proposals per image, most of them background.  Its
overall accuracy (`fast_rcnn/cls_accuracy`) climbs to the background share within a few dozen
iterations by calling everything background, so that curve and the falling total loss look like
training.  The foreground accuracy is the share of proposals on an object that got the object's class:
a head that learns anything gets some of them right early.  One that scores exactly 0 from the first
summary to the last never classified one object, and the trained model detects nothing."""

from __future__ import annotations

import dataclasses
import re
from typing import List, Optional, Tuple

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import stats as U
from .base import Detector
from .wording import fmt, make_finding

# Foreground accuracy as detection frameworks name it: `fg_cls_accuracy`, `foreground_accuracy`.
FOREGROUND_ACCURACY = re.compile(r"(^|[^a-z])(fg|foreground)_?(cls_?)?acc(uracy)?([^a-z]|$)")
# The head's accuracy over every sampled proposal, background included.
OVERALL_ACCURACY = re.compile(r"(^|[^a-z])cls_?acc(uracy)?([^a-z]|$)")
# How many proposals of each kind the head sampled (Detectron2's `roi_head/num_fg_samples`).
FG_SAMPLES = re.compile(r"num_fg_samples$")
BG_SAMPLES = re.compile(r"num_bg_samples$")


@dataclasses.dataclass(frozen=True, eq=False)
class BackgroundEvent:
    ref: SeriesRef
    view: U.View
    overall: Optional[Tuple[SeriesRef, float]]  # the head's overall accuracy and its closing level
    background_share: Optional[float]  # background proposals' share of those sampled, when logged
    warmup_lr: Optional[Tuple[SeriesRef, float, float]]  # a learning rate still rising at the end


@dataclasses.dataclass(frozen=True)
class BackgroundOnly(Detector[BackgroundEvent]):
    """A box head whose foreground accuracy is exactly 0 at every summary: it calls every proposal
    background."""

    name = "background_only"
    kinds = ("never_learned",)

    # Detectron2 writes a summary every 20 iterations, so 10 span 200.  A fine-tune classifies its first
    # objects within its first hundred iterations: the healthy Detectron2 runs of the corpus score 0 at
    # no more than their first 8 summaries (160 iterations), then climb to 0.9 and above.
    min_points: int = 10
    # A learning rate still warming up at the last summary rose at least this factor over the run.
    warmup_factor: float = 5.0

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[BackgroundEvent]:
        if ref.info.quantity != "accuracy" or ref.info.role != "metric_up":
            return []
        if not FOREGROUND_ACCURACY.search(ref.tag.lower()):
            return []
        view = U.view_of(ref, smooth=False)
        v = view.values
        if v.shape[0] < self.min_points or np.any(v != 0.0):
            return []
        same_run = [s for s in exp.scalars if s.run == ref.run and s is not ref]
        overall = None
        for s in same_run:
            t = s.tag.lower()
            if OVERALL_ACCURACY.search(t) and not FOREGROUND_ACCURACY.search(t):
                _, sv = U.finite_points(s)
                if sv.shape[0]:
                    overall = (s, U.end_medians(sv, 3)[1])
                break
        return [BackgroundEvent(ref, view, overall, self._background_share(same_run), self._warming_up(same_run))]

    @staticmethod
    def _background_share(series: List[SeriesRef]) -> Optional[float]:
        fg = [s for s in series if FG_SAMPLES.search(s.tag)]
        bg = [s for s in series if BG_SAMPLES.search(s.tag)]
        if not fg or not bg:
            return None
        f, b = float(np.median(U.finite_points(fg[0])[1])), float(np.median(U.finite_points(bg[0])[1]))
        return b / (f + b) if f + b > 0 else None

    def _warming_up(self, series: List[SeriesRef]) -> Optional[Tuple[SeriesRef, float, float]]:
        """A learning rate that never fell and ends `warmup_factor` above its first value, still rising at
        its last summary: the whole run was the warm-up (Detectron2's WARMUP_ITERS at or past MAX_ITER)."""
        for s in series:
            if s.info.role != "learning_rate":
                continue
            _, lr = U.finite_points(s)
            if lr.shape[0] < 3 or lr[0] <= 0:
                continue
            if np.all(np.diff(lr) >= 0) and lr[-1] > lr[-2] and lr[-1] >= self.warmup_factor * lr[0]:
                return s, float(lr[0]), float(lr[-1])
        return None

    def describe(self, e: BackgroundEvent) -> Finding:
        view, n = e.view, len(e.view)
        first, last = int(view.steps[0]), int(view.end_steps[-1])
        title = "%s is 0 at all %d summaries (steps %d-%d): the box head never classified an object" % (
            e.ref.tag,
            n,
            first,
            last,
        )
        parts = [
            "%s, the share of proposals on an object that the box head gave the object's class, was exactly 0 "
            "at every one of %d summaries from step %d to step %d: not one object was recognised."
            % (e.ref.tag, n, first, last)
        ]
        if e.overall is not None:
            s, level = e.overall
            share = (
                ", the share of background among the proposals it sampled (%s)" % fmt(e.background_share)
                if e.background_share is not None
                else ", about the share of background among the proposals it samples"
            )
            parts.append(
                "%s still ends at %s%s: the head calls every proposal background, which is right for most "
                "of them and teaches it nothing about the objects." % (s.tag, fmt(level), share)
            )
        if e.warmup_lr is not None:
            s, lo, hi = e.warmup_lr
            parts.append(
                "%s rose from %s to %s and was still rising at the last summary: the whole run was the "
                "learning-rate warm-up, and the model never trained at its full rate (in Detectron2, "
                "SOLVER.WARMUP_ITERS at or beyond SOLVER.MAX_ITER)." % (s.tag, fmt(lo), fmt(hi))
            )
        parts.append(
            "Usual causes: the number of classes configured for the head (ROI_HEADS.NUM_CLASSES) does not "
            "match the dataset's categories, or the category ids are not numbered 0 to N-1; boxes read in "
            "the wrong format (XYWH taken as XYXY) so that few proposals overlap an object; annotations "
            "lost when the dataset was registered; or a run too short for its warm-up. Draw a few "
            "registered training images with their annotations, check the class count, and train past "
            "the warm-up."
        )
        evidence = {"how": "background_only", "summaries": n}
        if e.overall is not None:
            evidence["overall_accuracy"] = {"tag": e.overall[0].tag, "final": e.overall[1]}
        if e.background_share is not None:
            evidence["background_share"] = e.background_share
        if e.warmup_lr is not None:
            evidence["warmup_lr"] = {"tag": e.warmup_lr[0].tag, "first": e.warmup_lr[1], "last": e.warmup_lr[2]}
        related = [e.overall[0]] if e.overall is not None else []
        return make_finding(
            e.ref, "never_learned", "warning", view, 0, n - 1, title, " ".join(parts), evidence, related
        )
