"""`stuck_metric` read from an actor-critic agent's own diagnostic: a value function that never explained
anything.

Actor-critic libraries log how much of the returns' variance the value function predicts:
`explained_variance` = 1 - Var(returns - values) / Var(returns) (SB3's `train/explained_variance`,
CleanRL's `losses/explained_variance`).  A critic that learns climbs from about 0 towards 1 within the
first updates; one that stays at 0 update after update predicts a constant, so every advantage is the raw
return minus that constant and the policy gradient is as noisy as REINFORCE without a baseline.  A value
that far off usually has one of a few causes, and the curve of returns alone does not show any of them.
"""

from __future__ import annotations

import dataclasses
import re
from typing import List, Optional

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import environments
from . import stats as U
from .base import Detector
from .wording import capital, fmt, make_finding, short

_EXPLAINED = re.compile(r"(^|[/_.])explained_?var(iance)?$", re.I)
# SB3's `train/value_loss`, CleanRL's `losses/value_loss`, `vf_loss`.
_VALUE_LOSS = re.compile(r"(^|[/_.])(value_loss|vf_loss)$", re.I)


def _is_return(ref: SeriesRef) -> bool:
    """An episode's return (`rollout/ep_rew_mean`), not its length (`rollout/ep_len_mean`, whose `ep` the
    looser `environments.is_episode_return` also reads)."""
    return environments.is_episode_return(ref.tag) and not U.EPISODE_LENGTH.search(ref.tag)


@dataclasses.dataclass(frozen=True, eq=False)
class BlindCriticEvent:
    ref: SeriesRef
    view: U.View
    judged_from: int  # index of the first update judged (after the opening)
    share: float  # share of the judged updates within `zero_band` of 0
    largest: float  # the largest |explained variance| among them
    updates: int  # judged updates
    value_loss: Optional[SeriesRef]
    learned: Optional[SeriesRef]  # a return of the run that gained all the same


@dataclasses.dataclass(frozen=True)
class BlindCritic(Detector[BlindCriticEvent]):
    name = "blind_critic"
    kinds = ("stuck_metric",)

    # Enough updates that "never" means something (a run stopped after a few is too short to judge).
    min_updates: int = 10
    # The opening share of updates is left out: a fresh critic starts near 0 by construction.
    opening_share: float = 0.2
    # "Explains nothing": within this of 0.  A critic that predicts anything about the returns explains a
    # percent or more; a constant prediction reads 0 to float32 rounding (1e-7 .. 1e-4).
    zero_band: float = 1e-3
    # At least this share of the judged updates in that band.  Measured before it was written: of 60
    # healthy agents logging it (corpus and stop 63's blind batches), the most that sat in the band was
    # half of its updates, the next a fifth; the seven pathology runs that sat there did so at 0.89-1.0.
    min_share: float = 0.9

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[BlindCriticEvent]:
        if not _EXPLAINED.search(ref.tag):
            return []
        own = [s for s in exp.scalars if s.run == ref.run and s is not ref]
        # Only an agent's explained variance is a critic's: a regressor's `explained_variance` score near 0
        # is a model that predicts the mean, which the loss and metric detectors tell in its own words.
        if not any(_VALUE_LOSS.search(s.tag) or environments.is_episode_return(s.tag) for s in own):
            return []
        # NaN marks a rollout whose returns did not vary (SB3 writes it then): no verdict on the critic.
        view = U.view_of(ref, smooth=False)
        finite = np.isfinite(view.values)
        idx = np.flatnonzero(finite)
        if idx.shape[0] < self.min_updates:
            return []
        start = int(np.ceil(self.opening_share * idx.shape[0]))
        judged = view.values[idx[start:]]
        near = np.abs(judged) <= self.zero_band
        share = float(np.mean(near))
        if share < self.min_share:
            return []
        loss = next((s for s in own if _VALUE_LOSS.search(s.tag)), None)
        learned = next((s for s in own if _is_return(s) and U.gained(s)), None)
        return [
            BlindCriticEvent(
                ref, view, int(idx[start]), share, float(np.max(np.abs(judged))), int(judged.shape[0]), loss, learned
            )
        ]

    def describe(self, e: BlindCriticEvent) -> Finding:
        view = e.view
        name = short(e.ref)
        title = "The value function never explained the returns: %s within ±%s of 0 at %d%% of %d updates" % (
            name,
            fmt(self.zero_band),
            int(round(100 * e.share)),
            e.updates,
        )
        gain = ""
        if e.learned is not None:
            _, rv = U.finite_points(e.learned)
            title += "; %s rose all the same" % short(e.learned)
            gain = (
                " Here %s rose all the same (%s at the first summary, %s at the last): the agent learns "
                "without a baseline, which costs samples and stability, and a normalised reward would "
                "likely learn faster and steadier." % (short(e.learned), fmt(float(rv[0])), fmt(float(rv[-1])))
            )
        scale = ""
        if e.value_loss is not None:
            _, lv = U.finite_points(e.value_loss)
            if lv.size:
                scale = " (%s reached %s, closing at %s)" % (
                    short(e.value_loss),
                    fmt(float(np.max(lv))),
                    fmt(float(lv[-1])),
                )
        expl = (
            "%s is the share of the returns' variance the critic predicts. A critic that learns climbs "
            "towards 1 within its first updates; this one stayed at 0 from step %d to step %d, so it "
            "predicts a constant and every advantage is the raw return minus that constant: the policy learns, "
            "if at all, from a gradient as noisy as having no baseline. The usual causes: returns on a scale "
            "the value head cannot reach%s, which reward normalisation fixes (SB3's VecNormalize with "
            "norm_reward=True, or a scaled reward); a value loss that does not train the critic (a value "
            "coefficient of 0, a value head left out of the optimiser or detached); or observations that do "
            "not say what the return depends on. Check the reward's scale first.%s"
            % (capital(name), int(view.steps[e.judged_from]), int(view.end_steps[-1]), scale, gain)
        )
        evidence = {
            "how": "blind_critic",
            "share_near_zero": e.share,
            "zero_band": self.zero_band,
            "largest_judged": e.largest,
            "updates": e.updates,
            "value_loss_tag": e.value_loss.tag if e.value_loss is not None else None,
            "return_learned_tag": e.learned.tag if e.learned is not None else None,
        }
        related = [s for s in (e.value_loss, e.learned) if s is not None]
        # Still a warning beside a return that climbed: labellers split on those runs (five SB3 agents on
        # unscaled rewards called healthy, four called this very pathology), and what the critic fails
        # to do is true either way; the finding says the return rose, so the reader can weigh it.
        return make_finding(
            e.ref,
            "stuck_metric",
            "warning",
            view,
            e.judged_from,
            len(view) - 1,
            title,
            expl,
            evidence,
            related=related,
        )
