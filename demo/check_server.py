"""Starts TensorBoard on the demo logs and asks it whether CurveCheck is loaded.

`python -m demo.check_server --logdir DIR` starts `tensorboard` on a free
localhost port, waits until it prints its URL, requests `/data/plugins_listing`
and prints what it says about `curvecheck`. Exit 0 when the plugin is listed
and enabled, 1 otherwise. `scripts/demo --check` ends here.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import urllib.request

from demo.tbprocess import tensorboard_process


def plugins_listing(url: str, timeout: float) -> dict:
    with urllib.request.urlopen(url + "data/plugins_listing", timeout=timeout) as resp:
        return json.load(resp)


def check(logdir: str, timeout: float = 180.0, out=sys.stdout) -> bool:
    """True when the served TensorBoard lists the curvecheck plugin as enabled."""
    with tempfile.TemporaryDirectory(prefix="curvecheck-demo-check-") as tmp:
        log_path = os.path.join(tmp, "tensorboard.log")
        with tensorboard_process(logdir, log_path, start_timeout=timeout) as (base, _):
            url = base + "/"
            print("TensorBoard serving %s at %s" % (logdir, url), file=out)
            listing = plugins_listing(url, timeout)
    entry = listing.get("curvecheck")
    if entry is None:
        print("curvecheck: MISSING from /data/plugins_listing (plugins: %s)" % ", ".join(sorted(listing)), file=out)
        return False
    enabled = bool(entry.get("enabled"))
    print("curvecheck: listed, enabled=%s" % str(enabled).lower(), file=out)
    return enabled


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.check_server", description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", required=True)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for TensorBoard")
    args = parser.parse_args(argv)
    try:
        return 0 if check(args.logdir, args.timeout) else 1
    except (RuntimeError, OSError) as e:
        print("curvecheck: check failed: %s" % e, file=sys.stdout)
        return 1


if __name__ == "__main__":
    sys.exit(main())
