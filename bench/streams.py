"""The ``streams`` section of ``make bench``: webhook latency of ``ivrkit serve`` (SQLite) with no
dashboard live stream open, then with 500 open, on the same server.

The server runs pinned to core 0 as in the webhooks section (bench/webhook.py); the load
generator (wrk, 16 connections, bench/traffic.py's whole calls) and the process holding the
streams share core 1. The holder opens ``GET /dashboard/events`` on raw sockets, reads and drops
what comes, and opens a stream again when the server ends one (``stream_lifetime``), so that
the number stays at 500 for the whole run. Target: p99 with 500 streams within 2x of none.

Run alone: ``python bench/streams.py`` (``--seconds``, ``--streams``); or ``bench/run.py streams``.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import webhook  # noqa: E402
from procs import HOST, PYTHON, Children, clean_env  # noqa: E402

STREAMS = 500
TARGET_P99_TIMES_NONE = 2.0
OPEN_TIMEOUT = 60.0


# -- the holder (a process of its own, on the load generator's core) ----------------------------


async def _one_stream(port: int, opened: list[int], stop: asyncio.Event) -> None:
    request = f"GET /dashboard/events HTTP/1.1\r\nhost: {HOST}\r\naccept: text/event-stream\r\n\r\n"
    counted = False
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            await asyncio.sleep(0.2)
            continue
        try:
            writer.write(request.encode())
            status = await reader.readline()
            if b" 200 " in status and not counted:
                opened[0] += 1
                counted = True
            while not stop.is_set() and await reader.read(65536):
                pass  # dropped; an empty read: the server ended the stream, open it again
        except OSError:
            pass
        finally:
            writer.close()


async def _hold(port: int, count: int, seconds: float) -> None:
    stop = asyncio.Event()
    opened = [0]
    tasks = [asyncio.create_task(_one_stream(port, opened, stop)) for _ in range(count)]
    deadline = time.monotonic() + OPEN_TIMEOUT
    while opened[0] < count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    print(f"OPEN {opened[0]}", flush=True)
    await asyncio.sleep(seconds)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


# -- the section ---------------------------------------------------------------------------------


def _holder(children: Children, workdir: Path, port: int, count: int, seconds: float) -> int:
    argv = ["taskset", "-c", webhook.LOAD_CPUS, PYTHON, str(Path(__file__)), "hold"]
    argv += [str(port), str(count), str(seconds)]
    proc = children.start("stream-holder", argv, cwd=workdir, env=clean_env())
    log = workdir / "stream-holder.log"
    deadline = time.monotonic() + OPEN_TIMEOUT + 10
    while time.monotonic() < deadline:
        found = re.search(r"^OPEN (\d+)$", log.read_text(), re.MULTILINE) if log.exists() else None
        if found:
            return int(found.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise RuntimeError(
        f"the stream holder did not open its streams:\n{children.log_tail('stream-holder')}"
    )


def streams_bench(
    children: Children, workdir: Path, *, seconds: float, warmup: float, streams: int = STREAMS
) -> dict[str, Any]:
    print(
        f"== streams: ivrkit serve (SQLite) on core {webhook.SERVER_CPUS}; wrk and {streams} "
        f"live streams on core {webhook.LOAD_CPUS}; {warmup:g} s warm-up + {seconds:g} s each =="
    )
    server = webhook.Server("ivrkit SQLite", "ivrkit", "sqlite")
    running = server.start(children, workdir, None)
    rows: dict[str, Any] = {}
    try:
        webhook.check_answers(running.url)
        port = int(running.url.rsplit(":", 1)[1])
        for label, count in (("none", 0), (str(streams), streams)):
            opened = 0
            if count:
                opened = _holder(children, workdir, port, count, warmup + seconds + 30)
            run_id = f"w{uuid.uuid4().hex[:10]}"
            webhook.run_load(running.url, workdir, seconds=warmup, run=run_id)
            run_id = f"m{uuid.uuid4().hex[:10]}"
            result = webhook.run_load(
                running.url, workdir, seconds=seconds, run=run_id, server_pid=running.pid
            )
            rows[label] = {"streams_open": opened, **result.as_json()}
            errors = result.not_2xx + result.socket_errors
            print(
                f"  {opened:>4} streams open  {result.rps:>8,.0f} req/s"
                f"  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms  errors {errors}",
                flush=True,
            )
    finally:
        children.stop_all()
        running.cleanup()
    none, many = rows["none"], rows[str(streams)]
    times = many["p99_ms"] / none["p99_ms"] if none["p99_ms"] else float("inf")
    met = times <= TARGET_P99_TIMES_NONE and many["streams_open"] == streams
    print(
        f"  {'met' if met else 'MISSED'}  p99 with {streams} streams / with none: {times:.2f} "
        f"(target <= {TARGET_P99_TIMES_NONE:g})"
    )
    target = {
        "name": f"webhook p99 with {streams} live streams / with none",
        "shown": f"{times:.2f}",
        "target": f"<= {TARGET_P99_TIMES_NONE:g}",
        "met": met,
    }
    return {"rows": rows, "p99_times_none": round(times, 2), "targets": [target]}


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if args and args[0] == "hold":
        port, count, seconds = int(args[1]), int(args[2]), float(args[3])
        asyncio.run(_hold(port, count, seconds))
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--streams", type=int, default=STREAMS)
    options = parser.parse_args(args)
    workdir = Path(tempfile.mkdtemp(prefix="ivrkit-bench-streams-"))
    with Children(workdir) as children:
        try:
            streams_bench(
                children,
                workdir,
                seconds=options.seconds,
                warmup=options.warmup,
                streams=options.streams,
            )
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"  FAILED {exc}")
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
