"""Profile the webhook server under wrk load: ``python bench/profile_server.py [--seconds N]``.

Runs ``create_app`` under uvicorn in this process with yappi (every thread, CPU clock; install it
with ``pip install yappi``) or, without yappi, cProfile (the event-loop thread only), drives it
with the same wrk script as ``make bench`` and prints the top functions. Not part of ``make bench``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import uvicorn  # noqa: E402
import webhook  # noqa: E402
from procs import HOST, free_port  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tsub", choices=["tsub", "ttot"])
    args = parser.parse_args()

    from ivrkit.server import create_app

    workdir = Path(tempfile.mkdtemp(prefix="ivrkit-profile-"))
    app = create_app(db=f"sqlite:///{workdir / 'bench.db'}", webhook_secret=webhook.SECRET)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host=HOST, port=port, log_level="warning", access_log=False)
    )
    body_file = workdir / "vca_template.json"
    body_file.write_text(webhook.vca_template())
    url = f"http://{HOST}:{port}"
    outcome: dict[str, webhook.LoadResult] = {}

    def drive() -> None:
        while not server.started:
            time.sleep(0.01)
        try:
            webhook.run_wrk("ivrkit", url, body_file, seconds=1, connections=16)
            start_profile()
            outcome["r"] = webhook.run_wrk(
                "ivrkit", url, body_file, seconds=args.seconds, connections=16
            )
            stop_profile()
        finally:
            server.should_exit = True

    try:
        import yappi
    except ImportError:
        yappi = None
        print("yappi is not installed: profiling the event-loop thread only (cProfile),")
        print("warm-up included")
    profile = cProfile.Profile()

    def start_profile() -> None:
        if yappi is not None:
            yappi.set_clock_type("cpu")
            yappi.start(profile_threads=True)

    def stop_profile() -> None:
        if yappi is not None:
            yappi.stop()

    threading.Thread(target=drive, daemon=True).start()
    if yappi is None:
        profile.enable()  # cProfile sees only the thread that enables it: the event loop's
    try:
        server.run()
    finally:
        profile.disable()
    result = outcome.get("r")
    if result is not None:
        print(
            f"{result.rps:.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms "
            "(slower than unprofiled)"
        )
    if yappi is not None:
        stats = yappi.get_func_stats()
        stats.sort(args.sort, "desc")
        total = sum(s.tsub for s in stats)
        print(f"\ntop {args.top} by {args.sort} (CPU s; total own time {total:.2f}s)")
        for s in list(stats)[: args.top]:
            where = f"{Path(s.module).name}:{s.lineno}"
            print(f"  {s.tsub:7.3f} {s.ttot:7.3f} {s.ncall:8d}  {s.name}  ({where})")
    else:
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
