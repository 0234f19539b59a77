"""Prints the numbers the demo logs hold: `python -m demo.describe --logdir DIR [--only NAME ...]`.

Read back with TensorBoard's own event loader, so what is printed is what
TensorBoard (and CurveCheck) will see. `labels.json` is checked against this.
"""

from __future__ import annotations

import argparse
import os
import sys

from demo.generate import DEFAULT_LOGDIR
from demo.runs import NAMES

# -log(1e-7): what Keras' clipped cross-entropy charges a saturated wrong prediction.
CLIPPED_COST = 16.118


def load_scalars(path: str) -> dict:
    """{tag: (steps, values)} for every scalar of the event files directly in `path`.

    TF2 summaries store scalars as tensors; histogram tags are left out.
    """
    import numpy as np
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.util import tensor_util

    acc = event_accumulator.EventAccumulator(
        path, size_guidance={event_accumulator.TENSORS: 0, event_accumulator.SCALARS: 0}
    )
    acc.Reload()
    out = {}
    tags = acc.Tags()
    for tag in tags.get(event_accumulator.TENSORS, []):
        events = acc.Tensors(tag)
        arrays = [tensor_util.make_ndarray(e.tensor_proto) for e in events]
        # Only numeric one-value tensors are scalars; text summaries (the
        # CurveCheck callback's report) and histograms are not.
        if not arrays or arrays[0].size != 1 or arrays[0].dtype.kind not in "fiub":
            continue
        out[tag] = ([e.step for e in events], [float(np.asarray(a).reshape(())) for a in arrays])
    for tag in tags.get(event_accumulator.SCALARS, []):
        events = acc.Scalars(tag)
        out[tag] = ([e.step for e in events], [e.value for e in events])
    return out


def load_run(rundir: str) -> dict:
    """{subrun: {tag: (steps, values)}}, subrun "." for event files in `rundir` itself."""
    found = {}
    for root, _dirs, files in os.walk(rundir):
        if any(".tfevents." in f for f in files):
            sub = os.path.relpath(root, rundir).replace(os.sep, "/")
            found[sub] = load_scalars(root)
    return dict(sorted(found.items()))


def _fmt(v: float) -> str:
    return "%.4g" % v if (abs(v) < 1e-3 and v != 0) or abs(v) >= 1e4 else "%.4f" % v


def describe_run(name: str, rundir: str, out=sys.stdout) -> None:
    data = load_run(rundir)
    print("== %s" % name, file=out)
    for sub, tags in data.items():
        for tag, (steps, values) in sorted(tags.items()):
            if tag.startswith("evaluation_"):
                continue  # the same numbers as validation epoch_* at other steps
            if tag.startswith("batch_"):
                lo = min(range(len(values)), key=values.__getitem__)
                hi = max(range(len(values)), key=values.__getitem__)
                print(
                    "  %s %s: %d points, steps %d..%d, min %s at %d, max %s at %d"
                    % (
                        sub,
                        tag,
                        len(values),
                        steps[0],
                        steps[-1],
                        _fmt(values[lo]),
                        steps[lo],
                        _fmt(values[hi]),
                        steps[hi],
                    ),
                    file=out,
                )
                continue
            print("  %s %s: %s" % (sub, tag, " ".join(_fmt(v) for v in values)), file=out)
        if "epoch_loss" in tags and "epoch_accuracy" in tags:
            acc = tags["epoch_accuracy"][1]
            print(
                "  %s (1-epoch_accuracy)*16.118: %s" % (sub, " ".join(_fmt((1 - a) * CLIPPED_COST) for a in acc)),
                file=out,
            )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.describe", description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default=DEFAULT_LOGDIR)
    parser.add_argument("--only", nargs="+", choices=NAMES, metavar="NAME")
    args = parser.parse_args(argv)
    missing = 0
    for name in args.only or NAMES:
        rundir = os.path.join(args.logdir, name)
        if not os.path.isdir(rundir):
            print("== %s: missing (run python -m demo.generate)" % name)
            missing += 1
            continue
        describe_run(name, rundir)
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
