"""The simulator refuses what a real platform would not take: huge bodies, phones that are not
numbers."""

from __future__ import annotations

import httpx
import pytest

from ivrkit._serving import BackgroundServer
from ivrkit.simulator import create_simulator


@pytest.fixture(scope="module")
def sim() -> object:
    with BackgroundServer(create_simulator()) as running:
        yield running


@pytest.mark.e2e
def test_a_body_over_a_mebibyte_is_413(sim: BackgroundServer) -> None:
    big = b'{"callflow": [' + b" " * (1024 * 1024) + b"]}"
    response = httpx.post(f"{sim.url}/api/v1/subaccounts/acme/callflows", content=big)
    assert response.status_code == 413
    assert response.json()["statusCode"] == 413


@pytest.mark.e2e
def test_a_chunked_body_over_the_limit_is_413_too(sim: BackgroundServer) -> None:
    def chunks() -> object:
        for _ in range(20):
            yield b"x" * 65536

    response = httpx.put(f"{sim.url}/sim/v1/phones/+6512345678", content=chunks())
    assert response.status_code == 413


@pytest.mark.e2e
def test_a_phone_must_be_a_number(sim: BackgroundServer) -> None:
    response = httpx.put(f"{sim.url}/sim/v1/phones/abc", json={"answer": "yes"})
    assert response.status_code == 400
    ok = httpx.put(f"{sim.url}/sim/v1/phones/+6512345678", json={"answer": "busy"})
    assert ok.status_code == 200
