"""The interpreter settings of a process that serves requests (``ivrkit serve``, ``ivrkit
simulator``): one place, so both servers run as the benchmarks measured them."""

from __future__ import annotations

import gc
import logging
import sys


def tune_for_serving(*, switch_interval: float | None = None) -> None:
    """Keep the garbage collector off the objects made at start-up, which never become garbage
    (with the default thresholds full collections over them took about a sixth of a busy
    server's CPU and caused 20–40 ms stalls), and collect the young generation less often: every
    request leaves objects in reference cycles (tasks, sessions, caught exceptions). With
    ``switch_interval``, threads switch that often (seconds), so a committer thread is not held
    off by the event loop for the default 5 ms.

    Log records stop looking up their thread's and process's names (logging's documented
    switches; ivrkit's lines show neither): a busy server makes a record per delivery."""
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    if switch_interval is not None:
        sys.setswitchinterval(switch_interval)
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
