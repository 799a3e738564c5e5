"""The shared value of the observation readers: MAC normalisation, merging repeats, the error."""

from __future__ import annotations

from typing import Any

import pytest

from ipledger.core.errors import InvalidInputError
from ipledger.observe import seen as seen_module
from ipledger.observe.seen import ObservationError, SeenAddress, check_text_size, merge_seen, parse_mac
from tests.observe.factories import seen, utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("52:54:00:12:34:56", "52:54:00:12:34:56", id="colons-lower"),
        pytest.param("52:54:00:3A:1F:07", "52:54:00:3a:1f:07", id="colons-upper-as-nmap-writes"),
        pytest.param("52-54-00-3a-1f-07", "52:54:00:3a:1f:07", id="dashes"),
        pytest.param("5254.003a.1f07", "52:54:00:3a:1f:07", id="cisco-dots"),
        pytest.param("5254003A1F07", "52:54:00:3a:1f:07", id="bare-hex"),
        pytest.param(" 00:00:00:00:00:00 ", "00:00:00:00:00:00", id="all-zero-with-spaces"),
        pytest.param("", "", id="empty-stays-empty"),
    ],
)
def test_parse_mac_normalises(text: str, expected: str) -> None:
    assert parse_mac(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("zz", id="not-hex"),
        pytest.param("52:54:00:3a:1f", id="five-octets"),
        pytest.param("52:54:00:3a:1f:07:08", id="seven-octets"),
        pytest.param("52:54:00:3a:1f:7", id="short-octet"),
        pytest.param("52:54:00:3a:1f:0g", id="bad-digit"),
        pytest.param("XX:XX:XX:XX:XX:XX", id="anonymised"),
        pytest.param("5254.003a.1f0", id="short-dot-group"),
    ],
)
def test_parse_mac_refuses_malformed(text: str) -> None:
    with pytest.raises(InvalidInputError, match="is not a MAC address") as caught:
        parse_mac(text)
    assert caught.value.field == "mac"


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param(
            [seen("10.0.0.5", mac="52:54:00:00:00:01", seen_at=utc("2024-03-04 09:00:00"), state="STALE"),
             seen("10.0.0.5", seen_at=utc("2024-03-04 10:00:00"), state="REACHABLE")],
            seen("10.0.0.5", mac="52:54:00:00:00:01", seen_at=utc("2024-03-04 10:00:00"), state="REACHABLE"),
            id="later-wins-and-keeps-the-earlier-mac",
        ),
        pytest.param(
            [seen("2001:db8::5", hostname="new", seen_at=utc("2024-03-04 10:00:00")),
             seen("2001:db8::5", hostname="old", mac="52:54:00:00:00:02", seen_at=utc("2024-03-01 10:00:00"))],
            seen("2001:db8::5", hostname="new", mac="52:54:00:00:00:02", seen_at=utc("2024-03-04 10:00:00")),
            id="later-first-in-input-still-wins",
        ),
        pytest.param(
            [seen("10.0.0.5", hostname="dated", seen_at=utc("2024-03-04 10:00:00")),
             seen("10.0.0.5", hostname="undated")],
            seen("10.0.0.5", hostname="dated", seen_at=utc("2024-03-04 10:00:00")),
            id="a-time-beats-none",
        ),
        pytest.param(
            [seen("10.0.0.5", hostname="first"), seen("10.0.0.5", hostname="second")],
            seen("10.0.0.5", hostname="second"),
            id="tie-goes-to-the-later-in-input",
        ),
    ],
)  # fmt: skip
def test_merge_seen_keeps_latest_and_fills_blanks(items: list[SeenAddress], expected: SeenAddress) -> None:
    assert merge_seen(items) == [expected]


def test_merge_seen_sorts_by_family_then_address() -> None:
    items = [seen("2001:db8::1"), seen("10.0.0.10"), seen("::"), seen("10.0.0.9"), seen("0.0.0.0")]

    assert [str(item.address) for item in merge_seen(items)] == [
        "0.0.0.0",
        "10.0.0.9",
        "10.0.0.10",
        "::",
        "2001:db8::1",
    ]


def test_merge_seen_of_nothing_is_empty() -> None:
    assert merge_seen([]) == []


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        pytest.param({}, "scan.csv: bad", id="file-only"),
        pytest.param({"line": 7, "field": "mac"}, "scan.csv, line 7, mac: bad", id="line-and-field"),
        pytest.param(
            {"line": 3, "element": "<address>", "field": "addr"},
            "scan.csv, line 3, <address>, addr: bad",
            id="line-element-field",
        ),
        pytest.param({"element": "entry 2", "field": "dst"}, "scan.csv, entry 2, dst: bad", id="entry"),
    ],
)
def test_observation_error_names_the_place(options: dict[str, Any], expected: str) -> None:
    error = ObservationError("bad", path="scan.csv", **options)

    assert str(error) == expected
    assert isinstance(error, InvalidInputError)
    assert error.field == options.get("field")


def test_check_text_size_refuses_text_over_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seen_module, "MAX_OBSERVATION_BYTES", 1 << 20)
    check_text_size("x" * (1 << 20), path="scan.xml")

    with pytest.raises(ObservationError, match=r"^scan\.xml: 1048577 characters is more than the 1 MiB"):
        check_text_size("x" * ((1 << 20) + 1), path="scan.xml")
