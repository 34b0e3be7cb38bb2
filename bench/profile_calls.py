"""Profile whole calls as ``make bench`` runs them: ``python bench/profile_calls.py``.

Runs the calls section (``ivrkit serve`` on core 0, the simulator and the driver on core 1) and,
after the warm-up, ``py-spy record`` on the simulator and on the server at once; then prints each
process's CPU milliseconds per call and the functions where its busy threads spent their samples
(waiting for work is left out). On a machine others use too, py-spy's samples count time a
process was ready to run as well as running: read the shares, and take CPU per call from the
figures above them. The raw samples (py-spy's collapsed stacks) stay in the folder printed at the
end. Not part of ``make bench``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import calls  # noqa: E402
from procs import Children  # noqa: E402
from profile_server import record, summarise  # noqa: E402
from webhook import LOAD_CPUS  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--in-flight", type=int, default=100)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ivrkit-profile-calls-"))
    db_path = workdir / "calls.db"
    with Children(workdir) as children:
        hook_url, hook_proc = calls.start_webhook_server(children, workdir, db_path)
        sim_url, sim_proc = calls.start_simulator(children, workdir)
        calls.script_phones(sim_url)
        pids = {"simulator": sim_proc.pid, "ivrkit": hook_proc.pid}
        spies: list[subprocess.Popen[bytes]] = []
        timer = threading.Timer(
            args.warmup, lambda: spies.extend(record(pids, workdir, args.seconds, nonblocking=True))
        )
        cores = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {int(LOAD_CPUS)})
        timer.start()
        try:
            result, _ = asyncio.run(
                calls.drive(
                    sim_url,
                    hook_url,
                    db_path,
                    in_flight=args.in_flight,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    drain=15,
                    pids=pids,
                )
            )
        finally:
            timer.cancel()
            os.sched_setaffinity(0, cores)
            for spy in spies:
                try:
                    spy.wait(30)
                except subprocess.TimeoutExpired:
                    spy.kill()
    per_call = ", ".join(f"{name} {ms:.2f}" for name, ms in result.cpu_ms_per_call.items())
    print(f"{result.calls_per_second:.0f} calls/s while sampled; CPU ms per call: {per_call}")
    for name in pids:
        raw = workdir / f"{name}.txt"
        if raw.exists():
            summarise(name, raw, args.top)
    print(f"\nraw samples: {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
