"""The Dockerfile: ivrkit's webhook server as an image that runs as a user without privileges and
says when it is unhealthy (docs/install.md).

The build itself runs where a container builder answers (``docker`` or ``podman``); elsewhere it
is skipped, saying so. The checks of the file run everywhere.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from ivrkit._serving import free_port

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions of the final stage, continuation lines joined."""
    text = DOCKERFILE.replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    final = max(i for i, line in enumerate(lines) if line.upper().startswith("FROM "))
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines[final:]]


def test_the_image_serves_as_a_user_without_privileges_and_checks_its_health() -> None:
    steps = _instructions()
    users = [value for kind, value in steps if kind == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert ("ENTRYPOINT", '["ivrkit", "serve"]') in steps
    assert ("STOPSIGNAL", "SIGINT") in steps  # as deploy/ivrkit.service: in-flight work finishes
    (health,) = [value for kind, value in steps if kind == "HEALTHCHECK"]
    assert "/healthz" in health
    env = " ".join(value for kind, value in steps if kind == "ENV")
    assert "IVRKIT_HOST=0.0.0.0" in env and "IVRKIT_DB=sqlite:////data/" in env


def test_the_build_context_holds_what_the_dockerfile_copies() -> None:
    allowed = {
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    }
    copied = {
        word.rstrip("/")
        for line in DOCKERFILE.splitlines()
        if line.startswith("COPY ") and "--from" not in line
        for word in line.split()[1:-1]
    }
    assert copied == {"pyproject.toml", "README.md", "requirements.lock", "src"}
    assert copied <= allowed


def _builder() -> str | None:
    for tool in ("docker", "podman"):
        if shutil.which(tool) is None:
            continue
        info = subprocess.run([tool, "info"], capture_output=True, timeout=30, check=False)
        if info.returncode == 0:
            return tool
    return None


@pytest.mark.e2e
@pytest.mark.slow
def test_the_image_builds_and_answers_its_health_check() -> None:
    tool = _builder()
    if tool is None:
        pytest.skip("no container builder answers here (docker info / podman info failed)")
    tag = f"ivrkit-test:{uuid.uuid4().hex[:12]}"
    name = f"ivrkit-test-{uuid.uuid4().hex[:12]}"
    port = free_port()
    build = subprocess.run(
        [tool, "build", "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=280
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    try:
        user = subprocess.run(
            [tool, "image", "inspect", "-f", "{{.Config.User}}", tag],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        assert user.stdout.strip() == "ivrkit"
        subprocess.run(
            [tool, "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8080", tag],
            capture_output=True,
            timeout=60,
            check=True,
        )
        deadline = time.monotonic() + 60
        answer: httpx.Response | None = None
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert answer is not None and answer.status_code == 200, answer
        assert answer.json()["status"] == "ok"
    finally:
        subprocess.run([tool, "rm", "-f", name], capture_output=True, timeout=60, check=False)
        subprocess.run([tool, "rmi", "-f", tag], capture_output=True, timeout=60, check=False)
