"""The cross-entropy of a model that predicts the class prior for every input.

A classifier that learned nothing about its inputs still learns how often each class occurs: its
loss sits at the entropy of those shares, ln C for C balanced classes and a little under it for an
uneven prior.  These bounds let `never_learned` name that level from an accuracy held at the
majority class's share.
"""

from __future__ import annotations

import math
from typing import Optional, Tuple


def binary_entropy(p: float) -> float:
    """H(p): the entropy of a two-class prior with shares p and 1 - p."""
    return float(-(p * math.log(p) + (1 - p) * math.log(1 - p)))


def _least_entropy(m: float) -> float:
    """The entropy of the most uneven class prior whose largest share is m: as many classes at m as fit,
    the remainder in one more."""
    k = int(math.floor(1.0 / m + 1e-9))
    rest = max(0.0, 1.0 - k * m)
    return float(-k * m * math.log(m) - (rest * math.log(rest) if rest > 0 else 0.0))


def _most_entropy(m: float, c: int) -> float:
    """The entropy of the most even prior over c classes whose largest share is m: the other c - 1
    classes share the rest alike."""
    return float(-m * math.log(m) - (1 - m) * math.log((1 - m) / (c - 1)))


def prior_entropy_band(m: float, max_classes: int, two_classes: bool = True) -> Optional[Tuple[float, float]]:
    """Where the cross-entropy of predicting the class shares lies when an accuracy holds the majority
    share m: H(m) for two classes; between the least and the most entropy a prior of up to `max_classes`
    classes with largest share m can have, for more.  A share over one half is read as two classes
    unless `two_classes` is False (then from H(m), the two-class prior, to the most even one of up to
    `max_classes` classes).  None for an accuracy no majority share gives (1/`max_classes` or less,
    where it is chance itself; or 1)."""
    if 0.5 < m < 1.0:
        h = binary_entropy(m)
        return (h, h) if two_classes else (h, _most_entropy(m, max_classes))
    if 1.0 / max_classes < m <= 0.5:
        return _least_entropy(m), _most_entropy(m, max_classes)
    return None
