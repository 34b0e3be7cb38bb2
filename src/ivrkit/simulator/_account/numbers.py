"""Phone numbers as the platform reports them (E.164 with '+', ISO country) and the catalogue of
virtual numbers a subaccount rents."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

__all__ = ["NumberCatalogue", "VirtualNumberSpec", "country_of", "e164"]

_SEPARATORS = re.compile(r"[\s().-]")


def e164(number: str) -> str:
    """``6512345678`` or ``+65 1234-5678`` → ``+6512345678`` (the platform adds the '+')."""
    digits = _SEPARATORS.sub("", number.strip()).lstrip("+")
    return f"+{digits}"


@lru_cache(maxsize=4096)
def country_of(number: str) -> str | None:
    """ISO 3166 alpha-2 region of an E.164 number (``SG``), or None when it has none (kept for
    the numbers seen last: every call event names both parties, and parsing is slow)."""
    try:
        parsed = phonenumbers.parse(e164(number), None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    if (not region or region == "ZZ") and parsed.country_code is not None:
        region = phonenumbers.region_code_for_country_code(parsed.country_code)
    return None if not region or region in ("ZZ", "001") else region


@dataclass(frozen=True)
class VirtualNumberSpec:
    """A virtual number of the simulated account; ``reference_id`` shows up as
    ``sourceRefId``/``destinationRefId`` in call events."""

    msisdn: str
    reference_id: str
    operational_status: str = "Active"
    sub_account_id: str | None = None
    """The subaccount inbound calls to this number belong to (None: decided per call)."""

    @property
    def number(self) -> str:
        return e164(self.msisdn)

    @property
    def country_code(self) -> str | None:
        return country_of(self.msisdn)


DEFAULT_VIRTUAL_NUMBERS: tuple[VirtualNumberSpec, ...] = (
    VirtualNumberSpec("+6561115777", "virtual-number-trunk-01"),
    VirtualNumberSpec("+6561115888", "virtual-number-trunk-02"),
)
"""The caller IDs of ivrkit's two example trees (the first is the simple-IVR guide's), so their
callbacks show a `sourceRefId` and inbound calls can reach them."""


class NumberCatalogue:
    """The virtual numbers, looked up by their digits whatever the formatting."""

    def __init__(self, numbers: Iterable[VirtualNumberSpec]) -> None:
        self._by_number = {spec.number: spec for spec in numbers}

    @property
    def all(self) -> list[VirtualNumberSpec]:
        return list(self._by_number.values())

    def find(self, number: str) -> VirtualNumberSpec | None:
        return self._by_number.get(e164(number))

    def reference_of(self, number: str) -> str | None:
        spec = self.find(number)
        return spec.reference_id if spec else None
