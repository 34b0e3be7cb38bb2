"""Profile ``ivrkit serve`` as ``make bench`` runs it: ``python bench/profile_server.py``.

Starts one of the benchmark's servers (pinned to core 0, the load on core 1), warms it up, then
runs ``py-spy record`` on it under the benchmark's traffic, and prints the functions where the
server's busy threads spent their samples (waiting for work is left out). ``--server "ivrkit
SQLite + variable"`` profiles the tree with a session variable. The raw samples (py-spy's
collapsed stacks, for any flame graph tool) stay in the folder printed at the end. Not part of
``make bench``.
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import uuid  # noqa: E402

import webhook  # noqa: E402
from procs import PYTHON, Children  # noqa: E402

IDLE = ("Condition.wait", "Runner.run (asyncio", "select (selectors")


def record(
    pids: dict[str, int], folder: Path, seconds: float, *, nonblocking: bool = False
) -> list[subprocess.Popen[bytes]]:
    """``py-spy record`` each process for ``seconds`` into ``folder/NAME.txt`` (raw stacks).
    Blocking sampling (the default) pauses a process at each sample and tells idle threads
    best; ``nonblocking`` leaves it running, for two processes that talk to each other."""
    py_spy = Path(PYTHON).parent / "py-spy"
    spies = []
    for name, pid in pids.items():
        argv = [str(py_spy), "record", "--pid", str(pid), "--duration", str(int(seconds))]
        argv += ["--threads", "--format", "raw", *(["--nonblocking"] if nonblocking else [])]
        argv += ["--output", str(folder / f"{name}.txt")]
        spies.append(subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return spies


def summarise(name: str, raw: Path, top: int) -> None:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if any(mark in frames[-1] for mark in IDLE):
            continue
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames[1:]):
            inclusive[frame] += int(count)
    for title, counter in (("own", own), ("inclusive", inclusive)):
        print(f"\n{name}: top {top} by {title} samples (of {total} busy samples)")
        for frame, count in counter.most_common(top):
            print(f"  {count / max(total, 1):6.1%}  {frame}")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--server", default="ivrkit SQLite", help="a row of make bench")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    rows = webhook.servers(postgres=False)
    server = next((s for s in rows if s.name == args.server), None)
    if server is None:
        parser.error(f"no server {args.server!r}; one of {[s.name for s in rows]}")
    workdir = Path(tempfile.mkdtemp(prefix="ivrkit-profile-"))
    with Children(workdir) as children:
        running = server.start(children, workdir, None)
        url, pid, connections = running.url, running.pid, args.connections
        webhook.run_load(url, workdir, seconds=2, connections=connections, run="warm")
        (spy,) = record({"ivrkit": pid}, workdir, args.seconds)
        try:
            result = webhook.run_load(
                url,
                workdir,
                seconds=args.seconds,
                connections=connections,
                run=f"p{uuid.uuid4().hex[:8]}",
                server_pid=pid,
            )
            spy.wait(args.seconds + 30)
        finally:
            if spy.poll() is None:
                spy.kill()
    print(
        f"{server.name}: {result.rps:.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 "
        f"{result.p99_ms:.2f} ms while sampled; {result.cpu_us_per_request:.0f} CPU µs/req"
    )
    summarise(server.name, workdir / "ivrkit.txt", args.top)
    print(f"\nraw samples: {workdir / 'ivrkit.txt'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
