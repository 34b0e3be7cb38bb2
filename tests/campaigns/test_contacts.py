"""Reading contacts: E.164 numbers, variables, time zones, refused rows, duplicates, DNC."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivrkit.campaigns import parse_contacts, read_dnc
from ivrkit.errors import ContactsRefused


def test_numbers_are_normalised_and_other_columns_become_variables() -> None:
    found = parse_contacts(
        "number,name,ticket\n9123 4567,Ann,T-1\n+1 212 555 0123,Bob,T-2\n", region="SG"
    )
    first, second = found.contacts
    assert (first.number, first.variables, first.timezones) == (
        "+6591234567",
        {"name": "Ann", "ticket": "T-1"},
        ("Asia/Singapore",),
    )
    assert (second.number, second.timezones) == ("+12125550123", ("America/New_York",))
    assert first.line == 2 and second.line == 3


def test_a_timezone_column_overrides_the_numbers_zones() -> None:
    found = parse_contacts("number,timezone\n91234567,Europe/Paris\n")
    assert found.contacts[0].timezones == ("Europe/Paris",)
    assert "timezone" not in found.contacts[0].variables


def test_bad_rows_are_refused_with_their_line_and_reason() -> None:
    text = "number,name\n91234567,ok\nnot a number,x\n\n,empty\n91234568,ok\n123,short\n"
    with pytest.raises(ContactsRefused) as caught:
        parse_contacts(text)
    lines = [line for line, _ in caught.value.problems]
    assert lines == [3, 5, 7]
    assert "line 3:" in str(caught.value) and "not a phone number" in str(caught.value)
    assert "the number is empty" in str(caught.value)


def test_a_file_without_a_number_column_is_refused() -> None:
    with pytest.raises(ContactsRefused, match="no 'number' column"):
        parse_contacts("phone\n91234567\n")


def test_duplicates_are_reported_and_kept_once() -> None:
    found = parse_contacts("number\n91234567\n+65 9123 4567\n91234568\n")
    assert [c.number for c in found.contacts] == ["+6591234567", "+6591234568"]
    assert found.duplicates == [(3, "+6591234567")]


def test_do_not_call_numbers_are_set_apart(tmp_path: Path) -> None:
    dnc = tmp_path / "dnc.txt"
    dnc.write_text("# opted out\n+65 9123 4568\n", encoding="utf-8")
    found = parse_contacts("number\n91234567\n91234568\n", do_not_call=read_dnc(dnc, "SG"))
    assert [c.number for c in found.contacts] == ["+6591234567"]
    assert [c.number for c in found.do_not_call] == ["+6591234568"]


def test_an_unclosed_quote_is_refused_with_its_line() -> None:
    text = 'number,name\n91234567,"Ann\n91234568,Bob\n91234569,Cy\n'
    with pytest.raises(ContactsRefused) as caught:
        parse_contacts(text)
    assert "line 2:" in str(caught.value)
    assert "nothing imported" in str(caught.value)


def test_a_quote_closed_rows_later_is_refused_with_its_line() -> None:
    text = 'number,name\n91234567,Ann\n91234568,"Bob\n91234569,Cy"\n91234570,Di\n'
    with pytest.raises(ContactsRefused) as caught:
        parse_contacts(text)
    assert caught.value.problems == [
        (3, "a quoted field runs over 2 lines: is a closing quote missing?")
    ]


def test_blank_lines_keep_line_numbers_right() -> None:
    found = parse_contacts("number,name\n\n91234567,Ann\n\n91234568\n")
    assert [(c.line, c.variables) for c in found.contacts] == [
        (3, {"name": "Ann"}),
        (5, {"name": ""}),
    ]


def test_a_ten_megabyte_field_is_one_line_not_a_traceback() -> None:
    text = "number,name\n91234567," + "x" * 10_000_000 + "\n"
    with pytest.raises(ContactsRefused) as caught:
        parse_contacts(text)
    message = str(caught.value)
    assert "line 2: a field is longer than" in message
    assert len(message) < 500


def test_a_ten_megabyte_number_is_said_briefly() -> None:
    with pytest.raises(ContactsRefused) as caught:
        parse_contacts("number\n" + "9" * 100_000 + "\n")
    assert len(str(caught.value)) < 500


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.sampled_from(['"', '""', ",", "\n", "\r\n", "\r", "\x00", "91234567", "+65"]),
                st.text(max_size=12),
            ),
            max_size=8,
        ).map("".join),
        max_size=12,
    )
)
def test_random_contacts_files_import_or_are_refused_in_one_message(lines: list[str]) -> None:
    text = "number,name,timezone\n" + "\n".join(lines)
    try:
        found = parse_contacts(text)
    except ContactsRefused as exc:
        assert exc.problems and str(exc)
    else:
        for contact in found.contacts:
            assert contact.number.startswith("+")
