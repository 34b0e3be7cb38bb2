"""A webhook server in a process of its own, for the multi-process metrics test: prints its URL,
then serves until its standard input closes.

    python metrics_worker.py DB_URL env|option METRICS_DIR

``env``: PROMETHEUS_MULTIPROC_DIR is set by whoever started it. ``option``: prometheus-client is
imported before the directory is known (as another library of a worker may do), and the
directory comes as create_app's ``metrics_dir``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> None:
    db, mode, metrics_dir = sys.argv[1:4]
    if mode == "option":
        import prometheus_client.values

        assert not getattr(prometheus_client.values.ValueClass, "_multiprocess", False)
    from ivrkit._serving import BackgroundServer
    from ivrkit.server import create_app
    from ivrkit.trees import load_tree

    given = Path(metrics_dir) if mode == "option" else None
    app = create_app(load_tree(), db=db, metrics_dir=given)
    with BackgroundServer(app) as server:
        print(server.url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
