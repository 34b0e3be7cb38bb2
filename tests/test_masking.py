"""Every output masks a phone number the same way (:mod:`ivrkit._masking`): the CLI's session
listing and report (table, JSON, CSV), the dashboard's pages, JSON and CSV, and the log lines."""

from __future__ import annotations

import csv
import io
import json
import logging
import logging.config
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import anyio
import httpx
import pytest
from typer.testing import CliRunner

from ivrkit._cli import app
from ivrkit._logs import log_config
from ivrkit._masking import MASK, mask_number, mask_numbers_in
from ivrkit.dashboard import DashboardSettings, standalone_app
from ivrkit.store import open_store

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
NUMBERS = ["+6512345678", "+1234", "+123456"]
"""A usual number, a short one (masked whole) and one just long enough to show four digits."""

runner = CliRunner()


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("+6512345678", "•••••5678"),
        ("6512345678", "•••••5678"),
        ("+65 1234-5678", "•••••5678"),
        ("+1234", MASK),
        ("1234", MASK),
        ("+12345", "•••••2345"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_number(number: str | None, shown: str) -> None:
    assert mask_number(number) == shown
    assert mask_number(number, show=True) == (number or "")


def test_numbers_in_text_are_masked_and_nothing_else() -> None:
    text = 'call +6512345678 to {"destination":"+1234"} at 12:00, session 20260302, +1 more'
    assert mask_numbers_in(text) == (
        'call •••••5678 to {"destination":"•••••"} at 12:00, session 20260302, +1 more'
    )
    assert mask_numbers_in(text, show=True) == text


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('masking') / 'ivrkit.db'}"
    with open_store(url, upgrade=True) as store:
        for index, number in enumerate(NUMBERS):
            store.record_outbound_call(
                f"sess-{index}",
                at=NOW - timedelta(minutes=10 + index),
                customer=number,
                sub_account_id="acc",
                flow="simple_ivr",
                request_id=f"r-{index}",
            )
    yield url


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def cli_outputs(db: str, number: str) -> dict[str, str]:
    """What the CLI shows of ``number``, by output."""
    listed = json.loads(cli("sessions", "--db", db, "--json"))
    shown = {row["sessionId"]: row["customer"] for row in listed}
    until = ("--until", NOW.isoformat(), "--number", number, "--db", db)
    body = json.loads(cli("report", *until, "--json"))
    rows = list(csv.DictReader(io.StringIO(cli("report", *until, "--csv", "--table", "overview"))))
    table = cli("report", *until)
    (heading,) = [line for line in table.splitlines() if "number " in line]
    return {
        "sessions --json": shown[f"sess-{NUMBERS.index(number)}"],
        "report --json": body["filters"]["number"],
        "report --csv": rows[0]["number"],
        "report table": heading.split("number ", 1)[1].split(")")[0].split(",")[0],
    }


async def get_all(asgi: object, paths: list[str]) -> list[str]:
    """The bodies of GETs of ``paths``, served in process."""
    transport = httpx.ASGITransport(app=asgi)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        answers = [await client.get(path) for path in paths]
    for answer in answers:
        assert answer.status_code == 200, (answer.url, answer.text[:300])
    return [answer.text for answer in answers]


def dashboard_outputs(db: str, number: str, *, show: bool = False) -> dict[str, str]:
    """What the dashboard shows of ``number``, by output."""
    session_id = f"sess-{NUMBERS.index(number)}"
    settings = DashboardSettings(clock=lambda: NOW, show_numbers=show)
    paths = [
        "/dashboard/api/sessions",
        f"/dashboard/api/sessions/{session_id}",
        "/dashboard/sessions.csv",
        "/dashboard/sessions",
        f"/dashboard/sessions/{session_id}",
    ]
    with open_store(db) as store:
        texts = anyio.run(get_all, standalone_app(store, settings), paths)
    listed = json.loads(texts[0])["sessions"]
    one = json.loads(texts[1])["session"]
    rows = {row["session_id"]: row for row in csv.DictReader(io.StringIO(texts[2]))}
    page, detail = texts[3], texts[4]
    (shown,) = [row["customer"] for row in listed if row["sessionId"] == session_id]
    marker = 'data-testid="session-customer">'
    return {
        "api sessions": shown,
        "api session": one["customer"],
        "sessions.csv": rows[session_id]["customer"],
        "session page": detail.split(marker, 1)[1].split("<", 1)[0],
        "sessions page": shown if shown in page else f"{shown!r} missing from the page",
    }


def log_output(number: str, capsys: pytest.CaptureFixture[str], log_format: str) -> str:
    # dictConfig replaces handlers without taking them off their loggers: keep what every logger
    # had and put it back, so no later test logs to this test's captured (then closed) stream.
    loggers = [logging.getLogger(name) for name in ("", "ivrkit", "uvicorn", "uvicorn.error")]
    loggers += [logging.getLogger(name) for name in logging.root.manager.loggerDict]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate, lg.disabled) for lg in loggers]
    logging.config.dictConfig(log_config(log_format, "INFO"))  # type: ignore[arg-type]
    try:
        logging.getLogger("ivrkit.test").warning("calling %s now", number)
    finally:
        for logger, handlers, level, propagate, disabled in saved:
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate
            logger.disabled = disabled
    line = capsys.readouterr().err.strip().splitlines()[-1]
    if log_format == "json":
        line = json.loads(line)["message"]
    return line.split("calling ", 1)[1].removesuffix(" now")


@pytest.mark.parametrize("number", NUMBERS)
def test_every_output_masks_a_number_alike(
    db: str, number: str, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = {
        **cli_outputs(db, number),
        **dashboard_outputs(db, number),
        "log text": log_output(number, capsys, "text"),
        "log json": log_output(number, capsys, "json"),
    }
    assert outputs == dict.fromkeys(outputs, mask_number(number))
    assert number.lstrip("+") not in json.dumps(outputs)


@pytest.mark.parametrize("number", NUMBERS)
def test_shown_numbers_are_whole_in_every_output(db: str, number: str) -> None:
    listed = json.loads(cli("sessions", "--db", db, "--json", "--show-numbers"))
    shown = {row["sessionId"]: row["customer"] for row in listed}
    body = json.loads(
        cli(
            "report",
            "--until",
            NOW.isoformat(),
            "--number",
            number,
            "--db",
            db,
            "--json",
            "--show-numbers",
        )
    )
    outputs = {
        "sessions --json": shown[f"sess-{NUMBERS.index(number)}"],
        "report --json": body["filters"]["number"],
        **dashboard_outputs(db, number, show=True),
    }
    assert outputs == dict.fromkeys(outputs, number)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("1", "1"),  # a menu choice says only which way the caller went
        ("#", "#"),
        ("12", "12"),
        ("123", MASK),  # a short code is masked whole, as a short number is
        ("4017", MASK),
        ("40178823", "•••••8823"),
        ("", ""),
        (None, ""),
    ],
)
def test_typed_digits_are_masked_as_numbers_are(typed: str | None, shown: str) -> None:
    from ivrkit._masking import mask_digits

    assert mask_digits(typed) == shown
    assert mask_digits(typed, show=True) == (typed or "")
