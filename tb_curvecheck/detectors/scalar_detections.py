"""`never_learned` told from an object detector's mAP at IoU 0.5: never above a twentieth over a run.

mAP@0.5 is the area under the precision-recall curve of boxes that overlap an object by half: a detector
that finds a fair share of its objects scores tenths within a few epochs, and the slowest healthy runs of
the corpus (acne lesions, vehicles in fog) stand at 0.15-0.45 by their tenth evaluation.  Boxes scattered
at random score close to 0 however many are drawn; a recall near 1 beside it (every image covered in
boxes) says nothing.  A best of a few hundredths after ten or more evaluations is a detector that never
learned what its objects look like: most often labels that do not reach the trainer."""

from __future__ import annotations

import dataclasses
import re
from typing import List

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import stats as U
from .base import Detector
from .wording import fmt, make_finding

# mAP or AP at IoU 0.5 as detection frameworks write it: `metrics/mAP_0.5`, `metrics/mAP50(B)`, `AP50`,
# `mAP@0.5`, YOLOX's `val/COCOAP50` (the 0.5:0.95 average, `mAP50-95`, `COCOAP50_95`, a few times lower
# for the same detector, is not judged here; nor is YOLOv5's `mAP_0.5:0.95` as tensorboardX writes it,
# `mAP_0.5_0.95`, the colon made an underscore).
AP_AT_HALF = re.compile(r"(^|[^a-z]|coco)m?ap[_@]?(0?\.50?|50)(?![0-9:.-]|_9|_0?\.9)")


@dataclasses.dataclass(frozen=True, eq=False)
class NoDetectionsEvent:
    ref: SeriesRef
    view: U.View
    best_i: int


@dataclasses.dataclass(frozen=True)
class NoDetections(Detector[NoDetectionsEvent]):
    """A detector whose mAP@0.5 never reached `max_best` in at least `min_points` evaluations."""

    name = "no_detections"
    kinds = ("never_learned",)

    # Ten evaluations: by then a detector that learns has left the first epochs' zeros far behind (the
    # slowest healthy run of the corpus stood at 0.156 at its tenth).
    min_points: int = 10
    # A twentieth: a third of that slowest healthy run's level, and far above what scattered boxes score.
    max_best: float = 0.05
    # A score never above this scored nothing, which `NeverLearned`'s zero story tells (its `zero_score`:
    # an mAP of 1e-6-1e-5 integrates low-confidence boxes of a detector that finds nothing).
    zero_score: float = 1e-3

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[NoDetectionsEvent]:
        # `roles` has named it an mAP; the tag says at which IoU.
        if ref.info.quantity != "map" or ref.info.role != "metric_up" or ref.info.purpose != "task":
            return []
        if ref.info.percent or not AP_AT_HALF.search(ref.tag.lower()):
            return []
        view = U.view_of(ref, smooth=False)
        v = view.values
        if v.shape[0] < self.min_points or not U.is_fraction(v) or float(np.max(v)) >= self.max_best:
            return []
        if not np.any(v > self.zero_score):
            return []
        return [NoDetectionsEvent(ref, view, int(np.argmax(v)))]

    def describe(self, e: NoDetectionsEvent) -> Finding:
        view, n, v = e.view, len(e.view), e.view.values
        best_step = int(view.end_steps[e.best_i])
        title = "%s never reached %s in %d evaluations (best %s at step %d): the detector never learned its objects" % (
            e.ref.tag,
            fmt(self.max_best),
            n,
            fmt(float(v[e.best_i])),
            best_step,
        )
        expl = (
            "%s, the mean average precision of boxes that overlap an object by half, stayed under %s at every "
            "one of %d evaluations (best %s at step %d, %s at the end). A detector that learns anything scores "
            "tenths within a few epochs; boxes drawn almost at random score this. Usual causes: labels that do "
            "not reach the trainer (label files missing or in the wrong folder, so images train as empty; box "
            "coordinates not normalised to 0-1, or in another box format), class ids that do not match the "
            "configured classes, or a learning rate far too high for the model. Look at the training batches "
            "with their boxes drawn (Ultralytics saves them as train_batch*.jpg), check the label count the "
            "trainer reports for the training and validation sets, and that the validation images have labels."
        ) % (e.ref.tag, fmt(self.max_best), n, fmt(float(v[e.best_i])), best_step, fmt(float(v[-1])))
        evidence = {"how": "no_detections", "best_value": float(v[e.best_i]), "best_step": best_step, "evaluations": n}
        return make_finding(e.ref, "never_learned", "warning", view, 0, n - 1, title, expl, evidence)
