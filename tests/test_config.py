"""Settings come from flags, then IVRKIT_* variables, then a .env file."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivrkit._config import Settings
from tests.cli.run import ivrkit


def test_env_file_then_environment_then_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "IVRKIT_API_KEY=from-file\nIVRKIT_SUBACCOUNT=acme\nIVRKIT_DB=sqlite:///file.db\n"
    )
    assert Settings().api_key == "from-file"
    monkeypatch.setenv("IVRKIT_API_KEY", "from-env")
    settings = Settings()
    assert (settings.api_key, settings.subaccount) == ("from-env", "acme")
    assert Settings(api_key="from-flag").api_key == "from-flag"


def test_defaults_without_any_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.api_base == "https://voice.8x8.com"
    assert settings.db == "sqlite:///ivrkit.db"
    assert settings.api_key is None


@pytest.mark.parametrize("port", [-1, 65536, 99999])
def test_a_port_outside_0_to_65535_is_refused(
    port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="port"):
        Settings(port=port)


def test_the_tree_size_limit_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert Settings().max_tree_bytes == 1024 * 1024
    monkeypatch.setenv("IVRKIT_MAX_TREE_BYTES", "2000000")
    assert Settings().max_tree_bytes == 2_000_000


@pytest.mark.parametrize("command", [("dashboard",), ("serve", "--dashboard")])
@pytest.mark.parametrize("token", ["", "   "])
def test_an_empty_dashboard_token_is_one_line(
    tmp_path: Path, command: tuple[str, ...], token: str
) -> None:
    ran = ivrkit(*command, cwd=tmp_path, env={"IVRKIT_DASHBOARD_TOKEN": token}, columns=300)
    assert ran.returncode == 1
    assert "Traceback" not in ran.stderr
    assert ran.stderr.strip().splitlines() == [
        "error: setting dashboard_token (IVRKIT_DASHBOARD_TOKEN): Value error, it is empty: "
        "give a long random string, or unset it"
    ]
