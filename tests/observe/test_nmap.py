"""nmap XML reports: the hosts found up, in the shapes nmap 7.9x writes, and refusals of bad input."""

from __future__ import annotations

import pytest

from ipledger.observe import seen as seen_module
from ipledger.observe.nmap import read_nmap_xml
from ipledger.observe.seen import ObservationError, SeenAddress
from tests.observe.factories import data_text, line_of, seen, utc

_PROLOG = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE nmaprun>
<?xml-stylesheet href="file:///usr/bin/../share/nmap/nmap.xsl" type="text/xsl"?>
<nmaprun scanner="nmap" args="nmap -sn -oX - 192.0.2.0/28" start="1709543525" version="7.94SVN" xmloutputversion="1.05">
<verbose level="0"/>
<debugging level="0"/>
"""
_RUNSTATS = """<runstats><finished time="1709543527" elapsed="2.07" exit="success"/><hosts up="1" down="15" total="16"/>
</runstats>
"""
_UP = """<host><status state="up" reason="arp-response" reason_ttl="0"/>
<address addr="192.0.2.1" addrtype="ipv4"/>
<address addr="52:54:00:3A:1F:07" addrtype="mac" vendor="QEMU virtual NIC"/>
<hostnames>
</hostnames>
</host>
"""
_STARTED = utc("2024-03-04 09:12:05")
_FINISHED = utc("2024-03-04 09:12:07")


def _report(*hosts: str, runstats: str = _RUNSTATS) -> str:
    return _PROLOG + "".join(hosts) + runstats + "</nmaprun>\n"


def _up(address: str, **fields: object) -> SeenAddress:
    return seen(address, source="nmap", state="up", **fields)


def _error(text: str) -> ObservationError:
    with pytest.raises(ObservationError) as caught:
        read_nmap_xml(text, path="scan.xml")
    return caught.value


REPORTS = [
    pytest.param(
        "nmap-sn-ipv4.xml",
        [
            _up("192.168.122.1", mac="52:54:00:3a:1f:07", hostname="gateway.lab.example", seen_at=_FINISHED),
            _up("192.168.122.20", mac="52:54:00:9c:41:e2", hostname="db1.lab.example", seen_at=_FINISHED),
            _up("192.168.122.37", mac="dc:a6:32:0b:7e:19", seen_at=_FINISHED),
            _up("192.168.122.50", hostname="scanner.lab.example", seen_at=_FINISHED),
        ],
        id="ping-scan-ipv4-the-scanner-itself-without-mac",
    ),
    pytest.param(
        "nmap-sn-verbose.xml",
        [
            _up(
                "192.168.122.1",
                mac="52:54:00:3a:1f:07",
                hostname="gateway.lab.example",
                seen_at=utc("2024-03-04 09:20:14"),
            ),
            _up("192.168.122.2", mac="52:54:00:9c:41:e5", seen_at=utc("2024-03-04 09:20:14")),
        ],
        id="verbose-down-hosts-skipped-hints-ignored-repeat-merged",
    ),
    pytest.param(
        "nmap-6-sn.xml",
        [
            _up("2001:db8:122::1", mac="52:54:00:3a:1f:07", seen_at=utc("2024-03-04 09:31:43")),
            _up(
                "2001:db8:122::40",
                mac="00:11:32:a4:5b:6c",
                hostname="nas.lab.example",
                seen_at=utc("2024-03-04 09:31:43"),
            ),
            _up(
                "fd00:122::20",
                mac="52:54:00:9c:41:e2",
                hostname="db1.lab.example",
                seen_at=utc("2024-03-04 09:31:43"),
            ),
        ],
        id="ping-scan-ipv6-ptr-name-preferred-to-user-name",
    ),
    pytest.param(
        "nmap-fast-scan.xml",
        [
            _up("10.20.0.5", mac="3c:ec:ef:12:ab:01", seen_at=utc("2024-03-04 09:40:09")),
            _up("192.0.2.10", hostname="www.example.com", seen_at=utc("2024-03-04 09:40:06")),
        ],
        id="port-scan-host-endtime",
    ),
    pytest.param(
        "nmap-pn-fast-scan.xml",
        [
            _up("198.51.100.1", seen_at=utc("2024-03-04 09:50:04")),
            _up("198.51.100.2", seen_at=utc("2024-03-04 09:50:02")),
        ],
        id="pn-scan-only-hosts-whose-ports-answered",
    ),
]


@pytest.mark.parametrize(("name", "expected"), REPORTS)
def test_read_nmap_xml_reads_the_hosts_up(name: str, expected: list[SeenAddress]) -> None:
    assert read_nmap_xml(data_text(name), path=name) == expected


@pytest.mark.parametrize(
    ("hosts", "runstats", "expected"),
    [
        pytest.param((_UP,), _RUNSTATS, _FINISHED, id="ping-scan-takes-finished"),
        pytest.param((_UP,), "", _STARTED, id="no-runstats-takes-the-run-start"),
        pytest.param(
            (_UP.replace("<host>", '<host starttime="1709543600">'),),
            _RUNSTATS,
            utc("2024-03-04 09:13:20"),
            id="host-starttime-without-endtime",
        ),
        pytest.param(
            (_UP.replace("<host>", '<host starttime="0" endtime="0">'),),
            _RUNSTATS,
            utc("1970-01-01 00:00:00"),
            id="epoch-zero-is-a-time",
        ),
    ],
)
def test_read_nmap_xml_dates_each_host(hosts: tuple[str, ...], runstats: str, expected: object) -> None:
    (found,) = read_nmap_xml(_report(*hosts, runstats=runstats), path="scan.xml")

    assert found.seen_at == expected


def test_read_nmap_xml_without_any_time_leaves_seen_at_none() -> None:
    text = _report(_UP, runstats="").replace(' start="1709543525"', "")

    assert read_nmap_xml(text, path="scan.xml") == [_up("192.0.2.1", mac="52:54:00:3a:1f:07")]


def test_read_nmap_xml_ignores_host_hints() -> None:
    hint = _UP.replace("<host>", "<hosthint>").replace("</host>", "</hosthint>")

    assert read_nmap_xml(_report(hint), path="scan.xml") == []


@pytest.mark.parametrize("state", ["down", "unknown", "skipped"])
def test_read_nmap_xml_skips_hosts_not_up(state: str) -> None:
    host = _UP.replace('state="up" reason="arp-response"', f'state="{state}" reason="no-response"')

    assert read_nmap_xml(_report(host), path="scan.xml") == []


@pytest.mark.parametrize(
    ("host", "is_seen"),
    [
        pytest.param(_UP, True, id="probed-arp-response"),
        pytest.param(
            '<host><status state="up" reason="user-set" reason_ttl="0"/>\n<address addr="192.0.2.1" addrtype="ipv4"/>\n'
            "</host>\n",
            False,
            id="sn-pn-nothing-asked",
        ),
        pytest.param(_UP.replace('reason="arp-response"', 'reason="user-set"'), True, id="pn-with-mac"),
        pytest.param(
            '<host><status state="up" reason="user-set"/><address addr="192.0.2.1" addrtype="ipv4"/>'
            '<ports><port protocol="udp" portid="53"><state state="open|filtered" reason="no-response"/></port>'
            "</ports></host>\n",
            False,
            id="pn-udp-silence",
        ),
        pytest.param(
            '<host><status state="up" reason="user-set"/><address addr="192.0.2.1" addrtype="ipv4"/>'
            '<ports><extraports state="unfiltered" count="1000"/></ports></host>\n',
            True,
            id="pn-ack-scan-resets",
        ),
    ],
)
def test_read_nmap_xml_sees_a_pn_host_only_when_something_answered(host: str, is_seen: bool) -> None:
    found = read_nmap_xml(_report(host), path="scan.xml")

    assert [str(item.address) for item in found] == (["192.0.2.1"] if is_seen else [])


def test_read_nmap_xml_of_a_scan_that_found_nothing_is_empty() -> None:
    assert read_nmap_xml(_report(), path="scan.xml") == []


def test_read_nmap_xml_reads_the_user_name_when_there_is_no_ptr() -> None:
    host = _UP.replace("<hostnames>\n", '<hostnames>\n<hostname name="printer" type="user"/>\n')

    (found,) = read_nmap_xml(_report(host), path="scan.xml")

    assert found.hostname == "printer"


def test_read_nmap_xml_ignores_names_outside_the_host_hostnames() -> None:
    host = _UP.replace("</host>", '<hostscript><hostname name="decoy" type="PTR"/></hostscript>\n</host>')

    (found,) = read_nmap_xml(_report(host), path="scan.xml")

    assert found.hostname == ""


_BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE nmaprun [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<nmaprun>&lol2;</nmaprun>
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            _BILLION_LAUGHS, "scan.xml, line 3: the entity declaration 'lol' is refused", id="billion-laughs"
        ),
        pytest.param(
            '<?xml version="1.0"?>\n<!DOCTYPE nmaprun [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
            "<nmaprun>&xxe;</nmaprun>\n",
            "scan.xml, line 2: the entity declaration 'xxe' is refused",
            id="external-entity",
        ),
        pytest.param(
            '<?xml version="1.0"?>\n<!DOCTYPE nmaprun [\n<!ENTITY % remote SYSTEM "http://192.0.2.1/x.dtd">\n'
            "%remote;]>\n<nmaprun/>\n",
            "scan.xml, line 3: the entity declaration 'remote' is refused",
            id="parameter-entity",
        ),
    ],
)
def test_read_nmap_xml_refuses_entity_declarations(text: str, expected: str) -> None:
    assert str(_error(text)).startswith(expected)


@pytest.mark.parametrize(
    ("cut_before", "expected"),
    [
        pytest.param("<runstats>", "no element found", id="cut-between-elements"),
        pytest.param('addrtype="mac"', "unclosed token", id="cut-inside-a-tag"),
    ],
)
def test_read_nmap_xml_refuses_a_truncated_report(cut_before: str, expected: str) -> None:
    full = data_text("nmap-sn-ipv4.xml")
    text = full[: full.index(cut_before)]

    error = _error(text)

    assert str(error).startswith(f"scan.xml, line {text.count(chr(10)) + 1}: not well-formed XML ({expected}")
    assert str(error).endswith("the report ends early: was the scan interrupted?")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", "scan.xml, line 1: not well-formed XML (no element found", id="empty"),
        pytest.param(
            "Starting Nmap 7.94", "scan.xml, line 1: not well-formed XML (syntax error", id="normal-output"
        ),
        pytest.param(
            '<?xml version="1.0"?>\n<scan><host/></scan>\n',
            "scan.xml, line 2: the root element is <scan>, not <nmaprun>: not nmap XML output",
            id="other-xml",
        ),
    ],
)
def test_read_nmap_xml_refuses_what_is_not_an_nmap_report(text: str, expected: str) -> None:
    assert str(_error(text)).startswith(expected)


@pytest.mark.parametrize(
    ("old", "new", "marker", "expected"),
    [
        pytest.param(
            'addr="192.0.2.1"', 'addr="192.0.2.300"', "192.0.2.300",
            "<address>, addr: '192.0.2.300' is not a valid IPv4 or IPv6 address",
            id="bad-ipv4",
        ),
        pytest.param(
            'addr="192.0.2.1" addrtype="ipv4"', 'addr="2001:db8::g" addrtype="ipv6"', "2001:db8::g",
            "<address>, addr: '2001:db8::g' is not a valid IPv4 or IPv6 address",
            id="bad-ipv6",
        ),
        pytest.param(
            'addr="192.0.2.1" addrtype="ipv4"', 'addr="fe80::1%eth0" addrtype="ipv6"', "fe80::1%eth0",
            "<address>, addr: 'fe80::1%eth0': leave out the zone",
            id="ipv6-with-zone",
        ),
        pytest.param(
            "52:54:00:3A:1F:07", "XX:XX:XX:XX:XX:XX", "XX:XX",
            "<address addrtype=\"mac\">, addr: 'XX:XX:XX:XX:XX:XX' is not a MAC address",
            id="bad-mac",
        ),
        pytest.param(
            'addrtype="ipv4"', 'addrtype="ipx"', "ipx",
            "<address>, addrtype: 'ipx': expected one of ipv4, ipv6, mac",
            id="unknown-address-type",
        ),
        pytest.param(
            "<host>", '<host starttime="1709543600" endtime="soon">', "soon",
            "<host>, endtime: 'soon' is not a Unix time",
            id="bad-host-endtime",
        ),
        pytest.param(
            '<status state="up" reason="arp-response" reason_ttl="0"/>', '<status reason="arp-response"/>',
            "<status", "<status>, state: no host state given",
            id="status-without-state",
        ),
    ],
)  # fmt: skip
def test_read_nmap_xml_refuses_a_malformed_host(old: str, new: str, marker: str, expected: str) -> None:
    text = _report(_UP.replace(old, new))

    assert str(_error(text)).startswith(f"scan.xml, line {line_of(text, marker)}, {expected}")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param(
            '<host>\n<address addr="192.0.2.1" addrtype="ipv4"/>\n</host>\n',
            "the host has no <status>",
            id="no-status",
        ),
        pytest.param(
            '<host><status state="up"/>\n<address addr="52:54:00:3A:1F:07" addrtype="mac"/>\n</host>\n',
            "the host has no IPv4 or IPv6 <address>",
            id="no-ip-address",
        ),
    ],
)
def test_read_nmap_xml_refuses_an_incomplete_host(host: str, expected: str) -> None:
    text = _report(host)

    assert str(_error(text)) == f"scan.xml, line {line_of(text, '<host>')}, <host>: {expected}"


def test_read_nmap_xml_refuses_a_bad_finished_time() -> None:
    text = _report(_UP, runstats=_RUNSTATS.replace('time="1709543527"', 'time="1709543527.5"'))

    assert str(_error(text)) == (
        f"scan.xml, line {line_of(text, '<runstats>')}, <finished>, time: "
        "'1709543527.5' is not a Unix time (whole seconds since 1970)"
    )


def test_read_nmap_xml_refuses_a_time_beyond_year_9999() -> None:
    text = _report(_UP.replace("<host>", '<host endtime="253402300800">'))

    assert "<host>, endtime: '253402300800' is not a Unix time" in str(_error(text))


def test_read_nmap_xml_refuses_text_over_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _report(_UP)
    monkeypatch.setattr(seen_module, "MAX_OBSERVATION_BYTES", len(text) - 1)

    assert "is more than the" in str(_error(text))
