"""Hostile requests against the cache (issue 13.2): any `/experiment/<id>/`
prefix reaches the plugin with the same local data, so a new id per request
must not build a new cache; and the cache stays within its bound.

Driven through TensorBoard's own WSGI app (see test_plugin_routes), whose
provider calls can be counted.
"""

import logging

import pytest

from tb_curvecheck.plugin import service as cc_service
from tests.test_plugin_routes import TB, P, by_run, write_logdir


@pytest.fixture(scope="module")
def logdir(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("hostile_cache"))
    write_logdir(root)
    return root


def test_many_experiment_ids_share_one_cache(logdir, caplog):
    app = TB(logdir)
    reads = app.count_reads()
    service = app.plugin._service
    with caplog.at_level(logging.DEBUG, logger=cc_service.__name__):
        first = app.json(P + "findings")
    n_reads = len(reads)
    assert n_reads
    for i in range(40):
        body = app.json("/experiment/id-%d%s" % (i, P + "findings"))
        assert body["findings"] == first["findings"] and body["runs"] == first["runs"]
    app.json("/experiment/another" + P + "series?run=tbx&tag=val/loss")
    # The same data is read once and held once, whatever the ids.
    assert len(reads) == n_reads
    # One entry per experiment (every run here is an experiment of its own).
    assert service.cache_entries == len(by_run(first))
    assert service.cache_bytes > 0
    # The cache reports its size at debug level.
    assert any("CurveCheck cache:" in r.getMessage() for r in caplog.records)


def test_the_cache_is_bounded_and_evicts_the_least_recently_used(logdir):
    app = TB(logdir)
    full = app.json(P + "findings")
    sizes = app.plugin._service.cache_bytes
    # A service over the same provider that may hold less than all of it.
    bound = sizes // 2
    small = cc_service.AnalysisService(app.provider, app.flags.samples_per_plugin, cache_bytes=bound)
    reads = app.count_reads()
    from tensorboard import context

    snap = small.snapshot(context.RequestContext(), "")
    assert [f.to_json() for f in snap.findings()] == full["findings"]
    assert {r: s.status for r, s in snap.statuses.items()} == {r: s["status"] for r, s in by_run(full).items()}
    # Over the bound, older experiments were dropped (one is always kept).
    assert small.cache_bytes <= bound or small.cache_entries == 1
    assert small.cache_entries < len(full["experiments"]) + 1
    before = len(reads)
    again = small.snapshot(context.RequestContext(), "")
    assert [f.to_json() for f in again.findings()] == full["findings"]
    assert len(reads) > before, "evicted experiments are read again when asked for"
