"""Writes the demo logs: `python -m demo.generate --logdir DIR [--only NAME ...] [--force]`.

One subdirectory per run. A run whose directory holds the completion marker is
reused, so re-running costs nothing; an unfinished directory (interrupted
generation) is wiped and trained again.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import time

from demo import common  # first: sets TensorFlow's environment before anything imports it
from demo.runs import NAMES

DEFAULT_LOGDIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logs")


def generate(logdir: str, names=NAMES, force: bool = False, seed=None, out=sys.stdout) -> list:
    """Trains each named run that is missing or unfinished; returns the names trained."""
    os.makedirs(logdir, exist_ok=True)
    trained = []
    total = time.time()
    for name in names:
        rundir = os.path.join(logdir, name)
        if common.is_complete(rundir) and not force:
            print("%-22s reused (%s)" % (name, rundir), file=out, flush=True)
            continue
        if os.path.exists(rundir):
            # Old event files would sit next to the new ones and TensorBoard would merge them.
            shutil.rmtree(rundir)
        module = importlib.import_module("demo.runs." + name)
        run_seed = module.SEED if seed is None else seed
        print("%-22s training (seed %d) ..." % (name, run_seed), file=out, flush=True)
        start = time.time()
        module.train(rundir, run_seed)
        seconds = time.time() - start
        common.mark_complete(rundir, run_seed, seconds)
        print("%-22s done in %.1f s" % (name, seconds), file=out, flush=True)
        trained.append(name)
    if trained:
        print("trained %d run(s) in %.1f s" % (len(trained), time.time() - total), file=out, flush=True)
    return trained


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default=DEFAULT_LOGDIR, help="where to write the runs (default: demo/logs)")
    parser.add_argument("--only", nargs="+", choices=NAMES, metavar="NAME", help="runs to write: " + ", ".join(NAMES))
    parser.add_argument("--force", action="store_true", help="retrain even runs that are complete")
    parser.add_argument(
        "--seed", type=int, help="override every run's own seed (the labels hold for the defaults only)"
    )
    args = parser.parse_args(argv)
    generate(args.logdir, args.only or NAMES, args.force, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
