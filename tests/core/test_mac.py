"""The one form of a MAC address, and the error for anything that is not one."""

from __future__ import annotations

import pytest

from ipledger.core.errors import InvalidInputError
from ipledger.core.mac import parse_mac


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("52:54:00:12:34:56", "52:54:00:12:34:56"),
        ("52:54:00:AB:cd:EF", "52:54:00:ab:cd:ef"),
        ("52-54-00-12-34-56", "52:54:00:12:34:56"),
        ("5254.0012.3456", "52:54:00:12:34:56"),
        ("525400123456", "52:54:00:12:34:56"),
        (" 52:54:00:12:34:56 ", "52:54:00:12:34:56"),
        ("", ""),
    ],
)
def test_parse_mac_gives_six_lower_case_pairs(text: str, expected: str) -> None:
    assert parse_mac(text) == expected


@pytest.mark.parametrize(
    "text", ["zz", "52:54:00:12:34", "5254.0012.345g", "52:54:00:12:34:56:78", "52_54_00"]
)
def test_parse_mac_refuses_what_is_no_mac_naming_it(text: str) -> None:
    with pytest.raises(InvalidInputError, match="is not a MAC address") as raised:
        parse_mac(text)
    assert raised.value.field == "mac"
