"""`ip neigh` output, as text and as `ip -j neigh` JSON: which entries count as seen, and refusals."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from ipledger.core.errors import InvalidInputError
from ipledger.observe import seen as seen_module
from ipledger.observe.neigh import read_ip_neigh
from ipledger.observe.seen import ObservationError, SeenAddress
from tests.observe.factories import data_text, seen, utc

_TAKEN = utc("2024-03-04 10:00:00")
_GATEWAY_MAC = "52:54:00:3a:1f:07"


def _neighbour(address: str, state: str, mac: str = "") -> SeenAddress:
    return seen(address, mac=mac, seen_at=_TAKEN, source="ip-neigh", state=state)


def _read(text: str) -> list[SeenAddress]:
    return read_ip_neigh(text, path="neigh.txt", seen_at=_TAKEN)


def _error(text: str) -> str:
    with pytest.raises(ObservationError) as caught:
        _read(text)
    return str(caught.value)


TABLES = [
    pytest.param(
        "ip-neigh.txt",
        [
            _neighbour("10.20.0.5", "STALE", "3c:ec:ef:12:ab:01"),
            _neighbour("192.168.122.1", "REACHABLE", _GATEWAY_MAC),
            _neighbour("192.168.122.20", "STALE", "52:54:00:9c:41:e2"),
            _neighbour("192.168.122.21", "DELAY", "52:54:00:9c:41:e3"),
            _neighbour("192.168.122.22", "PROBE", "52:54:00:9c:41:e4"),
            _neighbour("192.168.122.254", "PERMANENT", "52:54:00:00:00:fe"),
            _neighbour("2001:db8:122::1", "REACHABLE", _GATEWAY_MAC),
            _neighbour("fd00:122::20", "STALE", "52:54:00:9c:41:e2"),
            _neighbour("fe80::5054:ff:fe3a:1f07", "STALE", _GATEWAY_MAC),
        ],
        id="ip-neigh-both-families-failed-and-incomplete-skipped",
    ),
    pytest.param(
        "ip-s-neigh.txt",
        [
            _neighbour("192.168.122.1", "REACHABLE", _GATEWAY_MAC),
            _neighbour("192.168.122.20", "STALE", "52:54:00:9c:41:e2"),
            _neighbour("192.168.122.254", "PERMANENT", "52:54:00:00:00:fe"),
            _neighbour("2001:db8:122::1", "REACHABLE", _GATEWAY_MAC),
            _neighbour("fe80::5054:ff:fe9c:41e2", "STALE", "52:54:00:9c:41:e2"),
        ],
        id="ip-s-neigh-statistics-and-proto",
    ),
    pytest.param(
        "ip-neigh-nud-all.txt",
        [
            _neighbour("10.255.0.2", "REACHABLE"),
            _neighbour("192.168.122.1", "REACHABLE", _GATEWAY_MAC),
            _neighbour("192.168.122.40", "REACHABLE", "52:54:00:9c:41:e6"),
            _neighbour("192.168.200.5", "STALE"),
            _neighbour("fe80::5054:ff:fe3a:1f07", "REACHABLE", _GATEWAY_MAC),
        ],
        id="nud-all-noarp-skipped-tunnel-and-infiniband-without-mac",
    ),
    pytest.param(
        "ip-j-neigh.json",
        [
            _neighbour("192.168.122.1", "REACHABLE", _GATEWAY_MAC),
            _neighbour("192.168.122.20", "STALE", "52:54:00:9c:41:e2"),
            _neighbour("192.168.122.254", "PERMANENT", "52:54:00:00:00:fe"),
            _neighbour("2001:db8:122::1", "REACHABLE", _GATEWAY_MAC),
            _neighbour("fe80::5054:ff:fe3a:1f07", "STALE", _GATEWAY_MAC),
        ],
        id="ip-j-neigh-json",
    ),
]


@pytest.mark.parametrize(("name", "expected"), TABLES)
def test_read_ip_neigh_reads_the_entries_seen(name: str, expected: list[SeenAddress]) -> None:
    assert read_ip_neigh(data_text(name), path=name, seen_at=_TAKEN) == expected


@pytest.mark.parametrize(
    ("state", "is_seen"),
    [
        pytest.param("REACHABLE", True, id="reachable"),
        pytest.param("STALE", True, id="stale"),
        pytest.param("DELAY", True, id="delay"),
        pytest.param("PROBE", True, id="probe"),
        pytest.param("PERMANENT", True, id="permanent"),
        pytest.param("NOARP", False, id="noarp"),
        pytest.param("FAILED", False, id="failed"),
        pytest.param("INCOMPLETE", False, id="incomplete"),
    ],
)
@pytest.mark.parametrize("address", ["192.0.2.5", "2001:db8::5"])
def test_read_ip_neigh_counts_a_state_as_seen(address: str, state: str, is_seen: bool) -> None:
    found = _read(f"{address} dev eth0 lladdr 52:54:00:00:00:05 {state}\n")

    assert found == ([_neighbour(address, state, "52:54:00:00:00:05")] if is_seen else [])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "192.0.2.1 lladdr 52:54:00:00:00:01 REACHABLE\n",
            [_neighbour("192.0.2.1", "REACHABLE", "52:54:00:00:00:01")],
            id="shown-for-one-dev-so-no-dev-word",
        ),
        pytest.param("192.0.2.9 dev eth0 proxy\n", [], id="proxy-entry-without-state"),
        pytest.param("192.0.2.9 dev eth0 lladdr 52:54:00:00:00:09\n", [], id="state-none"),
        pytest.param("", [], id="empty-table"),
        pytest.param("\n\n", [], id="blank-lines"),
        pytest.param(
            "192.0.2.5 dev eth0 lladdr 52:54:00:00:00:05 STALE\n192.0.2.5 dev eth1 lladdr 52:54:00:00:01:05 DELAY\n",
            [_neighbour("192.0.2.5", "DELAY", "52:54:00:00:01:05")],
            id="one-address-on-two-links-the-later-line-wins",
        ),
        pytest.param(
            "10.255.0.3 dev ip6gre1 lladdr 2001:db8:ffff::3 REACHABLE\n",
            [_neighbour("10.255.0.3", "REACHABLE")],
            id="ip6gre-tunnel-endpoint-is-not-a-mac",
        ),
        pytest.param(
            '[\n    {\n        "dst": "2001:db8::7",\n        "dev": "eth0",\n        "lladdr": "52:54:00:00:00:07",\n'
            '        "router": null,\n        "state": [ "REACHABLE" ]\n    }\n]\n',
            [_neighbour("2001:db8::7", "REACHABLE", "52:54:00:00:00:07")],
            id="ip-j-p-pretty-json",
        ),
        pytest.param("[]\n", [], id="json-empty-table"),
        pytest.param(
            '[{"dst":"192.0.2.9","dev":"eth0","proxy":null}]', [], id="json-proxy-entry-without-state"
        ),
    ],
)
def test_read_ip_neigh_reads_variants(text: str, expected: list[SeenAddress]) -> None:
    assert _read(text) == expected


def test_read_ip_neigh_stores_seen_at_in_utc() -> None:
    taken = datetime(2024, 3, 4, 11, 0, tzinfo=timezone(timedelta(hours=1)))

    (found,) = read_ip_neigh("192.0.2.1 dev eth0 lladdr 52:54:00:00:00:01 STALE\n", path="n", seen_at=taken)

    assert found.seen_at == _TAKEN
    assert found.seen_at.tzinfo is not None and found.seen_at.utcoffset() == timedelta(0)


def test_read_ip_neigh_refuses_a_naive_seen_at() -> None:
    with pytest.raises(InvalidInputError, match="has no time zone") as caught:
        read_ip_neigh("", path="neigh.txt", seen_at=datetime(2024, 3, 4, 10, 0))
    assert caught.value.field == "seen_at"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "192.0.2.1 dev eth0 lladdr 52:54:00:00:00:01 STALE\n192.0.2.300 dev eth0 lladdr 52:54:00:00:00:02 STALE\n",
            "neigh.txt, line 2, address: '192.0.2.300' is not a valid IPv4 or IPv6 address",
            id="bad-ipv4",
        ),
        pytest.param(
            "2001:db8::zz dev eth0 lladdr 52:54:00:00:00:01 STALE\n",
            "neigh.txt, line 1, address: '2001:db8::zz' is not a valid IPv4 or IPv6 address",
            id="bad-ipv6",
        ),
        pytest.param(
            "Deleted 192.0.2.1 dev eth0 lladdr 52:54:00:00:00:01 STALE\n",
            "neigh.txt, line 1, address: 'Deleted' is not a valid IPv4 or IPv6 address",
            id="ip-monitor-output",
        ),
        pytest.param(
            "192.0.2.1 dev eth0 lladdr zz:zz:zz:zz:zz:zz REACHABLE\n",
            "neigh.txt, line 1, lladdr: 'zz:zz:zz:zz:zz:zz' is not a link-layer address",
            id="bad-lladdr",
        ),
        pytest.param(
            "192.0.2.1 dev eth0 lladdr 52:54:00:00:00:01 REACHABEL\n",
            "neigh.txt, line 1, state: unknown neighbour state 'REACHABEL'; expected one of DELAY, FAILED,",
            id="unknown-state",
        ),
        pytest.param(
            "192.0.2.1 dev eth0 lladdr\n",
            "neigh.txt, line 1, lladdr: 'lladdr' without a value",
            id="keyword-without-value",
        ),
        pytest.param(
            "192.0.2.1                               eth0             52:54:00:00:00:01 \n",
            "neigh.txt, line 1: unexpected word 'eth0': not a line of `ip neigh show`",
            id="brief-output",
        ),
    ],
)
def test_read_ip_neigh_refuses_a_malformed_line(text: str, expected: str) -> None:
    assert _error(text).startswith(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            '[{"dst": "192.0.2.1",\n "state": ["STALE"]', "neigh.txt, line 2: not valid JSON", id="truncated"
        ),
        pytest.param('{"dst": "192.0.2.1"}', "neigh.txt: expected a JSON list", id="not-a-list"),
        pytest.param('["192.0.2.1"]', "neigh.txt, entry 1: expected an object", id="entry-not-an-object"),
        pytest.param(
            '[{"dst": "192.0.2.1", "state": ["STALE"]}, {"dev": "eth0", "state": ["STALE"]}]',
            "neigh.txt, entry 2, dst: expected an address string, got None",
            id="no-dst",
        ),
        pytest.param(
            '[{"dst": "192.0.2.256", "state": ["STALE"]}]',
            "neigh.txt, entry 1, dst: '192.0.2.256' is not a valid IPv4 or IPv6 address",
            id="bad-dst",
        ),
        pytest.param(
            '[{"dst": "192.0.2.1", "lladdr": 5254, "state": ["STALE"]}]',
            "neigh.txt, entry 1, lladdr: expected a string, got 5254",
            id="lladdr-not-a-string",
        ),
        pytest.param(
            '[{"dst": "192.0.2.1", "lladdr": "52:54:00:00:00:0", "state": ["STALE"]}]',
            "neigh.txt, entry 1, lladdr: '52:54:00:00:00:0' is not a link-layer address",
            id="short-lladdr-octet",
        ),
        pytest.param(
            '[{"dst": "192.0.2.1", "state": "STALE"}]',
            "neigh.txt, entry 1, state: expected a list of state names, got 'STALE'",
            id="state-not-a-list",
        ),
        pytest.param(
            '[{"dst": "192.0.2.1", "state": ["stale"]}]',
            "neigh.txt, entry 1, state: unknown neighbour state 'stale'",
            id="unknown-state",
        ),
    ],
)
def test_read_ip_neigh_refuses_malformed_json(text: str, expected: str) -> None:
    assert _error(text).startswith(expected)


def test_read_ip_neigh_refuses_text_over_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "192.0.2.1 dev eth0 lladdr 52:54:00:00:00:01 STALE\n"
    monkeypatch.setattr(seen_module, "MAX_OBSERVATION_BYTES", len(text) - 1)

    assert "is more than the" in _error(text)
