"""The Recording API under the vendor's paths: the push configuration (create, read, delete) and
the recordings of a session (``GET /recordings/{sessionId}``)."""

from __future__ import annotations

import re

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from ivrkit.simulator._bodies import BadJson, read_json
from ivrkit.simulator._state import SimulatorState
from ivrkit.simulator._vendor.answers import (
    PREFIX,
    Endpoint,
    Guard,
    invalid_param,
    known_fields,
    not_found,
    wire_json,
)
from ivrkit.wire import RecordingPushConfig, RecordingPushConfigRequest, RecordingsResponse

__all__ = ["recording_routes"]

_UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
_NO_CONFIG = "Recording push config not found"


def _answer(
    sub: str, config: RecordingPushConfigRequest, *, deleted: bool = False
) -> RecordingPushConfig:
    """The configuration as the API shows it: never the password, only whether there is one."""
    answer = RecordingPushConfig(
        sub_account_id=sub,
        protocol=config.protocol.value,
        host=config.host,
        password_set=bool(config.password),
        status_code=0,
        status_message="ok",
    )
    for name in ("port", "username", "path"):
        value = getattr(config, name)
        if value is not None:
            setattr(answer, name, value)
    if deleted:
        answer.delete = True
    return answer


class RecordingApi:
    def __init__(self, state: SimulatorState) -> None:
        self.state = state

    async def get_config(self, request: Request, sub: str) -> Response:
        config = self.state.recordings.config(sub)
        if config is None:
            return not_found(_NO_CONFIG)
        return wire_json(_answer(sub, config))

    async def set_config(self, request: Request, sub: str) -> Response:
        try:
            data = read_json(await request.body())
        except BadJson:
            return invalid_param("1001", "Invalid JSON request body")
        try:
            config = RecordingPushConfigRequest.model_validate(
                known_fields(data, RecordingPushConfigRequest.wire_names())
            )
        except ValidationError as exc:
            where = ".".join(str(part) for part in exc.errors()[0]["loc"]) or "body"
            return invalid_param("1002", f"Invalid param: {where}")
        self.state.recordings.configure(sub, config)
        return wire_json(_answer(sub, config))

    async def delete_config(self, request: Request, sub: str) -> Response:
        removed = self.state.recordings.remove(sub)
        if removed is None:
            return not_found(_NO_CONFIG)
        return wire_json(_answer(sub, removed, deleted=True))

    async def recordings(self, request: Request, sub: str) -> Response:
        session_id = str(request.path_params["session_id"])
        session = self.state.sessions.get(session_id) if _UUID.match(session_id) else None
        if session is None or session.sub_account_id != sub:
            return not_found(f"Session not found : {session_id}")
        made = self.state.recordings.of_session(session.id)
        answer = RecordingsResponse(
            recordings=[recording.to_wire() for recording in made],
            status_code=0,
            status_message="ok",
        )
        return wire_json(answer)


def recording_routes(state: SimulatorState, guarded: Guard) -> list[tuple[str, str, Endpoint]]:
    """(path, method, endpoint) of the Recording API."""
    api = RecordingApi(state)
    config = f"{PREFIX}/recording-push-config"
    return [
        (config, "GET", guarded(api.get_config)),
        (config, "POST", guarded(api.set_config)),
        (config, "DELETE", guarded(api.delete_config)),
        (f"{PREFIX}/recordings/{{session_id}}", "GET", guarded(api.recordings)),
    ]
