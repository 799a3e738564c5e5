"""CSV lists of addresses seen: column names in any order and case, times, repeats, and refusals."""

from __future__ import annotations

import pytest

from ipledger.observe import seen as seen_module
from ipledger.observe.csvfile import column_name, read_seen_csv
from ipledger.observe.seen import ObservationError, SeenAddress
from tests.observe.factories import data_text, seen, utc


def _listed(address: str, **fields: object) -> SeenAddress:
    return seen(address, source="csv", **fields)


def _error(text: str) -> str:
    with pytest.raises(ObservationError) as caught:
        read_seen_csv(text, path="scan.csv")
    return str(caught.value)


FILES = [
    pytest.param(
        "seen.csv",
        [
            _listed("10.20.0.5", mac="3c:ec:ef:12:ab:01", seen_at=utc("2024-03-04 09:40:09.250")),
            _listed(
                "192.168.122.1",
                mac="52:54:00:3a:1f:07",
                hostname="gateway.lab.example",
                seen_at=utc("2024-03-04 09:12:07"),
            ),
            _listed(
                "192.168.122.20",
                mac="52:54:00:9c:41:e2",
                hostname="db1.lab.example",
                seen_at=utc("2024-03-04 09:00:00"),
            ),
            _listed("2001:db8:122::1", mac="52:54:00:3a:1f:07", seen_at=utc("2024-03-04 09:31:43")),
            _listed("fd00:122::20", hostname="db1.lab.example"),
        ],
        id="canonical-columns-mac-notations-zones-and-zoneless-utc",
    ),
    pytest.param(
        "seen-export.csv",
        [
            _listed(
                "10.20.0.6",
                mac="3c:ec:ef:12:ab:02",
                hostname="lab, rack 4 (bmc)",
                seen_at=utc("2024-03-02 12:30"),
            ),
            _listed(
                "192.168.122.60",
                mac="00:1b:a9:4c:22:10",
                hostname="printer-2f",
                seen_at=utc("2024-03-04 08:00"),
            ),
            _listed("2001:db8:ffff::1", hostname="vpn-gw", seen_at=utc("2024-03-03 12:15")),
        ],
        id="spreadsheet-export-bom-crlf-aliases-repeats-merged",
    ),
    pytest.param(
        "seen-ip-only.csv",
        [_listed("192.0.2.10"), _listed("198.51.100.7"), _listed("2001:db8::10")],
        id="only-an-ip-column",
    ),
]


@pytest.mark.parametrize(("name", "expected"), FILES)
def test_read_seen_csv_reads_the_rows(name: str, expected: list[SeenAddress]) -> None:
    assert read_seen_csv(data_text(name), path=name) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("address", "address", id="address"),
        pytest.param("IP", "address", id="ip-upper"),
        pytest.param(" IP Address ", "address", id="ip-address-spaced"),
        pytest.param("ip-address", "address", id="ip-address-dashed"),
        pytest.param("MAC Address", "mac", id="mac-address"),
        pytest.param("Host", "hostname", id="host"),
        pytest.param("Name", "hostname", id="name"),
        pytest.param("host_name", "hostname", id="host-name"),
        pytest.param("Seen", "seen_at", id="seen"),
        pytest.param("Last-Seen", "seen_at", id="last-seen"),
        pytest.param("Vendor", "vendor", id="unknown-cleaned"),
    ],
)
def test_column_name_reads_aliases(header: str, expected: str) -> None:
    assert column_name(header) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("address\n", [], id="header-only"),
        pytest.param("mac,ip\n,192.0.2.1\n", [_listed("192.0.2.1")], id="empty-optional-cells"),
        pytest.param(
            "address,seen_at\n192.0.2.1,2024-03-04\n",
            [_listed("192.0.2.1", seen_at=utc("2024-03-04 00:00"))],
            id="a-date-is-its-midnight-utc",
        ),
        pytest.param(
            'address,hostname\n192.0.2.1,"rack 4\nshelf 2"\n',
            [_listed("192.0.2.1", hostname="rack 4\nshelf 2")],
            id="quoted-cell-over-two-lines",
        ),
        pytest.param("address\n  \n192.0.2.1\n,\n", [_listed("192.0.2.1")], id="blank-rows-skipped"),
    ],
)
def test_read_seen_csv_reads_variants(text: str, expected: list[SeenAddress]) -> None:
    assert read_seen_csv(text, path="scan.csv") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "address,mac\n192.0.2.1,52:54:00:00:00:01\n192.0.2.2,zz\n",
            "scan.csv, line 3, mac: 'zz' is not a MAC address (expected e.g. 52:54:00:12:34:56)",
            id="bad-mac",
        ),
        pytest.param(
            "ip\n192.0.2.1\n192.0.2.256\n",
            "scan.csv, line 3, address: '192.0.2.256' is not a valid IPv4 or IPv6 address",
            id="bad-ipv4",
        ),
        pytest.param(
            "ip\n2001:db8::/64\n",
            "scan.csv, line 2, address: '2001:db8::/64': expected a single address, not a prefix",
            id="a-prefix-is-not-an-address",
        ),
        pytest.param(
            "address,seen_at\n192.0.2.1,yesterday\n",
            "scan.csv, line 2, seen_at: 'yesterday' is not an ISO 8601 time in the years 1 to 9999 "
            "(expected e.g. 2024-05-01T10:00:00Z)",
            id="bad-time",
        ),
        pytest.param(
            "address,seen_at\n192.0.2.1,2024-02-30T10:00:00Z\n",
            "scan.csv, line 2, seen_at: '2024-02-30T10:00:00Z' is not an ISO 8601 time",
            id="impossible-date",
        ),
        pytest.param(
            "address,seen_at\n192.0.2.1,0001-01-01T00:00:00+01:00\n",
            "scan.csv, line 2, seen_at: '0001-01-01T00:00:00+01:00' is not an ISO 8601 time in the years 1 to 9999",
            id="before-year-1-in-utc",
        ),
        pytest.param(
            'address,hostname\n192.0.2.1,"two\nlines"\n,nameless\n',
            "scan.csv, line 4, address: no address given",
            id="empty-address-after-a-two-line-row",
        ),
        pytest.param(
            "address,mac\n192.0.2.1\n",
            "scan.csv, line 2: 1 cell, but the header names 2 columns",
            id="too-few-cells",
        ),
        pytest.param(
            "adress,mac\n192.0.2.1,\n",
            "scan.csv, line 1: unknown column 'adress'; did you mean address?",
            id="misspelt-column",
        ),
        pytest.param(
            "address,vendor\n192.0.2.1,QEMU\n",
            "scan.csv, line 1: unknown column 'vendor'; expected address, mac, hostname, seen_at",
            id="unknown-column",
        ),
        pytest.param(
            "ip,address\n192.0.2.1,192.0.2.1\n",
            "scan.csv, line 1: column address named more than once",
            id="column-named-twice-by-alias",
        ),
        pytest.param(
            "mac,hostname\n52:54:00:00:00:01,a\n",
            "scan.csv, line 1: no address column",
            id="no-address-column",
        ),
        pytest.param("", "scan.csv: the file is empty", id="empty-file"),
        pytest.param(
            'address\n"192.0.2.1\n',
            "scan.csv, line 2: not valid CSV: unexpected end of data",
            id="open-quote",
        ),
    ],
)
def test_read_seen_csv_refuses_malformed_input(text: str, expected: str) -> None:
    assert _error(text).startswith(expected)


def test_read_seen_csv_refuses_text_over_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "address\n192.0.2.1\n"
    monkeypatch.setattr(seen_module, "MAX_OBSERVATION_BYTES", len(text) - 1)

    assert "is more than the" in _error(text)
