"""Log lines: JSON with the delivery's ids on every line logged while it is handled, through the
real server, and `ivrkit serve --log-format json` end to end."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from ivrkit._logs import (
    DELIVERIES,
    FLUSH_EVERY,
    BatchingStreamHandler,
    JsonFormatter,
    TextFormatter,
    log_config,
)
from ivrkit._serving import BackgroundServer, free_port
from ivrkit.server import create_app
from ivrkit.trees import parse_tree
from tests.server.observing import call_action, hook_tree_text

SUMMARY = "vss_ivr_scenario1_bridge_completed.json"
SUMMARY_SESSION = "a089b40d-f059-11f0-8937-99c7872ee3c4"


def _record(message: str, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("ivrkit.server", logging.WARNING, __file__, 1, message, (), exc_info)


def test_a_line_outside_a_delivery_has_time_level_logger_and_message() -> None:
    line = json.loads(JsonFormatter().format(_record("spool replayed")))
    assert set(line) == {"time", "level", "logger", "message"}
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "ivrkit.server",
        "spool replayed",
    )
    assert line["time"].endswith("+00:00")


def test_an_exception_travels_in_the_same_line() -> None:
    try:
        raise ValueError("bad\nvalue")
    except ValueError as exc:
        text = JsonFormatter().format(_record("failed", exc))
    assert "\n" not in text
    assert json.loads(text)["exception"].endswith("ValueError: bad\nvalue")


def test_the_configuration_sends_uvicorn_through_the_same_formatter() -> None:
    config = log_config("json", "INFO")
    assert config["formatters"]["ivrkit"] == {"()": "ivrkit._logs.JsonFormatter"}
    assert config["root"] == {"handlers": ["ivrkit"], "level": "INFO"}
    assert config["loggers"]["uvicorn.access"] == {"handlers": [], "propagate": True}


def test_the_text_lines_show_the_time_as_logging_does() -> None:
    ours, standard = (
        TextFormatter(),
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"),
    )
    for created in (1_700_000_000.001, 1_700_000_000.999, 1_700_000_001.5, 1_700_000_000.25):
        record = _record("spool replayed")
        record.created, record.msecs = created, (created % 1) * 1000
        assert ours.format(record) == standard.format(record)


class _Writes(io.StringIO):
    """A stream that counts its writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


@contextmanager
def _batching(stream: Any) -> Iterator[logging.Logger]:
    """A logger of its own writing through a :class:`BatchingStreamHandler` to ``stream``;
    the handler is removed and closed (what waits is written) at the end."""
    handler = BatchingStreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(f"ivrkit.test.batching.{id(handler)}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)
        handler.close()


def test_info_lines_go_out_together_within_the_flush_interval() -> None:
    stream = _Writes()
    with _batching(stream) as logger:
        for number in range(50):
            logger.info("delivery %d", number)
        assert stream.getvalue() == ""  # held: no system call per line
        deadline = time.monotonic() + 20 * FLUSH_EVERY
        while stream.getvalue().count("\n") < 50 and time.monotonic() < deadline:
            time.sleep(FLUSH_EVERY / 4)
        assert stream.getvalue().splitlines() == [f"INFO delivery {n}" for n in range(50)]
        assert stream.writes == 1  # nothing else was logged: one write for the fifty lines


def test_a_warning_goes_out_at_once_after_the_lines_before_it() -> None:
    stream = _Writes()
    with _batching(stream) as logger:
        logger.info("first")
        logger.info("second")
        logger.warning("the store is failing")
        assert stream.getvalue().splitlines() == [
            "INFO first",
            "INFO second",
            "WARNING the store is failing",
        ]


def test_closing_the_handler_writes_what_waits() -> None:
    stream = _Writes()
    with _batching(stream) as logger:
        logger.info("last delivery")
        assert stream.getvalue() == ""
    assert stream.getvalue() == "INFO last delivery\n"  # closed as logging.shutdown does


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
def test_a_forked_child_flushes_its_own_lines(tmp_path: Path) -> None:
    path = tmp_path / "lines.txt"
    with path.open("w") as stream, _batching(stream) as logger:
        logger.info("parent line")  # the parent's flusher thread starts here
        pid = os.fork()
        if pid == 0:  # the child: log, give its flusher time, leave without flushing
            logger.info("child line")
            time.sleep(5 * FLUSH_EVERY)
            os._exit(0)
        os.waitpid(pid, 0)
    assert "INFO child line" in path.read_text().splitlines()


@pytest.fixture()
def json_lines() -> Iterator[io.StringIO]:
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("ivrkit")
    logger.addHandler(handler)
    try:
        yield captured
    finally:
        logger.removeHandler(handler)


def _lines(captured: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in captured.getvalue().splitlines()]


@pytest.mark.e2e
def test_every_line_of_a_delivery_carries_its_ids(tmp_path: Path, json_lines: io.StringIO) -> None:
    dead_hook = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens: the hook fails
    tree = parse_tree(hook_tree_text(dead_hook))
    app = create_app(tree, db=f"sqlite:///{tmp_path / 'ivrkit.db'}")
    with BackgroundServer(app) as server:
        for number in (1, 2):
            event = call_action(f"e-{number}", "1", session_id=f"s-{number}", action_id="main")
            assert httpx.post(server.url + "/webhooks/vca", json=event).status_code == 200
    logging.getLogger("ivrkit.server").warning("after the deliveries")

    lines = _lines(json_lines)
    failures = [line for line in lines if line["message"].startswith("hook ")]
    assert [(line["sessionId"], line["eventId"], line["clientActionId"]) for line in failures] == [
        ("s-1", "e-1", "main"),
        ("s-2", "e-2", "main"),
    ]
    assert all(line["logger"] == "ivrkit.trees" and line["level"] == "ERROR" for line in failures)
    assert "ConnectError" in failures[0]["exception"]
    assert "sessionId" not in lines[-1]  # no delivery is being handled any more


@pytest.mark.e2e
def test_serve_logs_json_lines(tmp_path: Path) -> None:
    dead_hook = f"http://127.0.0.1:{free_port()}/hook"
    tree_file = tmp_path / "hooked.yaml"
    tree_file.write_text(hook_tree_text(dead_hook), encoding="utf-8")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("IVRKIT_")}
    command = [sys.executable, "-c", "from ivrkit._cli import main; main()", "serve"]
    options = ["--port", str(port), "--db", f"sqlite:///{tmp_path / 'ivrkit.db'}"]
    options += ["--flow", str(tree_file), "--log-format", "json", "--verbose"]
    with subprocess.Popen(
        command + options,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_up(url, server)
            event = call_action("e-cli", "1", session_id="s-cli", action_id="main")
            assert httpx.post(url + "/webhooks/vca", json=event).status_code == 200
        finally:
            server.send_signal(signal.SIGINT)
            _, stderr = server.communicate(timeout=30)

    lines = [json.loads(line) for line in stderr.splitlines()]  # every line is one JSON object
    loggers = {line["logger"] for line in lines}
    assert {"uvicorn.error", "uvicorn.access", "ivrkit.trees", DELIVERIES} <= loggers
    (delivery,) = [line for line in lines if line["logger"] == DELIVERIES]
    assert (delivery["eventId"], delivery["outcome"], delivery["status"]) == (
        "e-cli",
        "answered",
        200,
    )
    (failure,) = [line for line in lines if line["logger"] == "ivrkit.trees"]
    assert (failure["sessionId"], failure["eventId"], failure["clientActionId"]) == (
        "s-cli",
        "e-cli",
        "main",
    )


def _wait_up(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    with httpx.Client(timeout=1) as client:  # one client: each costs a TLS context to make
        while time.monotonic() < deadline:
            assert server.poll() is None, "the server stopped while starting"
            try:
                if client.get(url + "/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
    raise AssertionError("the server did not start")


def test_each_delivery_is_one_line_with_its_fields(tmp_path: Path, json_lines: io.StringIO) -> None:
    from tests.asgi import InProcessServer
    from tests.conftest import load_fixture

    deliveries = logging.getLogger(DELIVERIES)
    deliveries.setLevel(logging.INFO)  # as `ivrkit serve` sets it unless --quiet
    try:
        app = create_app(
            parse_tree(hook_tree_text("http://127.0.0.1:9/hook")),
            db=f"sqlite:///{tmp_path / 'ivrkit.db'}",
        )
        with InProcessServer(app) as server, server.client() as http:
            event = call_action("e-1", "1", session_id="s-1", action_id="main")
            assert http.post("/webhooks/vca", json=event).status_code == 200
            assert http.post("/webhooks/vss", json=load_fixture(SUMMARY)).status_code == 200
            assert http.post("/webhooks/vca", content=b"{").status_code == 400
    finally:
        deliveries.setLevel(logging.NOTSET)
    lines = [line for line in _lines(json_lines) if line["logger"] == DELIVERIES]
    assert [
        (
            line["channel"],
            line["eventType"],
            line["sessionId"],
            line["eventId"],
            line["outcome"],
            line["status"],
        )
        for line in lines
    ] == [
        ("vca", "CALL_ACTION", "s-1", "e-1", "answered", 200),
        ("vss", "SESSION_SUMMARY", SUMMARY_SESSION, None, "summary", 200),
        ("vca", None, None, None, "bad-json", 400),
    ]
    assert all(line["level"] == "INFO" and line["latencyMs"] >= 0 for line in lines)
    assert lines[0]["message"].startswith("vca CALL_ACTION session=s-1 event=e-1 answered 200 ")


@pytest.mark.parametrize("deliveries", [True, False])
def test_serve_shows_a_line_per_delivery_unless_quiet(deliveries: bool) -> None:
    config = log_config("text", "WARNING", deliveries=deliveries)
    assert config["root"]["level"] == "WARNING"
    assert config["loggers"][DELIVERIES]["level"] == ("INFO" if deliveries else "WARNING")
    assert config["handlers"]["ivrkit"]["filters"] == ["numbers"]  # text is masked as JSON is


def test_serve_refuses_an_unknown_log_format() -> None:
    from typer.testing import CliRunner

    from ivrkit._cli.app import app
    from ivrkit.errors import ConfigError

    result = CliRunner().invoke(app, ["serve", "--log-format", "xml"])
    assert isinstance(result.exception, ConfigError)
    assert "--log-format takes 'text' or 'json', not 'xml'" in str(result.exception)
