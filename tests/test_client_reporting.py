"""The client's recordings and log-export methods, sync and async, against the simulator (in
process through ASGITransport, and over real HTTP)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import httpx
import pytest

from ivrkit._serving import BackgroundServer
from ivrkit.client import AsyncVoiceClient, VoiceClient
from ivrkit.client._base import export_time
from ivrkit.errors import NotFoundError
from ivrkit.simulator import create_simulator
from ivrkit.wire import MakeCall, MakeCallParams, RecordingPushConfigRequest, hangup, say

SFTP = RecordingPushConfigRequest(
    protocol="SFTP", host="172.30.2.61", port=22, username="me", password="pw", path="/rec/"
)


@pytest.fixture
def sim_url() -> Iterator[str]:
    with BackgroundServer(create_simulator()) as server:
        yield server.url


def test_sync_client_push_config_and_log_exports(sim_url: str) -> None:
    with VoiceClient("key", "acme", base_url=sim_url, validate=False) as client:
        with pytest.raises(NotFoundError):
            client.recording_push_config()
        created = client.set_recording_push_config(SFTP)
        assert (created.protocol, created.host, created.port) == ("SFTP", "172.30.2.61", 22)
        assert created.password_set is True and "password" not in created.to_wire()
        assert client.recording_push_config().path == "/rec/"
        assert client.delete_recording_push_config().delete is True
        started = client.start_log_export(date(2020, 7, 1), date(2020, 7, 2), limit=0)
        assert client.log_export(started.job_id).status == "empty"
        client.cancel_log_export(started.job_id)
        assert client.log_export(started.job_id).status == "cancelled"
        with pytest.raises(NotFoundError) as caught:
            client.log_export("no-such-job")
        assert (caught.value.status_code, caught.value.status_message) == (4018, "Invalid jobId")


@pytest.mark.anyio
async def test_async_client_records_a_call_and_exports_it() -> None:
    app = create_simulator()
    state = app.state.simulator
    transport = httpx.ASGITransport(app=app)
    try:
        async with AsyncVoiceClient(
            "key", "acme", base_url="http://simulator", transport=transport
        ) as client:
            await client.set_recording_push_config(SFTP)
            params = MakeCallParams(
                source="6561115777", destination="6512345678", call_recording=True
            )
            sent = await client.send_callflow(
                [MakeCall(params=params), say("Hello there", "en-US-BenjaminRUS"), hangup()]
            )
            assert sent.session_id is not None
            await asyncio.wait_for(state.sessions[sent.session_id].ended.wait(), 5)

            async def uploaded() -> str | None:
                while True:
                    answer = await client.recordings(sent.session_id or "")
                    if answer.recordings and answer.recordings[0].status != "PROCESSING":
                        return answer.recordings[0].status
                    await asyncio.sleep(0.01)

            assert await asyncio.wait_for(uploaded(), 5) == "UPLOAD_COMPLETED"
            job = await client.start_log_export()
            result = await client.log_export(job.job_id)
            assert result.done and result.status == "succeeded" and result.data
            await client.cancel_log_export(job.job_id)
            assert (await client.log_export(job.job_id)).status == "cancelled"
            with pytest.raises(NotFoundError):
                await client.recordings("00000000-0000-0000-0000-000000000000")
    finally:
        await state.aclose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (None, None),
        ("2020-07-01T13:00:00", "2020-07-01T13:00:00"),
        (date(2020, 7, 1), "2020-07-01"),
        (datetime(2020, 7, 1, 13, 0, 0, 123, tzinfo=UTC), "2020-07-01T13:00:00Z"),
        (datetime(2020, 7, 1, 13, 0, 0), "2020-07-01T13:00:00Z"),
        (
            datetime(2020, 7, 1, 13, 0, 0, tzinfo=timezone(timedelta(hours=7))),
            "2020-07-01T13:00:00+07:00",
        ),
    ],
)
def test_export_times_are_written_the_way_the_platform_reads_them(
    value: object, wire: str | None
) -> None:
    assert export_time(value) == wire  # type: ignore[arg-type]
