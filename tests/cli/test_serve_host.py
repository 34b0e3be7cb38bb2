"""`ivrkit serve --host`: an IPv6 address in its URL form ([::1]) is served; an address the
server cannot listen on is one line and exit 1, before the banner says it serves."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.cli.run import ivrkit
from tests.cli.test_mistakes import one_line_error
from tests.serve_process import ServeProcess, loopback_client


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("192.0.2.1", "cannot listen on 192.0.2.1:"),  # documentation range: not this machine
        ("[2001:db8::1]", "cannot listen on [2001:db8::1]:"),
    ],
)
def test_an_address_not_of_this_machine_is_one_line_before_the_banner(
    tmp_path: Path, host: str, words: str
) -> None:
    result = ivrkit("serve", "--host", host, "--db", f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path)
    one_line_error(result, 1, words)
    assert "ivrkit serving" not in result.stdout


@pytest.mark.parametrize(
    ("command", "banner"),
    [
        (["serve"], "ivrkit serving"),
        (["dashboard"], "ivrkit dashboard"),
        (["simulator"], "simulated Voice API"),
    ],
)
def test_a_port_in_use_is_one_line_before_the_banner(
    tmp_path: Path, command: list[str], banner: str
) -> None:
    """`ivrkit dashboard` while `ivrkit serve` runs (both on 8080): one line naming the port
    and what to do, for each command that listens."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = ivrkit(*command, "--port", str(port), *_store_of(command, tmp_path), cwd=tmp_path)
    one_line_error(result, 1, f"cannot listen on 127.0.0.1:{port}: the port is in use")
    assert f"give `ivrkit {command[0]}` another one with --port" in result.stderr
    assert banner not in result.stdout


def _store_of(command: list[str], folder: Path) -> list[str]:
    if command == ["simulator"]:
        return []
    url = f"sqlite:///{folder / 'x.db'}"
    if command == ["dashboard"]:
        ivrkit("db", "upgrade", "--db", url, cwd=folder)
    return ["--db", url]


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.e2e
@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback")
def test_an_ipv6_host_in_brackets_is_served(tmp_path: Path) -> None:
    serve = ServeProcess(db=f"sqlite:///{tmp_path / 'x.db'}", cwd=tmp_path, host="[::1]")
    with serve, loopback_client(timeout=2) as http:
        assert http.get(f"http://[::1]:{serve.port}/healthz").status_code == 200
    assert f"on http://[::1]:{serve.port} " in serve.output(), serve.output()
