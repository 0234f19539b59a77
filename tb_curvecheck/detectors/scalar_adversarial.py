"""The adversarial half of a GAN read from its two players' losses: `never_learned` for a
discriminator whose loss sits at the cross-entropy of answering 0.5 for every input, beside a
generator whose adversarial loss sits there too; `loss_divergence` for a discriminator that has won,
its loss near zero while the generator's climbs away.

With D(x) = 0.5 everywhere the discriminator's binary cross-entropy is ln 2 = 0.6931 on real and on
generated samples (2 ln 2 = ln 4 = 1.3863 when the two terms are added, the common way), and the
generator's non-saturating loss -log D(G(z)) is ln 2.  A discriminator that learns anything leaves
those values within its first updates and wanders around them afterwards; one held there to the
third digit for the whole run never told real from generated, so the generator got no adversarial
signal.  What the generator learned came from its other terms (a reconstruction or supervised loss),
if it has any.  The level is exact, as ln C is for a classifier at chance, and the two players must
both show it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Iterator, List, Optional, Tuple

import numpy as np

from ..model import Experiment, Finding, SeriesRef
from . import stats as U
from .base import Detector
from .wording import capital, fmt, make_finding, short

# Words that name a GAN player in a loss's quantity (`loss_d`, `d_loss`, `dis_loss`, `disc_loss`, `loss_generator`).
_DISCRIMINATOR = {"d", "dis", "disc", "discriminator", "netd", "errd"}
_GENERATOR = {"g", "gen", "generator", "netg", "errg"}
# A term of a player's loss rather than its total: the real and fake halves, a gradient penalty, a
# reconstruction or feature-matching term beside the adversarial one.
_PART = {"real", "fake", "gp", "penalty", "l1", "l2", "rec", "recon", "reconstruction", "fm", "feat"}


def _words(ref: SeriesRef) -> set:
    return set(U.words(ref.info.quantity))


def player(ref: SeriesRef) -> Optional[str]:
    """ "d" or "g" for the total loss of one GAN player, from its name; None otherwise.  A player's
    "error" (`D_error`, `G_error`, as the PyTorch GAN tutorials name them) is its loss, though the
    word alone makes a tag an error metric."""
    w = _words(ref)
    if ref.info.role != "loss" and not (ref.info.role == "metric_down" and w & {"error", "err"}):
        return None
    if w & _PART:
        return None
    d, g = bool(w & _DISCRIMINATOR), bool(w & _GENERATOR)
    if d == g:  # neither, or both (`lossG+lossD`: the game's sum says nothing of either side)
        return None
    return "d" if d else "g"


def _opponents(exp: Experiment, ref: SeriesRef, side: str, min_points: int) -> Iterator[Tuple[SeriesRef, U.View]]:
    """The `side` player's total losses of `ref`'s run and split, with their views, each with at least
    `min_points` evaluations."""
    for s in exp.scalars:
        same_job = s.run == ref.run or {s.run, ref.run} <= exp.keyed_runs
        if not same_job or player(s) != side or s.info.split != ref.info.split:
            continue
        view = U.view_of(s, smooth=False)
        if len(view) >= min_points:
            yield s, view


def half(ref: SeriesRef) -> Optional[str]:
    """ "real" or "fake" for one half of the discriminator's loss (`Discriminator_loss_real`,
    `d_loss_fake`, `D_fake`); None otherwise."""
    w = _words(ref)
    if ref.info.role != "loss" or not w & _DISCRIMINATOR or w & _GENERATOR:
        return None
    parts = w & {"real", "fake"}
    if len(parts) != 1 or w & (_PART - {"real", "fake"}):
        return None
    return next(iter(parts))


def _halves(exp: Experiment, ref: SeriesRef) -> Optional[Tuple[SeriesRef, SeriesRef]]:
    """(real half, fake half) of a run that logs the discriminator's loss only as its two halves (no total
    of its own, in `ref`'s run and split); None otherwise."""
    same = [s for s in exp.scalars if s.run == ref.run and s.info.split == ref.info.split]
    if any(player(s) == "d" for s in same):
        return None
    real = [s for s in same if half(s) == "real"]
    fake = [s for s in same if half(s) == "fake"]
    return (real[0], fake[0]) if len(real) == 1 and len(fake) == 1 else None


def _summed(real: SeriesRef, fake: SeriesRef) -> U.View:
    """The discriminator's total: the two halves added on the steps both logged."""
    (rs, rv), (fs, fv) = U.finite_points(real), U.finite_points(fake)
    steps, ri, fi = np.intersect1d(rs, fs, return_indices=True)
    first, last, values, condensed = U.condense(steps, rv[ri] + fv[fi])
    return U.View(first.astype(np.int64), last.astype(np.int64), values, 1.0, condensed)


@dataclasses.dataclass(frozen=True, eq=False)
class IdleEvent:
    ref: SeriesRef  # the discriminator's loss
    view: U.View
    level: float  # the value it is held at: ln 4 or ln 2
    terms: int  # 2 when the level is ln 4 (real + fake halves added), 1 for ln 2
    share: float  # share of its evaluations within `pinned_rel` of the level
    generator: SeriesRef
    generator_level: float
    generator_share: float


@dataclasses.dataclass(frozen=True)
class IdleDiscriminator(Detector[IdleEvent]):
    name = "idle_discriminator"
    kinds = ("never_learned",)

    # Held within this share of ln 2 or ln 4: the third digit of the constant.  A discriminator that
    # tells real from fake at all moves its loss by tens of percent; float noise and a few confident
    # batches move it by far less than 1 %.
    pinned_rel: float = 0.01
    # ... at this share of the evaluations after the first tenth of the run (the opening updates may
    # still carry the initial weights' small offset from 0.5; one evaluation in ten may stray).
    pinned_share: float = 0.9
    # Judged over at least this many evaluations of each player: a short run cannot tell an idle
    # discriminator from one that reached equilibrium early.
    min_points: int = 20

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[IdleEvent]:
        # A discriminator logged only as its real and fake halves is read on its fake half: ln 2 there
        # means D(G(z)) = 0.5 for every generated sample, the answer the generator learns from.
        part = half(ref)
        if player(ref) != "d" and not (part == "fake" and _halves(exp, ref) is not None):
            return []
        view = U.view_of(ref, smooth=False)
        if len(view) < self.min_points:
            return []
        held = self._held(view.values, (math.log(2.0),) if part else (math.log(4.0), math.log(2.0)))
        if held is None:
            return []
        level, share = held
        for g, gview in _opponents(exp, ref, "g", self.min_points):
            g_held = self._held(gview.values, (math.log(2.0),))
            if g_held is not None:
                terms = 2 if level == math.log(4.0) else 1
                return [IdleEvent(ref, view, level, terms, share, g, g_held[0], g_held[1])]
        return []

    def _held(self, v: np.ndarray, levels: Tuple[float, ...]) -> Optional[Tuple[float, float]]:
        """(level, share) for the first of `levels` that `v` holds after its first tenth."""
        tail = v[v.shape[0] // 10 :]
        for c in levels:
            share = float(np.mean(np.abs(tail - c) <= self.pinned_rel * c))
            if share >= self.pinned_share:
                return c, share
        return None

    def describe(self, e: IdleEvent) -> Finding:
        name, gname = short(e.ref), short(e.generator)
        const = "ln 4 = 2 ln 2" if e.terms == 2 else "ln 2"
        fake_half = half(e.ref) == "fake"
        title = (
            "The discriminator never learned: %s held at %s (%s) and %s at %s (ln 2): it answers 0.5 for every %s"
            % (
                name,
                fmt(e.level),
                const,
                gname,
                fmt(e.generator_level),
                "generated sample" if fake_half else "input",
            )
        )
        expl = (
            "%s stayed within 1 %% of %s at %.0f %% of its %d evaluations after the first tenth of the run, and "
            "%s within 1 %% of ln 2 = 0.6931 at %.0f %%. These are the values of a discriminator that outputs "
            "0.5 for every image or sample, real or generated (%s), and of a generator loss -log D(G(z)) "
            "against it: the discriminator never told real from fake, so the generator got no adversarial "
            "signal. Whatever the generator learned came from its other terms, if it has any. Check that the "
            "discriminator's optimizer is stepped and given its parameters (in Lightning's manual "
            "optimisation, both optimizers' `step()`), that its learning rate is not zero, that its "
            "parameters are not frozen or its output detached, and that its last layer is not zero-initialised "
            "behind a constant input. A discriminator that learns leaves these values within its first "
            "updates and wanders around them afterwards."
            % (
                capital(name),
                const,
                100 * e.share,
                len(e.view),
                gname,
                100 * e.generator_share,
                "binary cross-entropy ln 2 on each half, ln 4 when the real and fake halves are added"
                if e.terms == 2
                else "binary cross-entropy ln 2 on the generated half, the half the generator learns from"
                if fake_half
                else "binary cross-entropy ln 2",
            )
        )
        evidence = {
            "how": "idle_discriminator",
            "level": e.level,
            "held_share": e.share,
            "points": len(e.view),
            "generator_tag": e.generator.tag,
            "generator_level": e.generator_level,
            "generator_held_share": e.generator_share,
        }
        return make_finding(
            e.ref,
            "never_learned",
            "warning",
            e.view,
            0,
            len(e.view) - 1,
            title,
            expl,
            evidence,
            related=[e.generator],
        )


@dataclasses.dataclass(frozen=True, eq=False)
class WonEvent:
    ref: SeriesRef  # the generator's loss: the one that climbs away
    view: U.View
    discriminator: SeriesRef
    first: int  # the stretch both hold their levels to the end, generator view indices
    d_level: float  # the discriminator's running median over the stretch, at its highest
    g_start: float  # the generator's running median where the stretch begins
    g_end: float  # ... and at the end
    g_opening: float  # the generator's opening level (median of its first evaluations)
    d_fake: Optional[SeriesRef] = None  # the fake half, when `discriminator` is the real half of a sum


@dataclasses.dataclass(frozen=True)
class WinningDiscriminator(Detector[WonEvent]):
    """A discriminator that separates real from generated almost perfectly for the rest of the run,
    while the generator's loss climbs: the generator's gradients vanish and it stops improving."""

    name = "winning_discriminator"
    kinds = ("loss_divergence",)

    # The discriminator's binary cross-entropy (real and fake halves) at or under this: -ln D(x) -
    # ln(1 - D(G(z))) = 0.1 means it gives both kinds of sample the right answer with about 95 %
    # confidence.  A discriminator in the game wanders around 0.5-1.4 (ln 4) and touches 0.05 only at
    # single evaluations, which the running median leaves out ...
    d_max: float = 0.1
    # ... while the generator's -ln D(G(z)) is at or over this: D(G(z)) = 0.05, the same 95 % from the
    # generator's side (a generator in the game sits near ln 2 to 3 and swings higher only briefly).
    g_min: float = 3.0
    # Both hold over at least this share of the evaluations, to the end of the run ...
    min_share: float = 0.25
    # ... on at least this many evaluations of each player.
    min_points: int = 20
    # The generator's loss must have climbed: its level at the end at least this many times its opening
    # level (a generator whose loss is high from the first step against a discriminator that started
    # ahead has not been beaten in the run, it was never in the game; the never-learned rules read that).
    g_climb: float = 2.0
    # The opening level is the median of this many first evaluations: "high from the first step" is
    # read at the first steps (a discriminator that wins within a twentieth of the run, 1.5 -> 47 in
    # 200 of 2,900 steps, has already lifted the median of that twentieth).
    opening_points: int = 3
    # Levels are running medians over this share of the run (at least 5 evaluations, odd).
    level_share: float = 0.1

    def measure(self, exp: Experiment, ref: SeriesRef) -> List[WonEvent]:
        if player(ref) != "g":
            return []
        gview = U.view_of(ref, smooth=False)
        n = len(gview)
        if n < self.min_points:
            return []
        g_level = U.running_median(gview.values, max(5, int(self.level_share * n)) | 1)
        opponents = [(d, dview, None) for d, dview in _opponents(exp, ref, "d", self.min_points)]
        halves = _halves(exp, ref)
        if halves is not None:
            summed = _summed(*halves)
            if len(summed) >= self.min_points:
                opponents.append((halves[0], summed, halves[1]))
        for d, dview, d_fake in opponents:
            d_level = U.running_median(dview.values, max(5, int(self.level_share * len(dview))) | 1)
            # The discriminator's level read at each generator evaluation (the nearest step at or before).
            at = np.clip(np.searchsorted(dview.steps, gview.steps, side="right") - 1, 0, len(dview) - 1)
            won = (d_level[at] <= self.d_max) & (g_level >= self.g_min)
            if not won[-1]:
                continue
            # The stretch that holds to the end: from after the last evaluation where it did not.
            not_won = np.flatnonzero(~won)
            first = int(not_won[-1]) + 1 if not_won.size else 0
            if n - first < self.min_share * n:
                continue
            opening = float(np.median(gview.values[: self.opening_points]))
            if not (opening > 0 and g_level[-1] >= self.g_climb * opening):
                continue
            return [
                WonEvent(
                    ref,
                    gview,
                    d,
                    first,
                    float(np.max(d_level[at][first:])),
                    float(g_level[first]),
                    float(g_level[-1]),
                    opening,
                    d_fake,
                )
            ]
        return []

    def describe(self, e: WonEvent) -> Finding:
        gname, dname = short(e.ref), short(e.discriminator)
        if e.d_fake is not None:
            dname = "%s + %s" % (dname, short(e.d_fake))
        view, a = e.view, e.first
        n = len(view)
        title = "The discriminator has won: %s at or under %s from step %d while %s climbed %s → %s" % (
            dname,
            fmt(e.d_level),
            int(view.steps[a]),
            gname,
            fmt(e.g_opening),
            fmt(e.g_end),
        )
        expl = (
            "From step %d to the end (%.0f %% of the run) %s stays at or under %s, a discriminator that tells "
            "real from generated samples apart with about 95 %% confidence or more, and %s stays at or over "
            "%s (D(G(z)) under 0.05), up from %s at the start. A discriminator this far ahead gives the "
            "generator almost no gradient to learn from, so its samples stop improving or collapse to a few "
            "modes; the game does not recover on its own. Typical remedies: a smaller discriminator learning "
            "rate or fewer discriminator steps per generator step (TTUR), label smoothing or instance noise on "
            "the discriminator's inputs, spectral normalisation, the non-saturating generator loss if the "
            "saturating one is used, or a Wasserstein loss with a gradient penalty. Look at the generated "
            "samples at step %d and at the end."
            % (
                int(view.steps[a]),
                100.0 * (n - a) / n,
                dname,
                fmt(self.d_max),
                gname,
                fmt(self.g_min),
                fmt(e.g_opening),
                int(view.steps[a]),
            )
        )
        evidence = {
            "how": "winning_discriminator",
            "discriminator_tag": e.discriminator.tag,
            "discriminator_level": e.d_level,
            "generator_opening": e.g_opening,
            "generator_level_from": e.g_start,
            "generator_level_end": e.g_end,
            "from_step": int(view.steps[a]),
            "share": (n - a) / n,
        }
        related = [e.discriminator] + ([e.d_fake] if e.d_fake is not None else [])
        if e.d_fake is not None:
            evidence["discriminator_fake_tag"] = e.d_fake.tag
        return make_finding(e.ref, "loss_divergence", "warning", view, a, n - 1, title, expl, evidence, related=related)
