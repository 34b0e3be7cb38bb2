"""The Reporting API's log exports under the vendor's paths: start a job, poll it, cancel it,
and download its CSV file from the link a finished job gives."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from ivrkit.simulator._bodies import BadJson, read_json
from ivrkit.simulator._calls.log_exports import BadRange, ReportRange, csv_rows, expires
from ivrkit.simulator._state import SimulatorState
from ivrkit.simulator._vendor.answers import (
    PREFIX,
    Endpoint,
    Guard,
    export_error,
    known_fields,
    wire_json,
)
from ivrkit.wire import LogExportJob, LogExportRequest, LogExportStarted, LogExportStatus

__all__ = ["export_routes"]

INVALID_JOB = 4018
"""The platform's code for an unknown job id (``Invalid jobId``)."""
INVALID_REQUEST = 4000
"""The simulator's code for a start request it cannot read (the platform documents none)."""


class ExportApi:
    def __init__(self, state: SimulatorState) -> None:
        self.state = state

    async def start(self, request: Request, sub: str) -> Response:
        try:
            data = read_json(await request.body(), empty={})
            body = LogExportRequest.model_validate(
                known_fields(data, LogExportRequest.wire_names())
            )
            now = self.state.clock.now()
            span = ReportRange.parse(body.from_, body.to, now)
        except BadJson as exc:
            return export_error(400, INVALID_REQUEST, f"Invalid request body: {exc}")
        except ValidationError as exc:
            where = ".".join(str(part) for part in exc.errors()[0]["loc"]) or "body"
            return export_error(400, INVALID_REQUEST, f"Invalid param: {where}")
        except BadRange as exc:
            return export_error(400, INVALID_REQUEST, f"Invalid param: {exc}")
        sessions = list(self.state.sessions.values())
        rows = csv_rows(sessions, sub, span, body.limit)
        job = self.state.log_exports.start(sub, rows, now)
        return wire_json(LogExportStarted(job_id=job.job_id), 202)

    async def result(self, request: Request, sub: str) -> Response:
        job = self.state.log_exports.get(sub, str(request.path_params["job_id"]))
        if job is None:
            return export_error(404, INVALID_JOB, "Invalid jobId")
        config = self.state.config
        status = job.status(self.state.clock.now(), config.log_export_seconds)
        if status is not LogExportStatus.SUCCEEDED:
            return wire_json(LogExportJob(status=status))
        link = str(request.url_for("log_export_download", sub_account_id=sub, token=job.token))
        answer = LogExportJob(
            status=status,
            data=[link],
            expires=expires(job, config.log_export_seconds, config.log_export_days),
        )
        return wire_json(answer)

    async def cancel(self, request: Request, sub: str) -> Response:
        job = self.state.log_exports.get(sub, str(request.path_params["job_id"]))
        if job is None:
            return export_error(404, INVALID_JOB, "Invalid jobId")
        job.cancelled = True
        return Response(status_code=204)

    async def download(self, request: Request) -> Response:
        """The file behind a job's link: the long token is the credential, as on the platform."""
        sub = str(request.path_params["sub_account_id"])
        job = self.state.log_exports.by_token(sub, str(request.path_params["token"]))
        config = self.state.config
        now = self.state.clock.now()
        if job is None or job.status(now, config.log_export_seconds) is not (
            LogExportStatus.SUCCEEDED
        ):
            return JSONResponse({"code": 404, "message": "Not found"}, status_code=404)
        headers = {"Content-Disposition": f'attachment; filename="voice-logs-{sub}.csv"'}
        return Response(job.csv(), media_type="text/csv", headers=headers)


def export_routes(state: SimulatorState, guarded: Guard) -> list[tuple[str, str, Endpoint]]:
    """(path, method, endpoint) of the log-export operations."""
    api = ExportApi(state)
    jobs = f"{PREFIX}/messages/exports"
    return [
        (jobs, "POST", guarded(api.start)),
        (f"{jobs}/{{job_id}}", "GET", guarded(api.result)),
        (f"{jobs}/{{job_id}}", "DELETE", guarded(api.cancel)),
    ]


def export_downloads(state: SimulatorState) -> list[BaseRoute]:
    """Where finished jobs' links point (not an operation of the OpenAPI document)."""
    api = ExportApi(state)
    path = f"{PREFIX}/messages/download/{{token}}"
    return [Route(path, api.download, methods=["GET"], name="log_export_download")]
