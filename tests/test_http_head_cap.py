"""The cap on the request head counts the head's bytes only, wherever the reads cut it: its end
may straddle two reads, and the body after it is not counted."""

from __future__ import annotations

import pytest

from ivrkit._http_protocol import _Deadlines

HEAD = b"POST /webhooks/vca HTTP/1.1\r\nhost: x\r\ncontent-length: 4\r\n\r\n"


def counted(reads: list[bytes], cap: int = 1000) -> tuple[int, list[bool]]:
    counter = _Deadlines()
    counter.max_header_bytes = cap
    refused = [counter._head_too_large(read) for read in reads]
    return counter._head_bytes, refused


@pytest.mark.parametrize("cut", range(1, len(HEAD)))
def test_a_head_is_counted_whole_wherever_it_is_cut(cut: int) -> None:
    # (once a read ends the head, the protocol starts a request and stops counting)
    data = HEAD + b"BODY" * 100
    assert counted([data[:cut], data[cut:]])[0] == len(HEAD)


def test_a_head_past_the_cap_is_refused_in_the_read_that_passes_it() -> None:
    assert counted([b"x" * 600, b"y" * 600, b"z"]) == (1201, [False, True, True])
    assert counted([b"x" * 1000]) == (1000, [False])
