"""Shared test fixtures: the vendor's example payloads and a clean IVRKIT_* environment."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

# Property tests check behaviour, never speed: on a loaded machine an example may take seconds.
settings.register_profile("ivrkit", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ivrkit")

# The vendor's payloads live in the repository (tests/data/README.md says where they come from).
SPEC_DIR = Path(__file__).resolve().parent / "data"
FIXTURES = SPEC_DIR / "fixtures"


def load_fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def fixture_names(prefix: str = "") -> list[str]:
    return sorted(p.name for p in FIXTURES.glob(f"{prefix}*.json"))


@pytest.fixture(autouse=True)
def _clean_ivrkit_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's IVRKIT_* settings (the Postgres test URL is kept)."""
    for key in list(os.environ):
        if key.startswith("IVRKIT_") and key != "IVRKIT_TEST_POSTGRES_URL":
            monkeypatch.delenv(key, raising=False)
    yield
