"""Serve the ivrkit simulator for the benchmark: ``python bench/simulator.py --port N
[--profile out.prof]``. Uvicorn without access logs, time at "max" speed, the interpreter tuned as
``ivrkit simulator`` tunes it; with ``--profile`` the whole process runs under cProfile and the
stats are written when it is interrupted (SIGINT)."""

from __future__ import annotations

import argparse
import cProfile
import sys

import uvicorn

from ivrkit.simulator import SimulatorConfig, create_simulator
from ivrkit.simulator._app import tune_interpreter


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--profile", default=None, help="write cProfile stats here on exit")
    args = parser.parse_args()

    config = SimulatorConfig(speed=None, api_key=args.api_key, keep_sessions=200)
    server = uvicorn.Server(
        uvicorn.Config(
            create_simulator(config),
            host=args.host,
            port=args.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=3,
        )
    )
    tune_interpreter()  # as `ivrkit simulator` does
    profile = cProfile.Profile() if args.profile else None
    try:
        if profile is not None:
            profile.enable()
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        if profile is not None:
            profile.disable()
            profile.dump_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
