"""Which hyperparameters separate the runs that have a finding from those that do not.

A sweep of many runs where a few diverged raises one question: what do the
broken runs share?  For every kind of finding that hit several runs, each
hyperparameter is tried as a one-sided rule (a numeric threshold, or one
categorical value) and the rule that best separates the runs with the kind
from those without is kept when it is unlikely to be chance: Fisher's exact
test on the 2x2 table, Bonferroni-corrected for the rules tried.  With too
few runs nothing is claimed, and the report says so.

Pure: run names, hyperparameter values and the kinds each run has go in;
`Separation`s and notes come out.  Hyperparameters come from TensorBoard's
HParams data when logged; `hparams_from_name` reads values such as
`lr=3e-4_bs64` from a run's name as a fallback.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Dict, Iterable, List, Mapping, Sequence, Set, Tuple, Union

Value = Union[float, int, str, bool]

# A kind must hit at least this many runs before a rule is looked for: with
# two, any hyperparameter on which they happen to agree looks like a cause.
MIN_RUNS_WITH = 3
# And the sweep must hold at least this many runs without it to compare with.
MIN_RUNS_WITHOUT = 3
# Family-wise significance after Bonferroni over every rule tried for a kind:
# 1 % keeps a 1,000-run sweep with dozens of hyperparameters from inventing
# a cause more than once in a hundred reports.
ALPHA = 0.01


@dataclasses.dataclass(frozen=True)
class Separation:
    kind: str
    hparam: str
    rule: str  # "lr >= 0.01", "optimizer = sgd"
    with_matching: int  # runs with the kind that match the rule
    with_total: int
    without_matching: int  # runs without the kind that match the rule
    without_total: int
    p_value: float

    def sentence(self) -> str:
        return "%d of %d runs with %s have %s; %d of the %d without it do" % (
            self.with_matching,
            self.with_total,
            self.kind,
            self.rule,
            self.without_matching,
            self.without_total,
        )

    def to_json(self) -> Dict[str, object]:
        d = dataclasses.asdict(self)
        d["sentence"] = self.sentence()
        return d


@dataclasses.dataclass
class SweepReport:
    separations: List[Separation]
    notes: List[str]  # kinds seen on too few runs, hyperparameters that were not logged

    def to_json(self) -> Dict[str, object]:
        return {"separations": [s.to_json() for s in self.separations], "notes": list(self.notes)}


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_greater(a: int, b: int, c: int, d: int) -> float:
    """One-sided Fisher exact p-value that the table [[a, b], [c, d]] has at
    least `a` in its top-left cell by chance (rows: matches the rule or not;
    columns: has the kind or not), with the margins fixed."""
    row1, col1, n = a + b, a + c, a + b + c + d
    denom = _log_comb(n, col1)
    p = 0.0
    for x in range(a, min(row1, col1) + 1):
        p += math.exp(_log_comb(row1, x) + _log_comb(n - row1, col1 - x) - denom)
    return min(1.0, p)


def _numeric(values: Iterable[Value]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values)


def _fmt(v: Value) -> str:
    if isinstance(v, float):
        return "%g" % v
    return str(v)


def _rules(name: str, values: Mapping[str, Value]) -> List[Tuple[str, Set[str]]]:
    """Every one-sided rule on one hyperparameter: (text, runs it matches)."""
    present = {run: v for run, v in values.items() if v is not None}
    distinct = sorted(set(present.values()), key=lambda v: (str(type(v)), v))
    if len(distinct) < 2:
        return []
    rules = []
    if _numeric(distinct):
        # Thresholds between consecutive distinct values, both directions.
        for lo, hi in zip(distinct, distinct[1:]):
            rules.append(("%s >= %s" % (name, _fmt(hi)), {r for r, v in present.items() if v >= hi}))
            rules.append(("%s <= %s" % (name, _fmt(lo)), {r for r, v in present.items() if v <= lo}))
    else:
        for value in distinct:
            rules.append(("%s = %s" % (name, _fmt(value)), {r for r, v in present.items() if v == value}))
    return rules


def separate(hparams: Mapping[str, Mapping[str, Value]], kinds: Mapping[str, Set[str]]) -> SweepReport:
    """`hparams`: run -> {name: value}; `kinds`: run -> kinds of finding it has
    (every run of the sweep must be a key, with an empty set when healthy)."""
    runs = sorted(kinds)
    names = sorted({name for run in runs for name in hparams.get(run, {})})
    notes: List[str] = []
    out: List[Separation] = []
    if not names:
        return SweepReport([], ["no hyperparameters were logged or found in run names"])
    all_kinds = sorted({k for run in runs for k in kinds[run]})
    for kind in all_kinds:
        having = {run for run in runs if kind in kinds[run]}
        n_with, n_without = len(having), len(runs) - len(having)
        if n_with < MIN_RUNS_WITH or n_without < MIN_RUNS_WITHOUT:
            notes.append(
                "%s: %d of %d runs; too few on one side to tell which hyperparameters go with it"
                % (kind, n_with, len(runs))
            )
            continue
        candidates = []
        for name in names:
            values = {run: hparams.get(run, {}).get(name) for run in runs}
            for text, matching in _rules(name, values):
                a = len(matching & having)
                c = len(matching) - a
                if a == 0:
                    continue
                p = fisher_greater(a, n_with - a, c, n_without - c)
                candidates.append((p, -a, text, name, a, c))
        if not candidates:
            continue
        tried = len(candidates)
        candidates.sort()
        best_p = candidates[0][0]
        if best_p * tried > ALPHA:
            notes.append(
                "%s: %d of %d runs; no hyperparameter separates them beyond chance (best p = %.2g over %d rules)"
                % (kind, n_with, len(runs), min(1.0, best_p * tried), tried)
            )
            continue
        seen_names = set()
        for p, _neg, text, name, a, c in candidates:
            # One rule per hyperparameter: the best threshold says it.
            if p * tried > ALPHA or name in seen_names:
                continue
            seen_names.add(name)
            out.append(Separation(kind, name, text, a, n_with, c, n_without, min(1.0, p * tried)))
    return SweepReport(out, notes)


_KV = re.compile(r"(?:^|[_,/ ])([A-Za-z][A-Za-z0-9]*?)[=:]([^_,/= ]+)")
_GLUED = re.compile(r"(?:^|[-_,/ ])([A-Za-z]+)((?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)(?=$|[-_,/ ])")


def _parse_value(text: str) -> Value:
    try:
        f = float(text)
    except ValueError:
        return text
    return int(f) if f.is_integer() and re.fullmatch(r"[-+]?\d+", text) else f


def hparams_from_name(run: str) -> Dict[str, Value]:
    """Values a run's name spells out: `lr=3e-4_bs64` -> {lr: 3e-4, bs: 64};
    `opt:adam,seed=2` -> {opt: adam, seed: 2}. Every path component is read
    (sweeps nest `sweep/lr=0.1/seed=1` too), later ones winning."""
    found: Dict[str, Value] = {}
    for part in run.split("/"):
        for key, value in _KV.findall(part):
            found[key] = _parse_value(value)
        for key, value in _GLUED.findall(part):
            found.setdefault(key, _parse_value(value))
    return found


def sweep_hparams(
    runs: Sequence[str], logged: Mapping[str, Mapping[str, Value]], names_fallback: bool = True
) -> Dict[str, Dict[str, Value]]:
    """Per run, the logged hyperparameters, else (when allowed) those its
    name spells out."""
    out: Dict[str, Dict[str, Value]] = {}
    for run in runs:
        values = dict(logged.get(run, {}))
        if not values and names_fallback:
            values = hparams_from_name(run)
        out[run] = values
    return out
