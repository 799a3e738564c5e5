"""Recording addresses seen in use (nmap, ip neigh, CSV) and reporting stale ones.

Cluster prod documents a pod, service, node and load-balancer network of each family; its syncs
come from objects built by `tests.service.k8s_dumps` at fixed times, and address records get
their creation time from a ledger with a fixed clock. Each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from ipledger.core.errors import InvalidInputError, NotFoundError
from ipledger.core.findings import Finding, Severity
from ipledger.kube.dump import DumpError
from ipledger.observe.seen import ObservationError, SeenAddress
from ipledger.service.addresses import show_address
from ipledger.service.ledger import Ledger
from ipledger.service.records import AddressRecord
from ipledger.service.sightings import (
    SightingReport,
    record_scan_file,
    record_scan_text,
    record_sightings,
    stale_addresses,
)
from ipledger.service.spaces import create_space
from ipledger.service.sync import SyncResult, sync_from_objects
from tests.kube.k8s_fixtures import fixture_path
from tests.observe.factories import DATA, data_text
from tests.service.factories import (
    ACTOR,
    add_address,
    add_cluster,
    add_prefix,
    add_range,
    all_changes,
    ip,
    stored_state,
)
from tests.service.k8s_dumps import (
    CalicoEntry,
    calico_block,
    calico_pool,
    cilium_node,
    node,
    pod,
    service,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=2)
LATER = NOW + timedelta(hours=2)
MAC = "52:54:00:00:00:01"
RECORDED_MAC = "52:54:00:00:00:aa"
# The networks cluster prod documents (managed_by cluster:prod).
PROD_NETWORKS = (
    ("10.244.0.0/16", "pod"),
    ("fd00:10:244::/48", "pod"),
    ("10.96.0.0/16", "service"),
    ("fd00:10:96::/108", "service"),
    ("192.168.10.0/24", "node"),
    ("203.0.113.0/24", "loadbalancer"),
)
WEB_1_IPS = ("10.244.1.2", "fd00:10:244:1::2")  # default/web-1, on the pod network
SERVICE_IPS = ("10.96.0.20", "fd00:10:96::20")  # default/web and default/web6
LB_IP = "203.0.113.10"  # default/web's load-balancer address


def prod_objects(*, pods: bool = True, services: bool = True) -> list[dict[str, Any]]:
    """One node; web-1 holding `WEB_1_IPS`; the services holding `SERVICE_IPS` and `LB_IP`."""
    objects = [node("node-a", internal_ip="192.168.10.11", pod_cidr="10.244.1.0/24")]
    if pods:
        objects.append(pod("default", "web-1", node_name="node-a", ips=list(WEB_1_IPS)))
    if services:
        objects += [
            service("default", "web", cluster_ip=SERVICE_IPS[0], ingress_ip=LB_IP),
            service("default", "web6", cluster_ip=SERVICE_IPS[1]),
        ]
    return objects


def add_prod(ledger: Ledger, name: str = "prod") -> None:
    add_cluster(ledger, name)
    for cidr, role in PROD_NETWORKS:
        add_prefix(ledger, cidr, role=role, managed_by=f"cluster:{name}")


def sync(
    ledger: Ledger, objects: Sequence[dict[str, Any]], *, name: str = "prod", now: datetime = NOW
) -> SyncResult:
    return sync_from_objects(ledger, name, objects, source="test", actor=ACTOR, now=now)


def fail_sync(ledger: Ledger, *, now: datetime = LATER) -> None:
    """A sync that fails (a pod with a malformed address) and is recorded as failed."""
    broken = pod("default", "broken", node_name="node-a", ips=["bogus"])
    with pytest.raises(DumpError):
        sync(ledger, [broken], now=now)


def sight(ledger: Ledger, *addresses: str, space: str = "global", **fields: Any) -> SightingReport:
    seen = [SeenAddress(ip(text), source="nmap", **fields) for text in addresses]
    return record_sightings(ledger, seen, actor=ACTOR, space=space)


def kinds(report: SightingReport) -> list[tuple[str, str]]:
    return [(item.kind, item.subject) for item in report.findings]


def at(ledger: Ledger, moment: datetime) -> Ledger:
    """The same database, with changes (and so records' creation times) made at ``moment``."""
    return Ledger(ledger.database, clock=lambda: moment)


def record(ledger: Ledger, address: str, *, space: str = "global") -> AddressRecord:
    return show_address(ledger, ip(address), space=space)


def stale(ledger: Ledger, *, days: int = 30, now: datetime = NOW, space: str | None = None) -> list[str]:
    return [str(item.address) for item in stale_addresses(ledger, days=days, now=now, space=space).addresses]


# -- last seen and MAC ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recorded", "seen_at", "expected", "updated"),
    [
        pytest.param(None, NOW, NOW, 1, id="never-seen-takes-the-sighting"),
        pytest.param(EARLIER, NOW, NOW, 1, id="later-sighting-moves-it-forward"),
        pytest.param(LATER, NOW, LATER, 0, id="older-sighting-leaves-it"),
        pytest.param(NOW, NOW, NOW, 0, id="same-time-leaves-it"),
    ],
)
@pytest.mark.parametrize("address", ["192.0.2.10", "2001:db8::10"])
def test_record_sightings_moves_last_seen_forward_only(
    ledger: Ledger,
    address: str,
    recorded: datetime | None,
    seen_at: datetime,
    expected: datetime,
    updated: int,
) -> None:
    add_address(ledger, address, last_seen=recorded)

    report = sight(ledger, address, seen_at=seen_at)

    assert (report.seen, report.updated) == (1, updated)
    assert record(ledger, address).last_seen == expected


def test_record_sightings_without_a_time_takes_the_time_of_the_change(ledger: Ledger) -> None:
    add_address(ledger, "192.0.2.10")

    sight(at(ledger, NOW), "192.0.2.10")

    assert record(ledger, "192.0.2.10").last_seen == NOW


@pytest.mark.parametrize(
    ("recorded", "seen", "expected"),
    [
        pytest.param("", MAC, MAC, id="empty-mac-is-filled"),
        pytest.param(RECORDED_MAC, MAC, RECORDED_MAC, id="recorded-mac-is-kept"),
        pytest.param(RECORDED_MAC, "", RECORDED_MAC, id="sighting-without-mac-keeps-it"),
        pytest.param("", "", "", id="no-mac-anywhere"),
    ],
)
def test_record_sightings_fills_an_empty_mac_only(
    ledger: Ledger, recorded: str, seen: str, expected: str
) -> None:
    add_address(ledger, "192.0.2.10", mac=recorded)

    sight(ledger, "192.0.2.10", seen_at=NOW, mac=seen)

    assert record(ledger, "192.0.2.10").mac == expected


def test_record_sightings_updates_only_records_of_its_space(ledger: Ledger) -> None:
    create_space(ledger, "lab", actor=ACTOR)
    add_address(ledger, "192.0.2.10", space="lab")
    add_address(ledger, "192.0.2.10")

    report = sight(ledger, "192.0.2.10", space="lab", seen_at=NOW)

    assert report.updated == 1
    assert (record(ledger, "192.0.2.10", space="lab").last_seen, record(ledger, "192.0.2.10").last_seen) == (
        NOW,
        None,
    )


def test_record_sightings_writes_one_audit_entry_when_records_move(ledger: Ledger) -> None:
    for address in ("192.0.2.10", "192.0.2.11"):
        add_address(ledger, address)
    before = len(all_changes(ledger))

    sight(ledger, "192.0.2.10", "192.0.2.11", "192.0.2.12", seen_at=NOW)

    changes = all_changes(ledger)[before:]
    assert [(item.action, item.object_kind, item.actor) for item in changes] == [("update", "address", ACTOR)]


def test_record_sightings_that_move_nothing_write_no_audit_entry(ledger: Ledger) -> None:
    add_address(ledger, "192.0.2.10", last_seen=LATER)
    before = stored_state(ledger)

    report = sight(ledger, "192.0.2.10", seen_at=NOW)

    assert report.updated == 0
    assert stored_state(ledger) == before


def test_record_sightings_in_an_unknown_space_raises_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match="nowhere"):
        sight(ledger, "192.0.2.10", space="nowhere")


# -- findings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "rogue"),
    [
        pytest.param("10.244.1.99", True, id="pod-network-ipv4-not-held"),
        pytest.param("fd00:10:244:1::99", True, id="pod-network-ipv6-not-held"),
        pytest.param("10.244.255.255", True, id="pod-network-top-not-held"),
        pytest.param(WEB_1_IPS[0], False, id="pod-network-ipv4-held-by-a-pod"),
        pytest.param(WEB_1_IPS[1], False, id="pod-network-ipv6-held-by-a-pod"),
        pytest.param("10.96.0.77", True, id="service-network-ipv4-not-held"),
        pytest.param("fd00:10:96::77", True, id="service-network-ipv6-not-held"),
        pytest.param(SERVICE_IPS[0], False, id="service-network-ipv4-held-by-a-service"),
        pytest.param(SERVICE_IPS[1], False, id="service-network-ipv6-held-by-a-service"),
        pytest.param("192.168.10.50", False, id="node-network-is-not-watched"),
    ],
)
def test_record_sightings_reports_rogue_addresses_in_the_cluster_networks(
    ledger: Ledger, address: str, rogue: bool
) -> None:
    add_prod(ledger)
    sync(ledger, prod_objects())

    report = sight(ledger, address, seen_at=LATER)

    assert kinds(report) == ([("rogue-address", address)] if rogue else [])


def test_record_sightings_names_the_rogue_address_its_network_and_cluster(ledger: Ledger) -> None:
    add_prod(ledger)
    sync(ledger, prod_objects())

    report = sight(ledger, "10.244.1.99", seen_at=LATER, hostname="vm-7.lab.example", mac=MAC)

    (finding,) = report.findings
    assert (finding.severity, finding.kind, finding.subject) == (
        Severity.ERROR,
        "rogue-address",
        "10.244.1.99",
    )
    assert finding.message.startswith(
        f"10.244.1.99 (vm-7.lab.example) MAC {MAC} answers inside the pod network 10.244.0.0/16 of "
        "cluster prod, but no pod of that cluster held it at its last sync"
    )


@pytest.mark.parametrize(
    ("pods", "services", "address"),
    [
        pytest.param(False, True, WEB_1_IPS[0], id="pod-gone"),
        pytest.param(True, False, SERVICE_IPS[0], id="service-gone"),
    ],
)
def test_record_sightings_judges_by_the_last_sync(
    ledger: Ledger, pods: bool, services: bool, address: str
) -> None:
    add_prod(ledger)
    sync(ledger, prod_objects())
    sync(ledger, prod_objects(pods=pods, services=services), now=LATER)

    report = sight(ledger, address, seen_at=LATER)

    assert kinds(report) == [("rogue-address", address)]


def test_record_sightings_after_a_failed_sync_judges_by_the_last_good_one(ledger: Ledger) -> None:
    add_prod(ledger)
    sync(ledger, prod_objects())
    fail_sync(ledger)

    report = sight(ledger, WEB_1_IPS[0], "10.244.1.99", seen_at=LATER)

    assert kinds(report) == [("rogue-address", "10.244.1.99")]


@pytest.mark.parametrize("failed_sync", [False, True], ids=["never-synced", "only-a-failed-sync"])
def test_record_sightings_does_not_judge_a_cluster_without_a_good_sync(
    ledger: Ledger, failed_sync: bool
) -> None:
    add_prod(ledger)
    if failed_sync:
        fail_sync(ledger)

    report = sight(ledger, "10.244.1.99", "10.96.0.77", seen_at=LATER)

    assert report.findings == ()


def test_record_sightings_calls_an_address_held_by_another_cluster_rogue(ledger: Ledger) -> None:
    add_prod(ledger)
    add_cluster(ledger, "other")
    sync(ledger, prod_objects(pods=False))
    other = [
        node("node-x", internal_ip="192.168.20.11", pod_cidr="10.244.1.0/24"),
        pod("default", "squatter", node_name="node-x", ips=[WEB_1_IPS[0]]),
    ]
    sync(ledger, other, name="other")

    report = sight(ledger, WEB_1_IPS[0], seen_at=LATER)

    assert kinds(report) == [("rogue-address", WEB_1_IPS[0])]


@pytest.mark.parametrize(
    ("objects", "address"),
    [
        pytest.param("calico", "10.244.1.0", id="calico-tunnel-address"),
        pytest.param("cilium", "10.244.2.1", id="cilium-router-address"),
        pytest.param("cilium", "10.244.2.2", id="cilium-health-address"),
    ],
)
def test_record_sightings_does_not_call_the_cluster_own_addresses_rogue(
    ledger: Ledger, objects: str, address: str
) -> None:
    add_prod(ledger)
    extra = (
        [
            calico_pool("default-ipv4-ippool", "10.244.0.0/16"),
            calico_block(
                "10.244.1.0/26", host="node-a", entries=[CalicoEntry(0, "vxlan-tunnel-addr-node-a")]
            ),
        ]
        if objects == "calico"
        else [
            cilium_node(
                "node-a",
                internal_ip="192.168.10.11",
                pod_cidr="10.244.2.0/24",
                used={"10.244.2.1": "router", "10.244.2.2": "health"},
            )
        ]
    )
    sync(ledger, [*prod_objects(), *extra])

    report = sight(ledger, address, seen_at=LATER)

    assert report.findings == ()


@pytest.mark.parametrize(
    ("space", "address"),
    [
        pytest.param("global", "198.51.100.7", id="ipv4"),
        pytest.param("global", "2001:db8:ffff::7", id="ipv6"),
        pytest.param("lab", "10.244.1.99", id="other-space-without-prefixes"),
    ],
)
def test_record_sightings_warns_of_an_address_in_no_prefix(ledger: Ledger, space: str, address: str) -> None:
    add_prod(ledger)
    if space != "global":
        create_space(ledger, space, actor=ACTOR)

    report = sight(ledger, address, space=space, seen_at=LATER)

    assert report.findings == (
        Finding(
            Severity.WARNING,
            "address-in-no-prefix",
            address,
            f"{address} answered (nmap) but lies in no documented prefix of space {space}: "
            "record the network it belongs to, or find out why it is there",
        ),
    )


def test_record_sightings_is_silent_about_an_address_in_an_ordinary_prefix(ledger: Ledger) -> None:
    add_prefix(ledger, "192.0.2.0/24")

    assert sight(ledger, "192.0.2.77", seen_at=NOW).findings == ()


# -- scans as text and files ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", [None, "given"], ids=["detected", "named"])
@pytest.mark.parametrize(
    ("name", "file_kind", "seen", "seen_at"),
    [
        pytest.param("nmap-sn-ipv4.xml", "nmap", 4, datetime(2024, 3, 4, 9, 12, 7, tzinfo=UTC), id="nmap"),
        pytest.param("ip-neigh.txt", "ip-neigh", 9, NOW, id="ip-neigh"),
        pytest.param("ip-j-neigh.json", "ip-neigh", 5, NOW, id="ip-j-neigh"),
        pytest.param("seen.csv", "csv", 5, datetime(2024, 3, 4, 9, 12, 7, tzinfo=UTC), id="csv"),
    ],
)
def test_record_scan_text_reads_each_kind(
    ledger: Ledger, name: str, file_kind: str, kind: str | None, seen: int, seen_at: datetime
) -> None:
    add_prefix(ledger, "192.168.122.0/24")
    add_address(ledger, "192.168.122.1")

    report = record_scan_text(
        ledger,
        data_text(name),
        filename=name,
        actor=ACTOR,
        now=NOW,
        kind=None if kind is None else file_kind,
    )

    assert report.seen == seen
    assert record(ledger, "192.168.122.1").last_seen == seen_at


@pytest.mark.parametrize(
    ("text", "message", "field"),
    [
        pytest.param(
            "address,mac\n192.0.2.1,\n192.0.2.300,\n",
            "scan.txt, line 3, address: '192.0.2.300' is not a valid IPv4 or IPv6 address",
            "address",
            id="csv-address",
        ),
        pytest.param(
            "address,mac\n192.0.2.1,zz\n",
            "scan.txt, line 2, mac: 'zz' is not a MAC address (expected e.g. 52:54:00:12:34:56)",
            "mac",
            id="csv-mac",
        ),
        pytest.param(
            "192.0.2.1 dev eth0 lladdr 52:54:00:00:00:01 REACHABLE\nbogus line here\n",
            "scan.txt, line 2, address: 'bogus' is not a valid IPv4 or IPv6 address",
            "address",
            id="ip-neigh-address",
        ),
        pytest.param(
            '<nmaprun>\n<host>\n<status state="up"/>\n<address addr="192.0.2.1" addrtype="ipv4"/>\n</nmaprun>',
            "scan.txt, line 5: not well-formed XML (mismatched tag, column 3)",
            None,
            id="nmap-truncated-host",
        ),
    ],
)
def test_record_scan_text_of_malformed_input_names_the_line_and_records_nothing(
    ledger: Ledger, text: str, message: str, field: str | None
) -> None:
    add_address(ledger, "192.0.2.1")
    before = stored_state(ledger)

    with pytest.raises(ObservationError) as caught:
        record_scan_text(ledger, text, filename="scan.txt", actor=ACTOR, now=NOW)

    assert (str(caught.value), caught.value.field) == (message, field)
    assert stored_state(ledger) == before


def test_record_scan_text_of_an_unknown_kind_raises_invalid_input(ledger: Ledger) -> None:
    with pytest.raises(InvalidInputError, match="unknown kind 'arp'") as caught:
        record_scan_text(ledger, "address\n192.0.2.1\n", filename="scan", actor=ACTOR, now=NOW, kind="arp")
    assert caught.value.field == "kind"


def test_record_scan_file_reads_the_file_and_records_it(ledger: Ledger, tmp_path: Path) -> None:
    add_address(ledger, "192.0.2.10")
    path = tmp_path / "seen.csv"
    path.write_text(f"address,mac,seen_at\n192.0.2.10,{MAC},2026-11-01T12:00:00Z\n", encoding="utf-8")

    report = record_scan_file(ledger, path, actor=ACTOR)

    assert (report.seen, report.updated) == (1, 1)
    assert (record(ledger, "192.0.2.10").last_seen, record(ledger, "192.0.2.10").mac) == (NOW, MAC)


def test_record_scan_file_of_a_missing_file_raises_naming_it(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "missing.xml"

    with pytest.raises(ObservationError, match=f"^{path}: cannot read the file"):
        record_scan_file(ledger, path, actor=ACTOR)


def test_record_scan_file_reads_the_test_data_in_place(ledger: Ledger) -> None:
    report = record_scan_file(ledger, DATA / "seen-ip-only.csv", actor=ACTOR)

    assert (report.seen, report.updated) == (3, 0)
    assert {item.kind for item in report.findings} == {"address-in-no-prefix"}


# -- stale addresses -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "created_days_ago", "seen_days_ago", "is_stale"),
    [
        pytest.param("192.0.2.10", 40, None, True, id="never-seen-created-before-the-cutoff"),
        pytest.param("2001:db8::10", 40, None, True, id="never-seen-ipv6"),
        pytest.param("192.0.2.10", 10, None, False, id="never-seen-created-after-the-cutoff"),
        pytest.param("192.0.2.10", 30, None, False, id="never-seen-created-at-the-cutoff"),
        pytest.param("192.0.2.10", 400, 40, True, id="seen-before-the-cutoff"),
        pytest.param("2001:db8::10", 400, 31, True, id="seen-before-the-cutoff-ipv6"),
        pytest.param("192.0.2.10", 400, 30, False, id="seen-at-the-cutoff"),
        pytest.param("192.0.2.10", 400, 1, False, id="seen-recently"),
    ],
)
def test_stale_addresses_lists_records_not_seen_since_the_cutoff(
    ledger: Ledger, address: str, created_days_ago: int, seen_days_ago: int | None, is_stale: bool
) -> None:
    last_seen = None if seen_days_ago is None else NOW - timedelta(days=seen_days_ago)
    add_address(at(ledger, NOW - timedelta(days=created_days_ago)), address, last_seen=last_seen)

    assert stale(ledger, days=30) == ([address] if is_stale else [])


def test_stale_addresses_reports_the_cutoff(ledger: Ledger) -> None:
    assert stale_addresses(ledger, days=30, now=NOW).cutoff == NOW - timedelta(days=30)


def test_stale_addresses_of_zero_days_lists_every_record_older_than_now(ledger: Ledger) -> None:
    add_address(at(ledger, NOW - timedelta(seconds=1)), "192.0.2.10")
    add_address(at(ledger, NOW - timedelta(seconds=1)), "192.0.2.11", last_seen=NOW)

    assert stale(ledger, days=0) == ["192.0.2.10"]


def test_stale_addresses_sorts_ipv4_before_ipv6(ledger: Ledger) -> None:
    old = at(ledger, NOW - timedelta(days=40))
    for address in ("2001:db8::1", "192.0.2.20", "192.0.2.3"):
        add_address(old, address)

    assert stale(ledger) == ["192.0.2.3", "192.0.2.20", "2001:db8::1"]


@pytest.mark.parametrize(
    ("space", "expected"),
    [
        pytest.param(None, ["192.0.2.10", "192.0.2.10"], id="every-space"),
        pytest.param("lab", ["192.0.2.10"], id="one-space"),
    ],
)
def test_stale_addresses_of_a_space_lists_only_its_records(
    ledger: Ledger, space: str | None, expected: list[str]
) -> None:
    create_space(ledger, "lab", actor=ACTOR)
    old = at(ledger, NOW - timedelta(days=40))
    add_address(old, "192.0.2.10")
    add_address(old, "192.0.2.10", space="lab")

    report = stale_addresses(ledger, days=30, now=NOW, space=space)

    assert [str(item.address) for item in report.addresses] == expected
    assert {item.space for item in report.addresses} == ({"global", "lab"} if space is None else {"lab"})


def test_stale_addresses_of_an_unknown_space_raises_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match="nowhere"):
        stale_addresses(ledger, days=30, now=NOW, space="nowhere")


def test_stale_addresses_reports_load_balancer_addresses_no_service_holds(ledger: Ledger) -> None:
    add_prod(ledger)
    add_address(ledger, LB_IP, holder_kind="loadbalancer")
    add_address(ledger, "203.0.113.50", holder_kind="loadbalancer")
    sync(ledger, prod_objects())

    report = stale_addresses(ledger, days=30, now=LATER)

    assert report.unbound == (
        Finding(
            Severity.WARNING,
            "loadbalancer-address-unbound",
            "203.0.113.50",
            "203.0.113.50 is recorded in load-balancer network 203.0.113.0/24 of cluster prod, but no "
            "service held it at the last sync: release it or find its service",
        ),
    )


def test_stale_addresses_reports_unbound_addresses_of_a_load_balancer_range(ledger: Ledger) -> None:
    add_prod(ledger)
    add_prefix(ledger, "198.51.100.0/24", role="infrastructure")
    add_range(ledger, "198.51.100.100-198.51.100.120", role="loadbalancer", managed_by="cluster:prod")
    add_address(ledger, "198.51.100.105", holder_kind="loadbalancer")
    sync(ledger, prod_objects())

    [finding] = stale_addresses(ledger, days=30, now=LATER).unbound

    assert finding.subject == "198.51.100.105"
    assert "recorded in load-balancer range 198.51.100.100-198.51.100.120 of cluster prod" in finding.message


def test_stale_addresses_reports_unbound_addresses_of_the_metallb_pools_the_sync_saw(ledger: Ledger) -> None:
    # MetalLB's own example pool: 192.168.10.0/24, 192.168.9.1-192.168.9.5 and an IPv6 /124.
    metallb_pool = yaml.safe_load(fixture_path("metallb-IPAddressPool-simple.yaml").read_text())
    add_prod(ledger)
    add_address(ledger, "192.168.9.3", holder_kind="loadbalancer", holder_name="old VIP")
    add_address(ledger, "fc00:f853:ccd:e799::7", holder_kind="loadbalancer")
    sync(ledger, [*prod_objects(), metallb_pool])

    report = stale_addresses(ledger, days=30, now=LATER)

    # The node's own record (192.168.10.11, inside the pool's /24) is the sync's, not a VIP.
    assert [(item.subject, item.message.split(" of cluster")[0]) for item in report.unbound] == [
        (
            "192.168.9.3",
            "192.168.9.3 is recorded in MetalLB pool metallb-system/example (192.168.9.1-192.168.9.5)",
        ),
        (
            "fc00:f853:ccd:e799::7",
            "fc00:f853:ccd:e799::7 is recorded in MetalLB pool metallb-system/example (fc00:f853:ccd:e799::/124)",
        ),
    ]


def test_stale_addresses_calls_a_load_balancer_address_unbound_once_its_service_is_gone(
    ledger: Ledger,
) -> None:
    add_prod(ledger)
    add_address(ledger, LB_IP, holder_kind="loadbalancer")
    sync(ledger, prod_objects())
    sync(ledger, prod_objects(services=False), now=LATER)

    report = stale_addresses(ledger, days=30, now=LATER)

    assert [item.subject for item in report.unbound] == [LB_IP]


@pytest.mark.parametrize("failed_sync", [False, True], ids=["never-synced", "only-a-failed-sync"])
def test_stale_addresses_does_not_judge_load_balancer_addresses_without_a_good_sync(
    ledger: Ledger, failed_sync: bool
) -> None:
    add_prod(ledger)
    add_address(ledger, "203.0.113.50", holder_kind="loadbalancer")
    if failed_sync:
        fail_sync(ledger)

    assert stale_addresses(ledger, days=30, now=LATER).unbound == ()


def test_stale_addresses_of_a_space_reports_only_its_unbound_addresses(ledger: Ledger) -> None:
    create_space(ledger, "lab", actor=ACTOR)
    add_prod(ledger)
    add_address(ledger, "203.0.113.50", holder_kind="loadbalancer")
    sync(ledger, prod_objects())

    assert stale_addresses(ledger, days=30, now=LATER, space="lab").unbound == ()


def test_stale_addresses_does_not_list_a_record_the_last_sync_saw_held(ledger: Ledger) -> None:
    add_prod(ledger)
    add_address(at(ledger, NOW - timedelta(days=40)), LB_IP, holder_kind="loadbalancer")
    sync(ledger, prod_objects())

    assert stale(ledger, days=30, now=LATER) == []
