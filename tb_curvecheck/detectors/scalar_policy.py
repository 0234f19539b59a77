"""A policy-gradient agent's own diagnostics: a policy that never moved (`never_learned`), and one whose
entropy collapsed before its return improved (`no_progress`).

PPO logs how far each update moved the policy: `approx_kl`, the KL divergence between the policy
before and after the update, and `clip_fraction`, the share of samples whose probability ratio hit
the clip.  Updates that learn move a policy by about a hundredth of a nat and clip some samples; a
run whose every update stayed a thousand times smaller, with nothing ever clipped, ends with the
policy it started with, whatever its return or losses do (an agent at a learning rate of 1e-6 whose
entropy stays at ln 7, a uniform choice among seven actions).  It needs no return: some runs log
none.

A policy's entropy says how random its choice of action still is: it starts at about ln A (a uniform
choice among A actions) and falls as the agent settles on what pays.  One that falls to almost nothing in
the first updates, while the return has not improved, leaves an agent that repeats one behaviour and no
longer explores: it will not find a reward it has not found already."""

from __future__ import annotations

import dataclasses
import math
import re
from typing import List, Optional, Tuple

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import environments
from . import stats as U
from .base import Detector
from .wording import capital, fmt, make_finding, short

# SB3's `train/approx_kl`, CleanRL's `losses/approx_kl` (not its `old_approx_kl`), `approxkl`.
_KL = re.compile(r"(^|[/_.])approx_?kl$", re.I)
_CLIP = re.compile(r"(^|[/_.])clip_?frac(tion)?$", re.I)
# SB3's `train/entropy_loss` (minus the entropy), `entropy`, `policy_entropy`.
_ENTROPY = re.compile(r"(^|[/_.])(entropy_loss|entropy)$", re.I)


@dataclasses.dataclass(frozen=True, eq=False)
class FrozenPolicyEvent:
    ref: SeriesRef
    view: U.View
    kl_max: float  # the largest |approx_kl| of the run
    updates: int
    clip: Optional[SeriesRef]  # clip_fraction, zero at every update, when logged
    entropy: Optional[SeriesRef]  # an entropy held at ln A, when logged
    actions: Optional[int]  # that A
    kl_cap: float = 1e-3  # the cap its largest KL was judged against


@dataclasses.dataclass(frozen=True)
class FrozenPolicy(Detector[FrozenPolicyEvent]):
    name = "frozen_policy"
    kinds = ("never_learned",)

    # Enough updates that "never" means something: a run stopped after a few is too short to judge.
    min_updates: int = 10
    # The largest per-update KL of the whole run stays under this: PPO's updates move a policy by
    # about 0.01 nat (the target_kl people set is 0.01-0.03); every healthy PPO run of the real-world
    # corpus's tuned part reaches 0.005 at some update, and policies at a learning rate of 1e-6 never
    # pass 2e-4.
    max_kl: float = 1e-3
    # ... or under this, half the 0.005 every healthy run reaches, when an entropy held at ln A from the
    # first update to the last says the policy is still the uniform one it started as: that second
    # witness lets one larger update pass (an SB3 agent under an unscaled reward, value loss ~1e6, whose
    # first update moved 0.0014 and every later one under 7e-4, entropy at ln 6 throughout).
    uniform_max_kl: float = 2.5e-3
    # An entropy "at ln A": within this share of ln A for a whole number of actions A up to
    # `max_actions`, at both ends of the run (float32 keeps far more digits than this).
    entropy_rtol: float = 0.005
    max_actions: int = 64

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[FrozenPolicyEvent]:
        if not _KL.search(ref.tag) or "old_" in ref.tag.lower():
            return []
        _, v = U.finite_points(ref)
        if v.shape[0] < self.min_updates:
            return []
        own = [s for s in exp.scalars if s.run == ref.run and s is not ref]
        entropy, actions = self._uniform(own)
        cap = self.uniform_max_kl if entropy is not None else self.max_kl
        if float(np.max(np.abs(v))) >= cap:
            return []
        clip = next((s for s in own if _CLIP.search(s.tag)), None)
        if clip is not None:
            _, c = U.finite_points(clip)
            if c.size == 0 or bool(np.any(c != 0.0)):
                return []  # samples were clipped: some update moved the policy far
        if any(U.gained(s) for s in exp.scalars if s.info.purpose == "task" and s.info.role == "other"):
            return []  # a return that climbed says the policy did change
        view = U.view_of(ref, smooth=False)
        return [FrozenPolicyEvent(ref, view, float(np.max(np.abs(v))), int(v.shape[0]), clip, entropy, actions, cap)]

    def _uniform(self, series: List[SeriesRef]):
        """An entropy series held at ln A at both ends of the run: a uniform choice among A actions."""
        for s in series:
            if not _ENTROPY.search(s.tag):
                continue
            _, h = U.finite_points(s)
            if h.shape[0] < 2:
                continue
            first, last = abs(float(h[0])), abs(float(h[-1]))
            a = int(round(math.exp(first))) if 0 < first < math.log(self.max_actions) + 1 else 0
            if a < 2 or a > self.max_actions:
                continue
            ln_a = math.log(a)
            if abs(first - ln_a) <= self.entropy_rtol * ln_a and abs(last - ln_a) <= self.entropy_rtol * ln_a:
                return s, a
        return None, None

    def describe(self, e: FrozenPolicyEvent) -> Finding:
        view = e.view
        name = short(e.ref)
        title = "The policy never moved: %s at most %s over %d updates" % (name, fmt(e.kl_max), e.updates)
        if e.clip is not None:
            title += ", %s 0 at every one" % short(e.clip)
        parts = [
            "%s measures how far each update moved the policy (the KL divergence between the policy before "
            "and after it). Updates that learn move it by about 0.01 and clip some of the samples; in this run "
            "the largest of %d updates was %s" % (capital(name), e.updates, fmt(e.kl_max))
        ]
        if e.clip is not None:
            parts.append(" and %s was 0 at every update: no sample ever reached the clip" % short(e.clip))
        parts.append(". The policy ended where it started, so the agent has learned nothing, whatever its losses do")
        if e.entropy is not None and e.actions:
            parts.append(
                "; %s stayed at ln %d = %.4f from the first update to the last: a uniform choice among %d "
                "actions, the untrained policy" % (short(e.entropy), e.actions, math.log(e.actions), e.actions)
            )
        parts.append(
            ". The usual causes: a learning rate far too small for this optimiser (1e-6 moves nothing), advantages "
            "near zero (a reward that is constant, or so large and unnormalised that the value loss swamps "
            "the policy's gradient), or a policy network the gradient does not reach (detached log-probs, "
            "frozen parameters). Check the learning rate and the reward's scale first; the policy's KL per "
            "update should reach about 0.01."
        )
        evidence = {
            "how": "frozen_policy",
            "max_approx_kl": e.kl_max,
            "updates": e.updates,
            "max_approx_kl_threshold": e.kl_cap,
            "clip_fraction_tag": e.clip.tag if e.clip is not None else None,
            "uniform_actions": e.actions,
        }
        related = [s for s in (e.clip, e.entropy) if s is not None]
        return make_finding(
            e.ref, "never_learned", "warning", view, 0, len(view) - 1, title, "".join(parts), evidence, related=related
        )


@dataclasses.dataclass(frozen=True, eq=False)
class CollapsedPolicyEvent:
    ref: SeriesRef  # the return that did not improve
    view: U.View
    entropy: SeriesRef
    opening: float  # the entropy's opening level (nats, sign dropped: SB3 logs minus the entropy)
    collapsed_step: int  # where its running level first reached `collapse_share` of the opening
    collapsed_share: float  # how far into the run that was
    held: float  # share of the later entropy points within `held_share` of zero


@dataclasses.dataclass(frozen=True)
class CollapsedPolicy(Detector[CollapsedPolicyEvent]):
    name = "collapsed_policy"
    kinds = ("no_progress",)

    # Enough entropy points for "the first fifth" to be several updates, and returns to judge a gain on.
    min_entropy_points: int = 20
    min_return_points: int = 10
    # An opening entropy worth collapsing from: two actions chosen uniformly hold ln 2 = 0.69 nats.
    min_opening: float = 0.3
    # Collapsed: the entropy's running level (median over a twentieth of the run) down to this share of
    # its opening, a policy that picks one action almost always (none of the 103 healthy agents of the
    # corpus and blind batches that log an entropy beside a return falls this far this early) ...
    collapse_share: float = 0.05
    # ... within this share of the run ...
    collapse_within: float = 0.2
    # ... and most of what follows stays near zero (a tenth of the opening): no exploration came back.
    held_share: float = 0.1
    held_points: float = 0.8

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[CollapsedPolicyEvent]:
        if not (ref.info.purpose == "task" and ref.info.role == "other" and environments.is_episode_return(ref.tag)):
            return []
        if not U.reinforcement_learning(exp):
            return []
        _, r = U.finite_points(ref)
        if r.shape[0] < self.min_return_points or U.gained(ref) or U.climbed_in_opening(r):
            return []
        if U.another_task_gained(exp, ref):
            return []  # another return of the run improved: the agent did learn something
        for s in exp.scalars:
            if s.run != ref.run or not _ENTROPY.search(s.tag):
                continue
            found = self._collapse(s)
            if found is not None:
                step, share, opening, held = found
                view = U.view_of(ref, smooth=False)
                return [CollapsedPolicyEvent(ref, view, s, opening, step, share, held)]
        return []

    def _collapse(self, s: SeriesRef) -> Optional[Tuple[int, float, float, float]]:
        steps, h = U.finite_points(s)
        n = h.shape[0]
        if n < self.min_entropy_points:
            return None
        # A discrete policy's entropy keeps one sign (SB3 logs it negated); a Gaussian policy's crosses
        # zero as its standard deviation shrinks, and a level near zero says nothing there.
        if np.any(h > 0.0) and np.any(h < 0.0):
            return None
        a = np.abs(h)
        opening = float(np.median(a[:3]))
        if opening < self.min_opening:
            return None
        floor = self.collapse_share * opening
        # The first point down there whose running level is too: one low update is no collapse.
        level = U.running_median(a, max(3, n // 20) | 1)
        low = np.flatnonzero((level <= floor) & (a <= floor))
        if low.size == 0 or low[0] >= self.collapse_within * n:
            return None
        i = int(low[0])
        held = float(np.mean(a[i:] <= self.held_share * opening))
        if held < self.held_points:
            return None
        return int(steps[i]), i / n, opening, held

    def describe(self, e: CollapsedPolicyEvent) -> Finding:
        view = e.view
        v = view.values
        name = e.ref.tag
        ent = short(e.entropy)
        _, h = U.finite_points(e.entropy)
        pct = round(100 * e.collapsed_share)
        when = "in the first 1 % of the run" if pct < 1 else "%d %% into the run" % pct
        title = "%s did not improve after the policy's entropy collapsed: %s %s → %s by step %d, %s" % (
            name,
            ent,
            fmt(float(h[0])),
            fmt(float(h[-1])),
            e.collapsed_step,
            when,
        )
        expl = (
            "A policy's entropy measures how random its choice of action still is: it starts near ln A for A "
            "actions and should fall gradually, as the agent learns what pays. %s fell to %d %% of its opening "
            "level by step %d, %s, and stayed near zero: the policy turned almost deterministic before it had "
            "found anything better than where it started (%s %s → %s). With nothing random left to try, the agent "
            "repeats one behaviour and cannot discover a reward it has not already met. Typical causes: no entropy "
            "bonus (Stable-Baselines3's PPO and A2C default to ent_coef = 0), a learning rate large enough that a "
            "few updates make the policy greedy, or rewards so large that the bonus is negligible beside them. "
            "Raise the entropy coefficient (0.01 is common), lower the learning rate or normalise the rewards, "
            "and check that the entropy now falls gradually."
            % (
                capital(ent),
                round(100 * self.collapse_share),
                e.collapsed_step,
                when,
                name,
                fmt(float(v[0])),
                fmt(float(v[-1])),
            )
        )
        evidence = {
            "how": "entropy_collapsed",
            "entropy_tag": e.entropy.tag,
            "entropy_opening": e.opening,
            "collapsed_step": e.collapsed_step,
            "collapsed_run_share": e.collapsed_share,
            "collapse_share": self.collapse_share,
            "held_near_zero_share": e.held,
        }
        return make_finding(
            e.ref, "no_progress", "warning", view, 0, len(view) - 1, title, expl, evidence, related=[e.entropy]
        )
