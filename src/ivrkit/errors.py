"""The one exception hierarchy of ivrkit.

IvrkitError
├── ConfigError            bad settings, flags or environment
├── ValidationFailed       a callflow the platform would refuse (carries the status code)
├── TreeError              an IVR tree that cannot be loaded (file, line, column)
│   └── CalendarError           a calendar (or its .ics) that cannot be read or checked
├── StoreError             the session store cannot be reached or used (may pass: retry)
│   ├── StoreRefused            the store refused this record's data (retrying will not help)
│   ├── StoreNotFound           no store where the URL points (commands that read never create one)
│   └── StoreSchemaError        its schema revision is behind or ahead of this ivrkit's
├── WrongLayerError        a wire action where a tree node belongs, or a tree node in a callflow
├── CampaignError          a campaign that does not exist, or cannot do what was asked
│   ├── ContactsRefused         a contacts file with bad rows (each with its line and reason)
│   └── WorkerConflict          a second worker on a SQLite campaign
├── AnalyticsError         a time window or filter that path analytics cannot read
├── SimulatorControlError  the simulator's control API refused a request
│   └── SimulatorTimeout        waiting on a simulated call took too long
└── ApiError               the Voice API answered with a failure
    ├── AuthenticationError     401: missing or wrong API key
    ├── NotFoundError           404: unknown subaccount or resource
    ├── CallflowRejected        a negative platform status code (-10xx)
    ├── RateLimited             429 after every retry
    ├── ServerError             5xx after every retry
    └── TransportError          the API could not be reached (connection, timeout)
"""

from __future__ import annotations


class IvrkitError(Exception):
    """Root of every error ivrkit raises on purpose."""


class ConfigError(IvrkitError):
    """A setting is missing or wrong; the message says which and how to set it."""


class TreeError(IvrkitError):
    """An IVR tree file could not be loaded."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        where = ""
        if file is not None:
            where = file
            if line is not None:
                where += f":{line}"
                if column is not None:
                    where += f":{column}"
            where += ": "
        super().__init__(f"{where}{message}")
        self.detail = message


class CalendarError(TreeError):
    """A routing calendar, its iCalendar import, or a moment asked of it, is not usable."""


class StoreError(IvrkitError):
    """The store could not be opened or written (connection, lock or timeout: may pass)."""


class StoreRefused(StoreError):
    """The store refused a record for what it holds (a value out of range, a broken
    constraint): the same record will be refused again, so it is quarantined, not retried."""


class StoreNotFound(StoreError):
    """``open_store(url, create=False)`` found no store there (no SQLite file, or a database
    without ivrkit's tables): nothing was created."""


class WrongLayerError(IvrkitError, TypeError):
    """An object of one layer was given to the other: a wire action (``ivrkit.Say``, what the
    platform receives) where a tree node (``ivrkit.trees.SayNode``) belongs, or the reverse."""


class StoreSchemaError(StoreError):
    """The store's schema revision is not the one this ivrkit writes; the message says what to run.

    ``current`` is the revision the database records (None: made before migrations), ``head``
    the one this ivrkit needs; ``behind`` tells whether ``ivrkit db upgrade`` is the fix.
    """

    def __init__(self, message: str, *, current: str | None, head: str, behind: bool) -> None:
        super().__init__(message)
        self.current = current
        self.head = head
        self.behind = behind


class AnalyticsError(IvrkitError, ValueError):
    """A time window or a filter that path analytics cannot read; the message says what to write."""


class CampaignError(IvrkitError):
    """A campaign is unknown, or cannot do what was asked in its state."""


class ContactsRefused(CampaignError):
    """A contacts file has rows that cannot be called; ``problems`` holds ``(line, reason)``."""

    def __init__(self, message: str, problems: list[tuple[int, str]]) -> None:
        super().__init__(message)
        self.problems = problems


class WorkerConflict(CampaignError):
    """Another worker runs this campaign and the store allows only one (SQLite)."""


class SimulatorControlError(IvrkitError):
    """The simulator's control API refused a request (or could not be reached)."""

    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class SimulatorTimeout(SimulatorControlError, TimeoutError):
    """A simulated session did not end within the time allowed."""


class ValidationFailed(IvrkitError):
    """A callflow breaks the platform's rules; ``status_code`` is the code the API would give."""

    def __init__(self, status_code: int, status_message: str) -> None:
        super().__init__(f"{status_code} {status_message}")
        self.status_code = status_code
        self.status_message = status_message


class ApiError(IvrkitError):
    """The Voice API refused or failed a request."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        status_code: int | None = None,
        status_message: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.status_code = status_code
        self.status_message = status_message
        self.request_id = request_id

    @property
    def call_flow_request_id(self) -> str | None:
        """The platform's `callFlowRequestId` of the failed request, when it gave one."""
        return self.request_id


class AuthenticationError(ApiError):
    """401: the API key is missing or wrong."""


class NotFoundError(ApiError):
    """404: the subaccount (or the resource) does not exist."""


class CallflowRejected(ApiError):
    """The platform refused the callflow with a negative status code."""


class RateLimited(ApiError):
    """429 after every retry; ``retry_after`` is the seconds the last answer's ``Retry-After``
    asked for (None when it gave none), so a caller pacing many calls knows when to come back."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        http_status: int | None = None,
        status_code: int | None = None,
        status_message: str | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            http_status=http_status,
            status_code=status_code,
            status_message=status_message,
            request_id=request_id,
        )
        self.retry_after = retry_after


class ServerError(ApiError):
    """5xx after every retry."""


class TransportError(ApiError):
    """The API could not be reached: connection refused, DNS, or timeout."""


__all__ = [
    "AnalyticsError",
    "ApiError",
    "AuthenticationError",
    "CalendarError",
    "CallflowRejected",
    "CampaignError",
    "ConfigError",
    "ContactsRefused",
    "IvrkitError",
    "NotFoundError",
    "RateLimited",
    "ServerError",
    "SimulatorControlError",
    "SimulatorTimeout",
    "StoreError",
    "StoreNotFound",
    "StoreRefused",
    "StoreSchemaError",
    "TransportError",
    "TreeError",
    "ValidationFailed",
    "WorkerConflict",
    "WrongLayerError",
]
