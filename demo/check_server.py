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
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

URL_LINE = re.compile(r"(http://[^\s]+?:\d+/)")


def start_tensorboard(logdir: str, log_path: str) -> subprocess.Popen:
    # Its log goes to a file: a pipe nobody drains would block the server.
    log = open(log_path, "wb")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "tensorboard.main", "--logdir", logdir,
             "--host", "127.0.0.1", "--port", "0"],
            stdout=log, stderr=subprocess.STDOUT,
        )
    finally:
        log.close()


def wait_for_url(proc: subprocess.Popen, log_path: str, timeout: float) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(log_path, "r", encoding="utf-8", errors="replace") as f:
            m = URL_LINE.search(f.read())
        if m:
            return m.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    with open(log_path, "r", encoding="utf-8", errors="replace") as f:
        tail = f.read()[-3000:]
    raise RuntimeError("TensorBoard did not print its URL (exit code %s):\n%s" % (proc.poll(), tail))


def plugins_listing(url: str, timeout: float) -> dict:
    with urllib.request.urlopen(url + "data/plugins_listing", timeout=timeout) as resp:
        return json.load(resp)


def check(logdir: str, timeout: float = 180.0, out=sys.stdout) -> bool:
    """True when the served TensorBoard lists the curvecheck plugin as enabled."""
    with tempfile.TemporaryDirectory(prefix="curvecheck-demo-check-") as tmp:
        log_path = os.path.join(tmp, "tensorboard.log")
        proc = start_tensorboard(logdir, log_path)
        try:
            url = wait_for_url(proc, log_path, timeout)
            print("TensorBoard serving %s at %s" % (logdir, url), file=out)
            listing = plugins_listing(url, timeout)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
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
