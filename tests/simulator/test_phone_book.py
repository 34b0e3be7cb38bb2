"""Many phones at once: exact numbers, ranges, prefixes and a default, by PUT /sim/v1/phones
and SimulatorControl.set_phones, and the calls they decide over real HTTP."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ivrkit.errors import SimulatorControlError
from ivrkit.simulator import Answer, PhoneScript
from ivrkit.simulator._account.phones import PhoneBook, PhoneEntry, PhonePattern
from ivrkit.simulator._account.scenario import PhoneScenario
from tests.conftest import load_fixture
from tests.simulator.conftest import World

BUSY = PhoneScript(answer=Answer.BUSY)
ONE = PhoneScript(press=["1"])
TWO = PhoneScript(press=["2"])


def _pattern(**fields: object) -> PhonePattern:
    return PhonePattern.model_validate(fields)


def test_an_exact_number_wins_then_a_range_then_the_longest_prefix_then_the_default() -> None:
    book = PhoneBook()
    book.load(
        [PhoneEntry(number="+65 6000 0005", script=TWO)],
        [
            _pattern(prefix="+65", script=BUSY),
            _pattern(prefix="+656", script=ONE),
            _pattern(**{"from": "+6560000000", "to": "+6560000009", "script": TWO}),
        ],
        default=PhoneScript(answer=Answer.NO_ANSWER),
    )
    assert book.get("+6560000005") is book.get("6560000005") == TWO
    assert book.get("+6560000009") == TWO, "a range is inclusive"
    assert book.get("+6560000010") == ONE, "past the range: the longest prefix"
    assert book.get("+6512345678") == BUSY
    assert book.get("+4420000000").answer is Answer.NO_ANSWER


def test_a_list_of_scripts_is_dealt_out_in_turn() -> None:
    book = PhoneBook()
    dealt = [ONE, TWO, BUSY]
    book.load(
        [],
        [
            _pattern(**{"from": "+6560000100", "to": "+6560000199", "scripts": dealt}),
            _pattern(prefix="+447", scripts=dealt),
        ],
    )
    assert [book.get(f"+65600001{n:02}") for n in range(6)] == dealt * 2
    assert book.get("+6560000199") == dealt[99 % 3]
    assert [book.get(f"+44700000000{n}") for n in range(3)] == dealt


def test_an_unscripted_number_answers_and_presses_nothing() -> None:
    assert PhoneBook().get("+6512345678") == PhoneScript()


@pytest.mark.parametrize(
    "fields",
    [
        {"prefix": "+65", "from": "+6560000000", "to": "+6560000009", "script": {}},
        {"from": "+6560000000", "script": {}},
        {"from": "+6560000009", "to": "+6560000000", "script": {}},
        {"from": "+656000000", "to": "+6560000000", "script": {}},
        {"prefix": "+65"},
        {"prefix": "+65", "script": {}, "scripts": [{}]},
        {"prefix": "+65x", "script": {}},
        {"prefix": "+65", "scripts": []},
    ],
)
def test_a_pattern_that_means_nothing_clear_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PhonePattern.model_validate(fields)


def test_overlapping_ranges_are_refused_and_the_book_is_left_as_it_was() -> None:
    book = PhoneBook()
    first = _pattern(**{"from": "+6560000000", "to": "+6560000099", "script": ONE})
    book.load([], [first])
    clash = _pattern(**{"from": "+6560000050", "to": "+6560000150", "script": TWO})
    with pytest.raises(ValueError, match="overlap"):
        book.load([PhoneEntry(number="+6512345678", script=TWO)], [clash])
    assert book.patterns == [first] and len(book) == 0
    again = _pattern(**{"from": "+6560000000", "to": "+6560000099", "script": TWO})
    book.load([], [again])
    assert book.get("+6560000000") == TWO, "the same range again replaces it"


def test_a_bare_list_is_a_scenario_of_phones() -> None:
    scenario = PhoneScenario.model_validate([{"number": 6512345678, "script": {"answer": True}}])
    assert scenario.phones == [PhoneEntry(number="+6512345678", script=PhoneScript())]
    assert not scenario.sets_default


# -- over HTTP ------------------------------------------------------------------------------


def _status(world: World, number: str) -> str:
    body = load_fixture("request_simple_ivr_initial.json")
    body["callflow"][0]["params"]["destination"] = number
    status = world.call(body).status
    assert status is not None
    return status


def test_bulk_scripts_decide_how_each_customer_answers(world: World) -> None:
    size = world.ctl.set_phones(
        {"+6560000001": BUSY, "+6560000002": PhoneScript(answer=Answer.NO_ANSWER)},
        patterns=[_pattern(prefix="+6570", script=PhoneScript(answer=Answer.FAIL))],
    )
    assert (size.phones, size.patterns, size.has_default) == (2, 1, False)
    assert _status(world, "+6560000001") == "BUSY"
    assert _status(world, "+6560000002") == "NO_ANSWER"
    assert _status(world, "+6570000003") == "FAILED"
    assert _status(world, "+6560000004") != "BUSY"


def test_a_put_merges_unless_asked_to_replace(world: World) -> None:
    url = f"{world.url}/sim/v1/phones"
    first = world.api.put(url, json=[{"number": "+6560000001", "script": {"answer": "busy"}}])
    assert first.json() == {"phones": 1, "patterns": 0, "hasDefault": False}
    merged = world.api.put(
        url,
        json={"phones": [{"number": "+6560000002"}], "default": {"answer": "no-answer"}},
    )
    assert merged.json() == {"phones": 2, "patterns": 0, "hasDefault": True}
    assert _status(world, "+6560000001") == "BUSY", "a merge keeps what was there"
    assert _status(world, "+6590000000") == "NO_ANSWER", "the default covers everyone else"
    replaced = world.api.put(
        url, params={"replace": "true"}, json={"patterns": [{"prefix": "+6599", "script": {}}]}
    )
    assert replaced.json() == {"phones": 0, "patterns": 1, "hasDefault": False}
    listing = world.api.get(url).json()
    assert listing["phones"] == [] and listing["default"] is None
    assert listing["patterns"][0]["prefix"] == "+6599"
    assert _status(world, "+6560000001") != "BUSY"


@pytest.mark.parametrize(
    ("params", "body", "says"),
    [
        ({"replace": "yes"}, [], "replace is true or false"),
        ({}, [{"number": "12", "script": {}}], "phones.0.number"),
        ({}, {"patterns": [{"prefix": "+65"}]}, "script"),
        (
            {},
            {
                "patterns": [
                    {"from": "+6560000000", "to": "+6560000099", "script": {}},
                    {"from": "+6560000099", "to": "+6560000100", "script": {}},
                ]
            },
            "overlap",
        ),
    ],
)
def test_a_bad_bulk_put_is_refused_and_changes_nothing(
    world: World, params: dict[str, str], body: object, says: str
) -> None:
    world.ctl.set_phones({"+6560000001": BUSY})
    response = world.api.put(f"{world.url}/sim/v1/phones", params=params, json=body)
    assert response.status_code == 400 and says in response.json()["detail"]
    listing = world.api.get(f"{world.url}/sim/v1/phones").json()
    assert [entry["number"] for entry in listing["phones"]] == ["+6560000001"]
    assert listing["patterns"] == []


@pytest.mark.slow
def test_ten_thousand_phones_go_in_requests_under_the_body_limit(world: World) -> None:
    # each entry carries a long press list: together several MiB, far over the 1 MiB limit
    scripts = {
        f"+6560{n:06}": PhoneScript(press=["1234567890"] * 20 if n % 2 else ["2"])
        for n in range(10_000)
    }
    size = world.ctl.set_phones(scripts, default=BUSY, replace=True)
    assert (size.phones, size.has_default) == (10_000, True)
    assert world.ctl.set_phones({"+6512345678": ONE}, replace=True).phones == 1
    assert world.ctl.set_phones(scripts).phones == 10_001


def test_set_phones_refuses_a_bad_number_before_sending(world: World) -> None:
    with pytest.raises(SimulatorControlError, match="invalid phone entry"):
        world.ctl.set_phones({"12": ONE})
