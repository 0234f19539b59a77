"""Batches of runs on a Dask distributed cluster (`curvecheck scan --scheduler`,
`--dask-local N`): beyond one machine, same results as a local scan.

Dask rather than Ray: `distributed` is a pure-Python wheel beside what
CurveCheck already needs (no native object store, no daemon to install), a
`LocalCluster` of processes needs nothing but Python, an existing cluster is
one address away, and its `Client.get_executor()` is a
`concurrent.futures.Executor`, so the scan's own loop drives it unchanged.
Each worker runs `scanning.scan_batch`: its own data server over its batch,
so every worker needs tb-curvecheck installed and the logdir at the same
path (a shared file system) or URL.

Imported only by the CLI and by callers who ask for it; never by the plugin.
"""

from __future__ import annotations

import contextlib
from typing import Iterator, Optional

import distributed


@contextlib.contextmanager
def executor(
    scheduler: Optional[str] = None, local_workers: Optional[int] = None, host: str = "127.0.0.1"
) -> Iterator[object]:
    """A `concurrent.futures.Executor` over a Dask cluster: the one at
    `scheduler` (an address such as tcp://host:8786), or a local cluster of
    `local_workers` single-threaded worker processes bound to `host`."""
    if (scheduler is None) == (local_workers is None):
        raise ValueError("give either a scheduler address or a number of local workers")
    with contextlib.ExitStack() as stack:
        if scheduler is not None:
            client = stack.enter_context(distributed.Client(scheduler, timeout="10s"))
        else:
            # One thread per worker: the analysis holds the GIL, so parallelism
            # comes from processes; no dashboard, it would need a free port.
            cluster = stack.enter_context(
                distributed.LocalCluster(
                    n_workers=local_workers, threads_per_worker=1, processes=True, host=host, dashboard_address=None
                )
            )
            client = stack.enter_context(distributed.Client(cluster))
        yield client.get_executor(pure=False)
