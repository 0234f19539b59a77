"""A real `tensorboard` process on a free loopback port, for the demo check, the
tests and the benchmarks."""

import contextlib
import os
import re
import subprocess
import sys
import time

START_TIMEOUT_S = 120


@contextlib.contextmanager
def tensorboard_process(logdir, log_path, *flags, start_timeout=START_TIMEOUT_S):
    """Starts `python -m tensorboard.main` on `logdir` and yields
    `(base_url, process)` once it prints its URL; stops it afterwards.

    Its output goes to `log_path`, a file: TensorBoard and its data server
    write for as long as they run, and a pipe nobody drains would block them.
    """
    cmd = [
        sys.executable,
        "-m",
        "tensorboard.main",
        "--logdir",
        str(logdir),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        *flags,
    ]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=log, stdin=subprocess.PIPE, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        )
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            text = open(log_path, errors="replace").read()
            m = re.search(r"TensorBoard \S+ at (http://127\.0\.0\.1:\d+/)", text)
            if m:
                break
            if proc.poll() is not None:
                raise RuntimeError("tensorboard exited (%s):\n%s" % (proc.returncode, text[-3000:]))
            if time.monotonic() > deadline:
                raise RuntimeError("tensorboard did not start:\n%s" % text[-3000:])
            time.sleep(0.2)
        yield m.group(1).rstrip("/"), proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
