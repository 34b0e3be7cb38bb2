"""Phone scenario files (YAML or JSON), the config that starts a simulator with one, and
``ivrkit simulator --phones/--rate-limit`` as a person runs it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ivrkit._serving import free_port
from ivrkit.errors import ConfigError
from ivrkit.simulator import Answer, PhoneScript, SimulatorConfig, SimulatorControl
from ivrkit.simulator._account.scenario import load_scenario
from tests.cli.run import ivrkit
from tests.conftest import load_fixture
from tests.simulator.conftest import SUB

SCENARIO = """\
# unquoted yes and numbers, as people write YAML
default: {answer: no-answer}
phones:
  - number: +6512345678
    script: {answer: yes, press: ["1"]}
patterns:
  - from: "+6560000000"
    to: "+6560009999"
    scripts: [{press: ["1"]}, {press: ["2"]}, {answer: busy}]
  - prefix: 44
    script: {answer: fail}
"""


def test_a_yaml_scenario_reads_as_people_write_it(tmp_path: Path) -> None:
    path = tmp_path / "phones.yaml"
    path.write_text(SCENARIO)
    scenario = load_scenario(path)
    assert scenario.default == PhoneScript(answer=Answer.NO_ANSWER)
    assert scenario.phones[0].number == "+6512345678"
    assert scenario.phones[0].script == PhoneScript(press=["1"])
    assert [p.key for p in scenario.patterns] == ["+6560000000..+6560009999", "+44"]


def test_a_json_scenario_may_be_a_bare_list(tmp_path: Path) -> None:
    path = tmp_path / "phones.json"
    path.write_text('[{"number": "+6512345678", "script": {"answer": "busy"}}]')
    assert load_scenario(path).phones[0].script.answer is Answer.BUSY


@pytest.mark.parametrize(
    ("name", "text", "says"),
    [
        ("p.yaml", "phones: [{number: '+65', script: {}}]", "phones.0.number"),
        ("p.yaml", "patterns: [{prefix: '+65'}]", "patterns.0"),
        ("p.yaml", "phones: [", "not valid YAML"),
        ("p.json", "{", "not valid JSON"),
        ("p.yaml", "phones: [{number: '+6512345678', script: {press: [1]}}]", "press.0"),
    ],
)
def test_a_bad_scenario_says_where(tmp_path: Path, name: str, text: str, says: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError, match=says) as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)


def test_a_missing_scenario_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_scenario(tmp_path / "nowhere.yaml")


def test_a_configured_scenario_is_there_from_the_start_and_after_a_reset(
    tmp_path: Path, serve_sim: Any
) -> None:
    path = tmp_path / "phones.yaml"
    path.write_text(SCENARIO)
    url = serve_sim(SimulatorConfig(phones=load_scenario(path)))
    with SimulatorControl(url) as ctl:
        for _ in range(2):
            listing = httpx.get(url + "/sim/v1/phones").json()
            assert [e["number"] for e in listing["phones"]] == ["+6512345678"]
            assert len(listing["patterns"]) == 2 and listing["default"]["answer"] == "no-answer"
            ctl.set_phones({}, replace=True)
            assert httpx.get(url + "/sim/v1/phones").json()["patterns"] == []
            ctl.reset()


def _ivrkit(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", "from ivrkit._cli import main; main()", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.e2e
def test_the_simulator_command_takes_phones_and_a_rate_limit(tmp_path: Path) -> None:
    (tmp_path / "phones.yaml").write_text(SCENARIO)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["--port", str(port), "--speed", "max", "--phones", "phones.yaml"]
    server = _ivrkit("simulator", *args, "--rate-limit", "0.01", cwd=tmp_path)
    client = httpx.Client(base_url=base, timeout=10)  # one client: each costs a TLS context
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                settings = client.get("/sim/v1/settings", timeout=1).json()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail("the simulator did not start")
        assert (settings["rateLimit"], settings["rateLimitBurst"]) == (0.01, None)
        assert client.get("/sim/v1/phones").json()["default"]["answer"] == "no-answer"
        body = load_fixture("request_vm_tts.json")
        del body["validUntil"]
        url = f"/api/v1/subaccounts/{SUB}/callflows"
        codes = [client.post(url, json=body).status_code for _ in range(2)]
        assert codes == [200, 429]
    finally:
        client.close()
        server.terminate()
        server.communicate(timeout=30)


def test_a_bad_scenario_stops_the_command_with_one_line(tmp_path: Path) -> None:
    """Run in this process as the console script runs it: the scenario is refused before
    anything is served, so no process is needed to see it."""
    (tmp_path / "phones.yaml").write_text("patterns: [{prefix: '+65'}]")
    args = ["--port", str(free_port()), "--phones", "phones.yaml"]
    ran = ivrkit("simulator", *args, cwd=tmp_path)
    assert ran.returncode != 0
    text = ran.stdout + ran.stderr
    assert "phones.yaml" in text and "patterns.0" in text and "Traceback" not in text
    assert ran.stderr.count("\n") == 1, ran.stderr
