"""Batches of runs on a Dask distributed cluster (issue 14.5): a local
cluster of 2 worker processes gives the findings a local scan gives."""

import ast
import io
import json
import os

import pytest

pytest.importorskip("distributed", reason="the Dask backend is the optional extra tb-curvecheck[dask]")

from tb_curvecheck import cli, scanning  # noqa: E402
from tb_curvecheck import distributed as cc_distributed  # noqa: E402
from tests.test_scale_scan import _same, sweep_logdir  # noqa: E402,F401 - the shared fixture

PKG = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tb_curvecheck")


def test_a_two_worker_cluster_finds_what_a_local_scan_finds(sweep_logdir):  # noqa: F811
    local = scanning.scan(sweep_logdir, loader="rust", jobs=1)
    with cc_distributed.executor(local_workers=2) as executor:
        workers = executor._client.scheduler_info()["workers"]
        assert len(workers) == 2
        assert all(addr.startswith("tcp://127.0.0.1:") for addr in workers)
        # A batch per experiment, so both workers get some.
        spread = scanning.scan(sweep_logdir, loader="rust", executor=executor, batch_bytes=1)
    _same(spread.result, local.result)
    assert spread.runs == local.runs


def test_the_cli_runs_on_a_local_cluster(sweep_logdir):  # noqa: F811
    outs = []
    for extra in ([], ["--dask-local", "2"]):
        out, err = io.StringIO(), io.StringIO()
        code = cli.main(["scan", sweep_logdir, "--json", "--sweep", *extra], out=out, err=err)
        assert code == 1, err.getvalue()
        outs.append(json.loads(out.getvalue()))
    assert outs[0] == outs[1]


def test_an_unreachable_scheduler_is_a_clear_error(sweep_logdir):  # noqa: F811
    out, err = io.StringIO(), io.StringIO()
    # Port 9 (discard) on localhost: nothing listens there.
    code = cli.main(["scan", sweep_logdir, "--scheduler", "tcp://127.0.0.1:9"], out=out, err=err)
    assert code == cli.EXIT_UNREADABLE
    assert "Dask cluster" in err.getvalue() and "Traceback" not in err.getvalue()


def test_the_plugin_never_imports_the_distributed_backend():
    bad = []
    for here, _dirs, files in os.walk(os.path.join(PKG, "plugin")):
        for f in files:
            if not f.endswith(".py"):
                continue
            tree = ast.parse(open(os.path.join(here, f), encoding="utf-8").read())
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""] + [a.name for a in node.names]
                bad += ["%s: %s" % (f, n) for n in names if n.split(".")[-1] in ("distributed", "scanning", "dask")]
    assert not bad, bad
