"""Runs that belong to one training job, and the series each holds.

Keras writes `exp/train` and `exp/validation`; PyTorch's `add_scalars` writes
extra runs `exp/Loss_train` (torch) or `exp/Loss/train` (tensorboardX) beside
the main run `exp`.  Each becomes one Experiment named after `exp`, so the
train and validation series of a quantity can be paired.
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

import numpy as np

from ..model import Experiment, HistogramRef, HistogramSeries, ScalarSeries, SeriesRef, TagInfo
from . import histogram_roles
from .roles import (
    FRACTION_METRICS,
    RUN_SPLIT_WORDS,
    add_scalars_key,
    add_scalars_name,
    add_scalars_split,
    classify,
    classify_keyed,
    is_total_key,
    purposes,
    tensorboardx_keyed,
)

# A fraction-valued metric whose finite values reach past this is on a 0-100
# scale: 1.0 plus room for float noise, well below any real percentage curve.
PERCENT_THRESHOLD = 1.5


def parent_of(run: str) -> str:
    """The folder a run's directory sits in ("." for a top-level run)."""
    return run.rsplit("/", 1)[0] if "/" in run else "."


def experiment_name(run: str, tags: Iterable[str] = ()) -> str:
    """The experiment a run belongs to, from its name and its tags."""
    if run in ("", "."):
        return "."
    last = run.split("/")[-1]
    low = last.lower()
    if low in RUN_SPLIT_WORDS:
        # tensorboardX add_scalars: `exp/<main_tag>/<key>` holds tag <main_tag>.
        for t in tags:
            keyed = tensorboardx_keyed(run, t)
            if keyed is not None:
                return keyed
        return parent_of(run)
    if any(add_scalars_split(run, t) for t in tags):
        # torch add_scalars: `exp/<main_tag>_<key>` holds tag <main_tag>, its key naming the split
        # (`Loss_train`, `Loss_test_loss`).
        return parent_of(run)
    tags = list(tags)
    if add_scalars_key(run, tags) is not None:
        return _keyed_parent(run, tags[0])
    return run


def _keyed_parent(run: str, tag: str) -> str:
    """The experiment of a run `add_scalars` wrote for a key that names no split (`loss_KLD`;
    tensorboardX `loss/KLD`): a part of the same job as its main run."""
    keyed = tensorboardx_keyed(run, tag)
    return keyed if keyed is not None else parent_of(run)


def _with_percent(info: TagInfo, series: ScalarSeries) -> TagInfo:
    if info.role != "metric_up" or info.quantity not in FRACTION_METRICS:
        return info
    finite = series.values[np.isfinite(series.values)]
    if finite.size and float(np.max(finite)) > PERCENT_THRESHOLD and float(np.max(finite)) <= 100.0 + 1e-6:
        return dataclasses.replace(info, percent=True)
    return info


def _keras_eval_twin(tag: str, tags: Mapping[str, ScalarSeries]) -> Optional[str]:
    """`epoch_<m>` when `tag` is Keras' `evaluation_<m>_vs_iterations` copy of it.

    Keras writes each validation value twice: at the epoch and at the optimizer
    iteration.  Judging both would report every validation event twice.
    """
    if not (tag.startswith("evaluation_") and tag.endswith("_vs_iterations")):
        return None
    twin = "epoch_" + tag[len("evaluation_") : -len("_vs_iterations")]
    other = tags.get(twin)
    mine = tags[tag]
    if other is None or len(other) != len(mine):
        return None
    same = np.allclose(other.values, mine.values, rtol=1e-6, atol=0.0, equal_nan=True)
    return twin if same else None


def build_experiments(
    scalars: Mapping[str, Mapping[str, ScalarSeries]],
    histograms: Optional[Mapping[str, Mapping[str, HistogramSeries]]] = None,
    source: str = "",
) -> List[Experiment]:
    """Every series, classified and grouped into experiments (sorted by name)."""
    histograms = histograms or {}
    by_name: Dict[str, Experiment] = {}
    # (run, tag) -> the name a series is read by when it is not its tag (keyed `add_scalars` runs).
    names: Dict[Tuple[str, str], str] = {}
    runs = sorted(set(scalars) | set(histograms))
    for run in runs:
        tags = list(scalars.get(run, {})) + list(histograms.get(run, {}))
        key = add_scalars_key(run, tags)
        name = _keyed_parent(run, tags[0]) if key is not None else experiment_name(run, tags)
        exp = by_name.get(name)
        if exp is None:
            exp = by_name[name] = Experiment(name=name, runs=(), source=source)
        exp.runs = tuple(sorted(set(exp.runs) | {run}))
        if key is not None:
            exp.keyed_runs = exp.keyed_runs | {run}
        run_scalars = scalars.get(run, {})
        for tag, series in sorted(run_scalars.items()):
            if _keras_eval_twin(tag, run_scalars) is not None:
                continue
            if key is not None:
                names[(run, tag)] = add_scalars_name(tag, key)
                info = _with_percent(classify_keyed(run, tag, key), series)
            else:
                info = _with_percent(classify(run, tag), series)
            exp.scalars.append(SeriesRef(run=run, tag=tag, info=info, series=series))
            layer = histogram_roles.classify(run, tag, scalar=True)
            if layer.role != "unknown":
                exp.layer_roles[(run, tag)] = layer
        for tag, hseries in sorted(histograms.get(run, {}).items()):
            exp.histograms.append(HistogramRef(run=run, tag=tag, series=hseries))
            exp.layer_roles[(run, tag)] = histogram_roles.classify(run, tag)
    for exp in by_name.values():
        _with_evaluation_batches(exp)
        _with_purposes(exp, names)
    return [by_name[k] for k in sorted(by_name)]


# An evaluation series on a counter of its own batches: dense steps (0, 1, 2, ...), at least this many,
# and this many times the points and the last step of another series of its split (a test loss written
# per test batch, 200 points on 0..199, beside a test accuracy per epoch on 0..9).
EVAL_BATCH_MIN_POINTS = 20
EVAL_BATCH_RATIO = 5


def _with_evaluation_batches(exp: Experiment) -> None:
    """Validation and test series written per evaluation batch are granularity `batch`: single batches
    of a fixed evaluation set, in the same order each pass, are no level to judge a trend on."""
    out = []
    for s in exp.scalars:
        steps = s.series.steps
        n = steps.shape[0]
        if (
            s.info.split in ("validation", "test")
            and s.info.granularity != "batch"
            and n >= EVAL_BATCH_MIN_POINTS
            and int(steps[-1]) - int(steps[0]) + 1 == n
            and any(
                t is not s
                and t.info.split == s.info.split
                and 2 <= len(t.series) <= n // EVAL_BATCH_RATIO
                and 0 <= int(t.series.steps[-1]) * EVAL_BATCH_RATIO <= int(steps[-1])
                for t in exp.scalars
            )
        ):
            s = dataclasses.replace(s, info=dataclasses.replace(s.info, granularity="batch"))
        out.append(s)
    exp.scalars = out


def _with_purposes(exp: Experiment, names: Mapping[Tuple[str, str], str]) -> None:
    """Each scalar's purpose among the experiment's series (objective, component, task, auxiliary)."""

    def name(s: SeriesRef) -> str:
        return names.get((s.run, s.tag), s.tag)

    got = purposes((s.run, name(s), s.info) for s in exp.scalars)
    # One `add_scalars` call whose keys hold its total (`{"loss": total, "BCE": ..., "KLD": ...}`): the
    # other keys are its terms, however plainly their own names read (`BCE` names a loss function).
    totals = {
        s.tag
        for s in exp.scalars
        if (s.run, s.tag) in names and s.info.role == "loss" and is_total_key(names[(s.run, s.tag)])
    }
    for s in exp.scalars:
        key = (s.run, name(s))
        if (s.run, s.tag) in names and s.tag in totals and not is_total_key(key[1]) and got.get(key) == "objective":
            got[key] = "component"
    exp.scalars = [
        dataclasses.replace(s, info=dataclasses.replace(s.info, purpose=got[(s.run, name(s))]))
        if (s.run, name(s)) in got
        else s
        for s in exp.scalars
    ]


def experiment_runs(runs_to_tags: Mapping[str, Iterable[str]]) -> Dict[str, Tuple[str, ...]]:
    """experiment name -> its runs, from names only (no data needed)."""
    out: Dict[str, List[str]] = {}
    for run, tags in runs_to_tags.items():
        out.setdefault(experiment_name(run, tags), []).append(run)
    return {k: tuple(sorted(v)) for k, v in out.items()}
