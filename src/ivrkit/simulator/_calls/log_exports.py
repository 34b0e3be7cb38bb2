"""Log exports (the Reporting API): a job turns the subaccount's finished calls in a date range
into a CSV file, one row per call leg, with the columns the platform documents.

A job is ``running`` for ``log_export_seconds`` of simulated time, then ``succeeded`` (with a
download link valid ``log_export_days``) or ``empty`` when no call matched; a cancelled job stays
``cancelled``. Rows are taken when the job starts, as a report of the calls up to then.
"""

from __future__ import annotations

import csv
import io
import math
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import phonenumbers

from ivrkit.simulator._calls.legs import LegState
from ivrkit.simulator._calls.session import Session
from ivrkit.simulator._calls.transcript import Spoken
from ivrkit.simulator._timelines import iso_ms, iso_s
from ivrkit.wire import LogExportStatus

__all__ = ["COLUMNS", "ExportJob", "LogExports", "ReportRange", "csv_rows"]

COLUMNS: tuple[str, ...] = (
    "SessionId", "CallId", "AccountId", "SubAccountId", "Direction",
    "SourceCountryCode", "SourceCountry", "SourceOperator", "SourceMCC", "SourceMNC",
    "SourceEndpoint", "DestinationCountryCode", "DestinationCountry", "DestinationOperator",
    "DestinationMCC", "DestinationMNC", "DestinationEndpoint", "InitiatedAt", "ConnectedAt",
    "DisconnectedAt", "DurationInSec", "Product", "BillingUnit", "BillingIncrement",
    "BillableDurationInSec", "UnitPrice", "UnitPriceCurrency", "TotalPriceOfCall", "CallType",
    "SipStatus", "SessionStatus", "CallStatus", "TTSLength", "MOS", "Content",
)  # fmt: skip
"""The CSV header, in the documented order."""

ACCOUNT_ID = "ivrkit-simulator"
DEFAULT_DAYS = 7
BILLING_SECONDS = 60

_WHEN = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?(?:Z|[+-]\d{2}:\d{2})?)?$"
)


class BadRange(ValueError):
    """A `from`/`to` that cannot be read, or a range that ends before it starts."""


@dataclass(frozen=True)
class ReportRange:
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, start: str | None, end: str | None, now: datetime) -> ReportRange:
        """`from` defaults to 7 days before today (UTC), `to` to now. A bare date as `to`
        includes that whole day."""
        today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        first = today - timedelta(days=DEFAULT_DAYS) if start is None else _moment("from", start)
        last = now if end is None else _moment("to", end, end_of_day=True)
        if not first < last:
            raise BadRange("from must be before to")
        return cls(first, last)


def _moment(name: str, text: str, *, end_of_day: bool = False) -> datetime:
    if not _WHEN.match(text):
        raise BadRange(
            f"{name} must be yyyy-MM-dd, yyyy-MM-ddTHH:mm:ssZ or yyyy-MM-ddTHH:mm:ss+hh:mm"
        )
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRange(f"{name} is not a real date: {text}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end_of_day and "T" not in text:
        moment += timedelta(days=1)
    return moment


@dataclass
class ExportJob:
    job_id: str
    sub_account_id: str
    created: datetime
    rows: list[dict[str, str]]
    token: str
    cancelled: bool = False

    def status(self, now: datetime, seconds: float) -> LogExportStatus:
        if self.cancelled:
            return LogExportStatus.CANCELLED
        if now < self.ready_at(seconds):
            return LogExportStatus.RUNNING
        return LogExportStatus.SUCCEEDED if self.rows else LogExportStatus.EMPTY

    def ready_at(self, seconds: float) -> datetime:
        return self.created + timedelta(seconds=seconds)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(self.rows)
        return out.getvalue()


class LogExports:
    """Export jobs by id, and their files by download token."""

    def __init__(self) -> None:
        self._jobs: dict[str, ExportJob] = {}

    def start(self, sub_account_id: str, rows: list[dict[str, str]], now: datetime) -> ExportJob:
        job = ExportJob(
            job_id=secrets.token_urlsafe(48),
            sub_account_id=sub_account_id,
            created=now,
            rows=rows,
            token=secrets.token_urlsafe(32),
        )
        self._jobs[job.job_id] = job
        return job

    def get(self, sub_account_id: str, job_id: str) -> ExportJob | None:
        job = self._jobs.get(job_id)
        return job if job is not None and job.sub_account_id == sub_account_id else None

    def by_token(self, sub_account_id: str, token: str) -> ExportJob | None:
        for job in self._jobs.values():
            if job.sub_account_id == sub_account_id and secrets.compare_digest(job.token, token):
                return job
        return None

    def clear(self) -> None:
        self._jobs.clear()


def csv_rows(
    sessions: list[Session], sub_account_id: str, span: ReportRange, limit: int | None
) -> list[dict[str, str]]:
    """One row per leg of each finished session of the subaccount that started in the range,
    oldest first; ``limit`` 0 or None means every row."""
    rows: list[dict[str, str]] = []
    chosen = [
        s
        for s in sessions
        if s.sub_account_id == sub_account_id
        and s.summary is not None
        and span.start <= s.started_at < span.end
    ]
    for session in sorted(chosen, key=lambda s: s.started_at):
        for leg in session.legs.values():
            rows.append(_row(session, leg))
    return rows[:limit] if limit else rows


def _row(session: Session, leg: LegState) -> dict[str, str]:
    summary = session.summary
    assert summary is not None  # csv_rows keeps finished sessions only
    end = leg.disconnected or session.ended_at or session.now()
    duration = leg.duration(end)
    billable = math.ceil(duration / BILLING_SECONDS) * BILLING_SECONDS
    details = summary.payload.details or {}
    wire_leg = details.get(leg.key)
    quality = wire_leg.call_quality if wire_leg is not None else None
    spoken = sum(
        len(entry.text) * entry.repetition
        for entry in session.entries
        if isinstance(entry, Spoken) and entry.leg == leg.key
    )
    row = {
        "SessionId": session.id,
        "CallId": leg.call_id,
        "AccountId": ACCOUNT_ID,
        "SubAccountId": session.sub_account_id,
        "Direction": leg.direction,
        **_party("Source", leg.source),
        **_party("Destination", leg.destination),
        "InitiatedAt": iso_s(leg.initiated),
        "ConnectedAt": iso_s(leg.connected) if leg.connected else "",
        "DisconnectedAt": iso_s(end),
        "DurationInSec": str(duration),
        "Product": "Voice",
        "BillingUnit": "Minute",
        "BillingIncrement": f"{BILLING_SECONDS}+{BILLING_SECONDS}",
        "BillableDurationInSec": str(billable),
        "UnitPrice": "0",
        "UnitPriceCurrency": "USD",
        "TotalPriceOfCall": "0",
        "CallType": "PSTN",
        "SipStatus": str(leg.sip_code),
        "SessionStatus": summary.payload.session_status or "",
        "CallStatus": leg.status or "",
        "TTSLength": str(spoken) if spoken else "",
        "MOS": f"{quality.mos:g}" if quality is not None and quality.mos is not None else "",
        "Content": "",
    }
    return row


def _party(prefix: str, number: str) -> dict[str, str]:
    code = country = operator = ""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None:
        # Imported here: their data tables take most of a second to load, and only log
        # exports use them.
        from phonenumbers import carrier, geocoder

        code = str(parsed.country_code or "")
        country = geocoder.country_name_for_number(parsed, "en")
        operator = carrier.name_for_number(parsed, "en")
    return {
        f"{prefix}CountryCode": code,
        f"{prefix}Country": country,
        f"{prefix}Operator": operator,
        f"{prefix}MCC": "",
        f"{prefix}MNC": "",
        f"{prefix}Endpoint": number,
    }


def expires(job: ExportJob, seconds: float, days: int) -> str:
    """When the download link stops working: ``days`` after the job finished."""
    return iso_ms(job.ready_at(seconds) + timedelta(days=days))
