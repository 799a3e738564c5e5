"""JSON export and import: a round trip loses nothing, a bad document names its position and writes
nothing, and the bulk path leaves the ledger in the state single-object writes would have."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from ipledger.core.addresses import IPNetwork
from ipledger.core.errors import ConflictError, InvalidInputError, LedgerError, NotFoundError
from ipledger.core.ranges import IPRange
from ipledger.core.thresholds import Thresholds
from ipledger.service.addresses import list_addresses
from ipledger.service.allocation import allocate_addresses, list_free_space
from ipledger.service.clusters import ClusterFields, create_cluster
from ipledger.service.groups import list_groups
from ipledger.service.ledger import Ledger
from ipledger.service.prefixes import delete_prefix, list_prefixes
from ipledger.service.ranges import list_ranges
from ipledger.service.roles import create_role
from ipledger.service.spaces import create_space, list_spaces
from ipledger.service.transfer import FORMAT, export_ledger, import_ledger
from ipledger.store.database import database_url_for_path
from tests.conftest import PostgresDatabase
from tests.service.factories import (
    ACTOR,
    add_address,
    add_group,
    add_prefix,
    add_range,
    all_changes,
    created_by,
    error_findings,
    net,
    span,
    stored_state,
)
from tests.service.recount import check_against_recount

WHO = "importer"
SEEN = datetime(2024, 5, 1, 12, 30, tzinfo=timezone(timedelta(hours=2)))

FreshLedger = Callable[[], Ledger]


@pytest.fixture
def fresh_ledger(request: pytest.FixtureRequest, ledger_url: str, tmp_path: Path) -> Iterator[FreshLedger]:
    """Opens a just-migrated ledger on the test's engine: on SQLite a second copy of the template;
    on PostgreSQL the test's own database emptied again, so read what you need from ``ledger`` first."""
    opened: list[Ledger] = []

    def open_fresh() -> Ledger:
        if ledger_url.startswith("sqlite"):
            path = tmp_path / "fresh.db"
            shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
            opened.append(Ledger.open(database_url_for_path(path)))
            return opened[-1]
        database: PostgresDatabase = request.getfixturevalue("postgres_database")
        database.reset()
        return database.ledger

    yield open_fresh
    for item in opened:
        item.close()


def _fill_varied(ledger: Ledger) -> None:
    """Three spaces, a custom role, nested groups, both families, pools, ranges and addresses."""
    create_space(ledger, "lab", actor=ACTOR, description="Lab VRF")
    create_space(ledger, "dmz", actor=ACTOR)
    create_role(ledger, "storage", actor=ACTOR, description="SAN and NAS")
    add_group(ledger, "dc1", owner="netops", environment="prod", tags=("core", "eu"))
    add_group(ledger, "dc1/k8s/prod", description="prod cluster", owner="platform", tags=("k8s",))
    add_group(ledger, "lab-team", environment="lab")
    add_prefix(ledger, "10.0.0.0/16", role="infrastructure", group="dc1", tags=("site",))
    add_prefix(
        ledger,
        "10.0.1.0/24",
        role="pod",
        status="reserved",
        group="dc1/k8s/prod",
        managed_by="calico",
        description="pods of prod",
        thresholds=Thresholds(50, 60, 70),
    )
    add_prefix(ledger, "10.0.2.0/24", role="storage", is_pool=True)
    add_prefix(ledger, "10.0.3.0/30", thresholds=Thresholds(40, 80, 90))
    add_prefix(ledger, "10.0.4.0/31")
    add_prefix(ledger, "2001:db8::/48", role="pod", unit_prefixlen=56, tags=("v6", "k8s"))
    add_prefix(ledger, "2001:db8:0:1::/64", status="planned", is_pool=True)
    add_prefix(ledger, "10.0.0.0/24", space="lab", group="lab-team", status="deprecated")
    add_prefix(ledger, "2001:db8:ff::/64", space="dmz", description="public services")
    add_range(ledger, "10.0.1.100-10.0.1.150", role="loadbalancer", group="dc1", tags=("metallb",))
    add_range(ledger, "2001:db8::100-2001:db8::1ff", managed_by="kube-vip", status="reserved")
    add_range(ledger, "10.0.0.10-10.0.0.20", space="lab", description="dhcp")
    add_address(
        ledger,
        "10.0.1.5",
        holder_kind="node",
        holder_name="node-1",
        dns_name="node-1.example.org",
        mac="52-54-00-12-34-56",
        last_seen=SEEN,
        group="dc1/k8s/prod",
        tags=("ssh", "bmc"),
        description="first node",
    )
    add_address(ledger, "10.0.1.120", holder_kind="loadbalancer", holder_name="ingress", source="k8s")
    add_address(ledger, "10.0.2.0", holder_kind="server", holder_name="nas-0", status="reserved")
    add_address(ledger, "10.0.3.1", holder_kind="gateway", holder_name="gw")
    add_address(ledger, "10.0.3.2")
    add_address(ledger, "10.0.4.0")
    add_address(ledger, "10.0.4.1")
    add_address(ledger, "2001:db8::1", holder_kind="vm", holder_name="vm-1", mac="5254.0012.3457")
    add_address(ledger, "2001:db8::150", holder_kind="service", holder_name="api")
    add_address(ledger, "10.0.0.15", space="lab", holder_name="laptop")
    add_address(ledger, "2001:db8:ff::10", space="dmz", holder_kind="server", holder_name="www")
    create_cluster(
        ledger,
        "prod-1",
        ClusterFields(
            group="dc1/k8s/prod", provider="eks", ipam_mode="calico", expected_nodes=40, growth=1.5
        ),
        actor=WHO,
    )
    # An m5.large's 3 ENIs of 10 IPv4 addresses and 2 vCPUs, for the AWS max-pods formula.
    create_cluster(
        ledger,
        "edge-1",
        ClusterFields(
            provider="eks", ipam_mode="aws-vpc-cni", max_pods=29, eni_count=3, ips_per_eni=10, vcpus=2
        ),
        actor=WHO,
    )


def _derived(ledger: Ledger) -> dict[str, Any]:
    """Utilization of every prefix, used count of every range, and free space of both."""
    prefixes, _ = list_prefixes(ledger)
    ranges = list_ranges(ledger)
    parents: list[tuple[str, IPNetwork | IPRange]] = [
        *((item.space, item.network) for item in prefixes),
        *((item.space, item.span) for item in ranges),
    ]
    return {
        "prefixes": {
            (item.space, str(item.network)): (item.usage, item.level, item.usage.percent) for item in prefixes
        },
        "ranges": {(item.space, str(item.span)): item.used for item in ranges},
        "free": {
            (space, str(parent)): list_free_space(ledger, parent, space=space).blocks
            for space, parent in parents
        },
    }


def test_export_import_round_trip_gives_an_identical_document(
    ledger: Ledger, fresh_ledger: FreshLedger
) -> None:
    _fill_varied(ledger)
    document = export_ledger(ledger)
    original = copy.deepcopy(document)
    fresh = fresh_ledger()

    import_ledger(fresh, document, actor=WHO)

    assert document == original, "the import changed the document it was given"
    assert export_ledger(fresh) == original


def test_export_names_every_field_of_the_varied_ledger(ledger: Ledger) -> None:
    _fill_varied(ledger)

    document = export_ledger(ledger)

    assert (document["format"], document["version"]) == (FORMAT, 1)
    assert [space["name"] for space in document["spaces"]] == ["dmz", "global", "lab"]
    assert document["clusters"] == [
        {
            "name": "edge-1",
            "status": "active",
            "space": "global",
            "group": None,
            "provider": "eks",
            "ipam_mode": "aws-vpc-cni",
            "max_pods": 29,
            "node_prefixlen": None,
            "node_prefixlen_v6": None,
            "expected_nodes": 3,
            "growth": 2.0,
            "expected_services": None,
            "eni_count": 3,
            "ips_per_eni": 10,
            "vcpus": 2,
            "dual_stack": False,
            "description": "",
        },
        {
            "name": "prod-1",
            "status": "active",
            "space": "global",
            "group": "dc1/k8s/prod",
            "provider": "eks",
            "ipam_mode": "calico",
            "max_pods": 110,
            "node_prefixlen": None,
            "node_prefixlen_v6": None,
            "expected_nodes": 40,
            "growth": 1.5,
            "expected_services": None,
            "eni_count": None,
            "ips_per_eni": None,
            "vcpus": None,
            "dual_stack": False,
            "description": "",
        },
    ]
    assert {"name": "storage", "description": "SAN and NAS"} in document["roles"]
    assert document["groups"][2] == {
        "path": "dc1/k8s/prod",
        "description": "prod cluster",
        "owner": "platform",
        "environment": "",
        "tags": ["k8s"],
    }
    pods = next(item for item in document["prefixes"] if item["prefix"] == "10.0.1.0/24")
    assert {key: value for key, value in pods.items() if not key.endswith("_at")} == {
        "space": "global",
        "prefix": "10.0.1.0/24",
        "status": "reserved",
        "role": "pod",
        "group": "dc1/k8s/prod",
        "managed_by": "calico",
        "description": "pods of prod",
        "tags": [],
        "is_pool": False,
        "thresholds": {"warning": 50.0, "critical": 60.0, "emergency": 70.0},
        "unit_prefixlen": None,
    }
    node = next(item for item in document["addresses"] if item["address"] == "10.0.1.5")
    assert (node["mac"], node["last_seen"], node["tags"], node["holder_kind"]) == (
        "52:54:00:12:34:56",
        "2024-05-01T10:30:00+00:00",
        ["bmc", "ssh"],
        "node",
    )


def test_import_into_fresh_ledger_keeps_utilization_and_free_space(
    ledger: Ledger, fresh_ledger: FreshLedger
) -> None:
    _fill_varied(ledger)
    document = export_ledger(ledger)
    derived = _derived(ledger)
    fresh = fresh_ledger()

    import_ledger(fresh, document, actor=WHO)

    assert error_findings(fresh) == []
    assert _derived(fresh) == derived


def test_import_into_fresh_ledger_reports_what_it_created(ledger: Ledger, fresh_ledger: FreshLedger) -> None:
    _fill_varied(ledger)
    document = export_ledger(ledger)
    fresh = fresh_ledger()

    summary = import_ledger(fresh, document, actor=WHO)

    assert created_by(summary) == {"spaces": 2, "groups": 4, "prefixes": 9, "ranges": 3, "addresses": 11}
    assert [space.name for space in list_spaces(fresh)] == ["dmz", "global", "lab"]
    assert [group.path for group in list_groups(fresh)] == ["dc1", "dc1/k8s", "dc1/k8s/prod", "lab-team"]


def test_import_keeps_times_of_the_document(ledger: Ledger) -> None:
    document = _document(
        addresses=[
            {
                "address": "10.1.0.5",
                "last_seen": "2024-05-01T12:30:00+02:00",
                "created_at": "2023-01-02T03:04:05Z",
            }
        ]
    )

    import_ledger(ledger, document, actor=WHO)

    (address,) = list_addresses(ledger, space="global", holder=None)
    assert (address.last_seen, address.created_at, address.updated_at) == (
        datetime(2024, 5, 1, 10, 30, tzinfo=UTC),
        datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC),
        datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


# --- a small valid document, and bad variants of it -----------------------------------------------


def _document(**sections: Any) -> dict[str, Any]:
    """A valid document creating a space, a role, two groups, prefixes, a range and addresses
    (so that a refused import has something to roll back); ``sections`` replace whole sections."""
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": 1,
        "spaces": [{"name": "lab", "description": "Lab VRF"}],
        "roles": [{"name": "storage", "description": "SAN"}],
        "groups": [{"path": "dc1", "owner": "netops"}, {"path": "dc1/k8s", "tags": ["k8s"]}],
        "prefixes": [
            {"prefix": "10.1.0.0/24", "role": "storage", "group": "dc1/k8s"},
            {"prefix": "2001:db8::/64", "space": "lab"},
        ],
        "ranges": [{"range": "10.1.0.10-10.1.0.20", "role": "loadbalancer"}],
        "addresses": [
            {"address": "10.1.0.5", "holder_kind": "node", "holder_name": "node-1"},
            {"address": "2001:db8::5", "space": "lab"},
        ],
    }
    document.update(sections)
    return document


def _set(section: str, index: int, **fields: Any) -> Callable[[dict[str, Any]], Any]:
    def change(document: dict[str, Any]) -> Any:
        document[section][index].update(fields)
        return document

    return change


def _add(section: str, entry: dict[str, Any]) -> Callable[[dict[str, Any]], Any]:
    def change(document: dict[str, Any]) -> Any:
        document[section].append(entry)
        return document

    return change


def _both(*changes: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
    def change(document: dict[str, Any]) -> Any:
        for step in changes:
            document = step(document)
        return document

    return change


def _top(**fields: Any) -> Callable[[dict[str, Any]], Any]:
    def change(document: dict[str, Any]) -> Any:
        document.update(fields)
        return document

    return change


_KNOWN_PREFIX_FIELDS = (
    "created_at, description, group, is_pool, managed_by, prefix, role, space, status, tags, "
    "thresholds, unit_prefixlen, updated_at"
)
_ROLES = (
    "expected one of expansion-reserve, general, infrastructure, loadbalancer, node, pod, service, storage"
)

_BAD_DOCUMENTS: list[Any] = [
    pytest.param(
        lambda document: [document],
        InvalidInputError,
        "the document must be a JSON object with the sections of an ipledger export",
        id="not-an-object",
    ),
    pytest.param(
        _top(format="netbox-export"),
        InvalidInputError,
        "not an ipledger-export document of version 1 (format/version fields)",
        id="wrong-format",
    ),
    pytest.param(
        _top(version=2),
        InvalidInputError,
        "not an ipledger-export document of version 1 (format/version fields)",
        id="wrong-version",
    ),
    pytest.param(
        _top(observations=[]),
        InvalidInputError,
        "document: unknown field(s) observations "
        "(known: addresses, clusters, format, groups, prefixes, ranges, roles, spaces, version)",
        id="unknown-section",
    ),
    pytest.param(
        _top(clusters=[{"name": "k1", "growth": 0.5}]),
        InvalidInputError,
        "clusters[0]: growth 0.5: must be finite and at least 1",
        id="cluster-bad-growth",
    ),
    pytest.param(
        _top(clusters=[{"name": "k1", "ipam_mode": "calico", "eni_count": 3, "ips_per_eni": 10}]),
        InvalidInputError,
        "clusters[0]: ENI figures apply to the AWS VPC CNI modes, not calico",
        id="cluster-eni-figures-without-aws",
    ),
    pytest.param(
        _top(clusters=[{"name": "k1", "colour": "blue"}]),
        InvalidInputError,
        "clusters[0]: unknown field(s) colour (known: description, dual_stack, eni_count, expected_nodes, "
        "expected_services, group, growth, ipam_mode, ips_per_eni, max_pods, name, node_prefixlen, "
        "node_prefixlen_v6, provider, space, status, vcpus)",
        id="cluster-unknown-field",
    ),
    pytest.param(
        _top(prefixes={"prefix": "10.1.0.0/24"}),
        InvalidInputError,
        "prefixes: expected a list of objects",
        id="section-not-a-list",
    ),
    pytest.param(
        _set("prefixes", 1, vlan=12, site="fra"),
        InvalidInputError,
        f"prefixes[1]: unknown field(s) site, vlan (known: {_KNOWN_PREFIX_FIELDS})",
        id="unknown-field",
    ),
    pytest.param(
        _set("prefixes", 0, prefix="10.1.0.1/24"),
        InvalidInputError,
        "prefixes[0]: 10.1.0.1/24: host bits set; did you mean 10.1.0.0/24?",
        id="host-bits",
    ),
    pytest.param(
        _set("prefixes", 1, status="live"),
        InvalidInputError,
        "prefixes[1]: unknown status 'live': expected one of active, reserved, planned, deprecated",
        id="bad-status",
    ),
    pytest.param(
        _set("addresses", 1, holder_kind="robot"),
        InvalidInputError,
        "addresses[1]: unknown holder kind 'robot': "
        "expected one of node, pod, service, loadbalancer, vm, server, gateway, other",
        id="bad-holder-kind",
    ),
    pytest.param(
        _set("addresses", 0, last_seen="2024-05-01T12:00:00"),
        InvalidInputError,
        "addresses[0].last_seen: '2024-05-01T12:00:00' has no time zone (add Z or +00:00)",
        id="naive-last-seen",
    ),
    pytest.param(
        _set("ranges", 0, created_at="2024-05-01 12:00"),
        InvalidInputError,
        "ranges[0].created_at: '2024-05-01 12:00' has no time zone (add Z or +00:00)",
        id="naive-created-at",
    ),
    pytest.param(
        _set("addresses", 0, last_seen="yesterday"),
        InvalidInputError,
        "addresses[0].last_seen: 'yesterday' is not an ISO 8601 time",
        id="not-a-time",
    ),
    pytest.param(
        _set("addresses", 1, mac="52:54:00:12:34"),
        InvalidInputError,
        "addresses[1]: '52:54:00:12:34' is not a MAC address (expected e.g. 52:54:00:12:34:56)",
        id="bad-mac",
    ),
    pytest.param(
        _set("prefixes", 0, thresholds={"warning": 90, "critical": 80}),
        InvalidInputError,
        "prefixes[0]: thresholds 90/80/95: expected warning <= critical <= emergency",
        id="bad-thresholds",
    ),
    pytest.param(
        _set("prefixes", 0, unit_prefixlen=28),
        InvalidInputError,
        "prefixes[0]: 10.1.0.0/24: allocation units apply to IPv6 prefixes only",
        id="ipv4-unit",
    ),
    pytest.param(
        _set("prefixes", 0, tags="k8s"),
        InvalidInputError,
        "prefixes[0]: tags must be a list of words",
        id="tags-not-a-list",
    ),
    pytest.param(
        _set("addresses", 0, holder_name=7),
        InvalidInputError,
        "addresses[0].holder_name: expected text, got 7",
        id="number-for-text",
    ),
    pytest.param(
        _add("prefixes", {"prefix": "10.1.0.0/24"}),
        ConflictError,
        "prefixes[2]: prefix 10.1.0.0/24 duplicates prefix 10.1.0.0/24",
        id="duplicate-prefix-in-document",
    ),
    pytest.param(
        _add("prefixes", {"prefix": "10.0.0.0/24", "description": "again"}),
        ConflictError,
        "prefixes[2]: prefix 10.0.0.0/24 duplicates prefix 10.0.0.0/24 (already in the ledger)",
        id="duplicate-prefix-of-ledger",
    ),
    pytest.param(
        _add("addresses", {"address": "10.1.0.5"}),
        ConflictError,
        "addresses[2]: address 10.1.0.5 duplicates address 10.1.0.5",
        id="duplicate-address-in-document",
    ),
    pytest.param(
        _add("addresses", {"address": "10.0.0.5"}),
        ConflictError,
        "addresses[2]: address 10.0.0.5 duplicates address 10.0.0.5 (already in the ledger)",
        id="duplicate-address-of-ledger",
    ),
    pytest.param(
        _add("ranges", {"range": "10.1.0.15-10.1.0.25"}),
        ConflictError,
        "ranges[1]: range 10.1.0.15-10.1.0.25 overlaps range 10.1.0.10-10.1.0.20",
        id="range-overlaps-range-in-document",
    ),
    pytest.param(
        _add("ranges", {"range": "10.0.0.15-10.0.0.30"}),
        ConflictError,
        "ranges[1]: range 10.0.0.15-10.0.0.30 overlaps range 10.0.0.10-10.0.0.20 (already in the ledger)",
        id="range-overlaps-later-range-of-ledger",
    ),
    pytest.param(
        _add("ranges", {"range": "10.0.0.8-10.0.0.12"}),
        ConflictError,
        "ranges[1]: range 10.0.0.8-10.0.0.12 overlaps range 10.0.0.10-10.0.0.20 (already in the ledger)",
        id="range-overlaps-earlier-range-of-ledger",
    ),
    pytest.param(
        _add("ranges", {"range": "10.9.0.1-10.9.0.5"}),
        InvalidInputError,
        "ranges[1]: range 10.9.0.1-10.9.0.5 is not inside any prefix; record its prefix first",
        id="range-outside-any-prefix",
    ),
    pytest.param(
        _add("ranges", {"range": "10.1.0.250-10.1.1.5"}),
        ConflictError,
        "ranges[1]: range 10.1.0.250-10.1.1.5 straddles the end of prefix 10.1.0.0/24",
        id="range-across-prefix-end",
    ),
    pytest.param(
        _add("prefixes", {"prefix": "10.1.0.16/30"}),
        ConflictError,
        "prefixes[2]: prefix 10.1.0.16/30 lies inside or across range 10.1.0.10-10.1.0.20",
        id="prefix-inside-range",
    ),
    pytest.param(
        _add("addresses", {"address": "10.1.0.0"}),
        InvalidInputError,
        "addresses[2]: 10.1.0.0 is the network or broadcast (IPv6: subnet-router anycast) address of "
        "10.1.0.0/24; mark the prefix as a pool if every address is usable",
        id="network-address",
    ),
    pytest.param(
        _add("addresses", {"address": "10.0.0.255"}),
        InvalidInputError,
        "addresses[2]: 10.0.0.255 is the network or broadcast (IPv6: subnet-router anycast) address of "
        "10.0.0.0/24; mark the prefix as a pool if every address is usable",
        id="broadcast-address-of-ledger-prefix",
    ),
    pytest.param(
        _add("addresses", {"address": "2001:db8::", "space": "lab"}),
        InvalidInputError,
        "addresses[2]: 2001:db8:: is the network or broadcast (IPv6: subnet-router anycast) address of "
        "2001:db8::/64; mark the prefix as a pool if every address is usable",
        id="subnet-router-anycast",
    ),
    pytest.param(
        _both(_set("ranges", 0, range="10.1.0.0-10.1.0.20"), _add("addresses", {"address": "10.1.0.0"})),
        InvalidInputError,
        "addresses[2]: 10.1.0.0 is the network or broadcast (IPv6: subnet-router anycast) address of "
        "10.1.0.0/24; mark the prefix as a pool if every address is usable",
        id="network-address-inside-range",
    ),
    pytest.param(
        _both(
            _add("ranges", {"range": "10.0.0.250-10.0.0.255"}), _add("addresses", {"address": "10.0.0.255"})
        ),
        InvalidInputError,
        "addresses[2]: 10.0.0.255 is the network or broadcast (IPv6: subnet-router anycast) address of "
        "10.0.0.0/24; mark the prefix as a pool if every address is usable",
        id="broadcast-address-inside-range-of-ledger-prefix",
    ),
    pytest.param(
        _set("prefixes", 0, group="dc9"),
        NotFoundError,
        "prefixes[0]: no group 'dc9'",
        id="unknown-group",
    ),
    pytest.param(
        _set("addresses", 1, space="prod"),
        NotFoundError,
        "addresses[1]: no space named 'prod'",
        id="unknown-space",
    ),
    pytest.param(
        _set("ranges", 0, role="web"),
        InvalidInputError,
        f"ranges[0]: unknown role 'web': {_ROLES}",
        id="unknown-role",
    ),
    pytest.param(
        _add("groups", {"path": "lab/servers"}),
        InvalidInputError,
        "groups[2].path: parent group 'lab' is neither in the ledger nor the document",
        id="group-parent-missing",
    ),
    pytest.param(
        _add("groups", {"path": "dc1//x"}),
        InvalidInputError,
        "groups[2].path: 'dc1//x' is not a group path like a/b/c",
        id="bad-group-path",
    ),
    pytest.param(
        _add("spaces", {"name": ""}),
        InvalidInputError,
        "spaces[1].name: '' is not a space name (one word without slashes)",
        id="space-without-name",
    ),
]


def test_import_refuses_non_numeric_threshold_naming_position(ledger: Ledger) -> None:
    before = stored_state(ledger)

    with pytest.raises(
        InvalidInputError, match=r"^prefixes\[0\]\.thresholds\.warning: expected a percentage, got 'high'"
    ):
        import_ledger(ledger, _set("prefixes", 0, thresholds={"warning": "high"})(_document()), actor=WHO)
    assert stored_state(ledger) == before


@pytest.mark.parametrize("value", ["no", "false"])
def test_import_refuses_is_pool_that_is_not_true_or_false(ledger: Ledger, value: Any) -> None:
    before = stored_state(ledger)

    with pytest.raises(InvalidInputError, match=r"^prefixes\[0\]"):
        import_ledger(ledger, _set("prefixes", 0, is_pool=value)(_document()), actor=WHO)
    assert stored_state(ledger) == before


def test_import_records_changes_to_an_existing_group_as_an_update(ledger: Ledger) -> None:
    add_group(ledger, "dc1", owner="netops", description="Frankfurt")
    document = _document(
        groups=[{"path": "dc1", "owner": "platform", "description": "Frankfurt"}, {"path": "dc1/k8s"}]
    )

    import_ledger(ledger, document, actor=WHO)

    entries = [
        (change.action, (change.before or {}).get("owner"), (change.after or {}).get("owner"))
        for change in all_changes(ledger)
        if change.object_kind == "group" and change.object_label == "dc1" and change.actor == WHO
    ]
    assert list_groups(ledger)[0].owner == "platform"
    assert entries == [("update", "netops", "platform")]


def test_create_address_refuses_network_address_inside_range(ledger: Ledger) -> None:
    """The single-object rule the bulk path must match (see ``network-address-inside-range``)."""
    add_prefix(ledger, "10.1.0.0/24")
    add_range(ledger, "10.1.0.0-10.1.0.20")

    with pytest.raises(InvalidInputError, match=r"10\.1\.0\.0 is the network address of 10\.1\.0\.0/24"):
        add_address(ledger, "10.1.0.0")


def _existing(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.20")
    add_address(ledger, "10.0.0.5", holder_name="db-1")


@pytest.mark.parametrize(("change", "error", "message"), _BAD_DOCUMENTS)
def test_import_refuses_bad_document_naming_position_and_writes_nothing(
    ledger: Ledger,
    change: Callable[[dict[str, Any]], Any],
    error: type[LedgerError],
    message: str,
) -> None:
    _existing(ledger)
    before = stored_state(ledger)

    with pytest.raises(error) as raised:
        import_ledger(ledger, change(_document()), actor=WHO)

    assert str(raised.value) == message
    assert stored_state(ledger) == before


def test_import_of_valid_base_document_succeeds(ledger: Ledger) -> None:
    """The base of the bad documents is itself fine, so each refusal is down to its one change."""
    _existing(ledger)

    summary = import_ledger(ledger, _document(), actor=WHO)

    assert created_by(summary) == {"spaces": 1, "groups": 2, "prefixes": 2, "ranges": 1, "addresses": 2}
    assert error_findings(ledger) == []


@pytest.mark.parametrize(
    ("prefix", "address"),
    [("10.1.0.0/24", "10.1.0.0"), ("10.1.0.0/24", "10.1.0.255"), ("2001:db8:1::/64", "2001:db8:1::")],
    ids=["network", "broadcast", "subnet-router-anycast"],
)
def test_import_accepts_every_address_of_a_pool(ledger: Ledger, prefix: str, address: str) -> None:
    document = _document(
        prefixes=[{"prefix": prefix, "is_pool": True}], ranges=[], addresses=[{"address": address}]
    )

    import_ledger(ledger, document, actor=WHO)

    assert [str(item.address) for item in list_addresses(ledger)] == [address]
    assert error_findings(ledger) == []


# --- audit log and progress ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["space", "group", "prefix", "range", "address"])
def test_import_writes_one_audit_entry_per_object_with_its_id(ledger: Ledger, kind: str) -> None:
    import_ledger(ledger, _document(), actor=WHO)

    stored = {
        "space": {space.name: space.id for space in list_spaces(ledger) if space.name == "lab"},
        "group": {group.path: group.id for group in list_groups(ledger)},
        "prefix": {f"{item.network} ({item.space})": item.id for item in list_prefixes(ledger)[0]},
        "range": {f"{item.span} ({item.space})": item.id for item in list_ranges(ledger)},
        "address": {f"{item.address} ({item.space})": item.id for item in list_addresses(ledger)},
    }[kind]
    entries = [
        (change.object_label, change.object_id, change.actor)
        for change in all_changes(ledger)
        if change.action == "import" and change.object_kind == kind
    ]
    assert sorted(entries) == sorted((label, key, WHO) for label, key in stored.items())


def test_import_audit_entry_of_prefix_lists_its_fields(ledger: Ledger) -> None:
    import_ledger(ledger, _document(), actor=WHO)

    (entry,) = [change for change in all_changes(ledger) if change.object_label == "10.1.0.0/24 (global)"]
    assert (entry.action, entry.before, entry.after) == (
        "import",
        None,
        {
            "prefix": "10.1.0.0/24",
            "prefixlen": 24,
            "status": "active",
            "role": "storage",
            "managed_by": "manual",
            "is_pool": False,
            "warning": 70.0,
            "critical": 85.0,
            "emergency": 95.0,
            "version": 1,
        },
    )


def test_import_closes_with_one_entry_for_the_document(ledger: Ledger) -> None:
    import_ledger(ledger, _document(), actor=WHO)

    last = all_changes(ledger)[-1]
    assert (last.action, last.object_kind, last.object_id, last.object_label, last.after) == (
        "import",
        "ledger",
        None,
        "document",
        {"prefixes": 2, "ranges": 1, "addresses": 2},
    )


def test_import_reports_progress_up_to_the_total(ledger: Ledger) -> None:
    calls: list[tuple[int, int]] = []

    import_ledger(ledger, _document(), actor=WHO, progress=lambda done, total: calls.append((done, total)))

    assert calls == [(2, 5), (3, 5), (5, 5)]


# --- the bulk path and the single-object path agree ------------------------------------------------


def _small_document() -> dict[str, Any]:
    """Prefixes small enough for the set-based recount, nested, with ranges and addresses."""
    return _document(
        spaces=[{"name": "lab"}],
        prefixes=[
            {"prefix": "10.1.0.0/24"},
            {"prefix": "10.1.0.0/26", "role": "pod"},
            {"prefix": "10.1.0.64/27", "is_pool": True},
            {"prefix": "10.1.0.128/25"},
            {"prefix": "2001:db8::/120", "space": "lab", "unit_prefixlen": 124},
        ],
        ranges=[
            {"range": "10.1.0.10-10.1.0.20"},
            {"range": "10.1.0.200-10.1.0.210"},
            {"range": "2001:db8::10-2001:db8::2f", "space": "lab"},
        ],
        addresses=[
            {"address": "10.1.0.5"},
            {"address": "10.1.0.12"},
            {"address": "10.1.0.64"},
            {"address": "10.1.0.129"},
            {"address": "10.1.0.205"},
            {"address": "2001:db8::1", "space": "lab"},
            {"address": "2001:db8::20", "space": "lab"},
        ],
    )


_SINGLE_WRITES: list[Any] = [
    pytest.param(lambda lg: add_address(lg, "10.1.0.6"), id="create-address-in-nested-prefix"),
    pytest.param(lambda lg: add_address(lg, "10.1.0.15"), id="create-address-in-range"),
    pytest.param(lambda lg: add_address(lg, "2001:db8::40", space="lab"), id="create-ipv6-address"),
    pytest.param(
        lambda lg: allocate_addresses(lg, net("10.1.0.0/26"), actor=ACTOR, count=10),
        id="allocate-from-prefix",
    ),
    pytest.param(
        lambda lg: allocate_addresses(lg, span("10.1.0.200-10.1.0.210"), actor=ACTOR, count=3),
        id="allocate-from-range",
    ),
    pytest.param(
        lambda lg: allocate_addresses(lg, net("2001:db8::/120"), actor=ACTOR, space="lab", count=20),
        id="allocate-ipv6-across-units",
    ),
    pytest.param(
        lambda lg: delete_prefix(lg, net("10.1.0.0/26"), actor=ACTOR), id="delete-prefix-with-range"
    ),
    pytest.param(lambda lg: delete_prefix(lg, net("10.1.0.64/27"), actor=ACTOR), id="delete-pool"),
    pytest.param(lambda lg: add_prefix(lg, "10.1.0.96/27"), id="create-prefix-beside"),
    pytest.param(lambda lg: add_prefix(lg, "10.1.0.192/26"), id="create-prefix-around-range-and-address"),
]


@pytest.mark.parametrize("write", _SINGLE_WRITES)
def test_single_write_after_import_keeps_ledger_consistent(
    ledger: Ledger, write: Callable[[Ledger], Any]
) -> None:
    import_ledger(ledger, _small_document(), actor=WHO)
    assert error_findings(ledger) == []

    write(ledger)

    assert error_findings(ledger) == []
    check_against_recount(ledger, "after the import and one single write")


def _written_one_at_a_time(ledger: Ledger) -> None:
    create_space(ledger, "lab", actor=ACTOR)
    add_prefix(ledger, "10.1.0.0/24")
    add_prefix(ledger, "10.1.0.128/26")
    add_range(ledger, "10.1.0.10-10.1.0.20")
    add_address(ledger, "10.1.0.30")
    add_address(ledger, "10.1.0.70")
    add_address(ledger, "10.1.0.130")
    allocate_addresses(ledger, span("10.1.0.10-10.1.0.20"), actor=ACTOR, count=2)
    add_prefix(ledger, "2001:db8::/120", space="lab", unit_prefixlen=124)
    add_address(ledger, "2001:db8::1", space="lab")


_INTO_WRITTEN_LEDGER: list[Any] = [
    pytest.param({"prefixes": [{"prefix": "10.1.0.0/26"}]}, id="prefix-between-parent-and-its-range"),
    pytest.param({"prefixes": [{"prefix": "10.1.0.64/27"}]}, id="prefix-over-existing-address"),
    pytest.param({"prefixes": [{"prefix": "10.1.0.128/25"}]}, id="prefix-around-existing-prefix"),
    pytest.param({"prefixes": [{"prefix": "10.1.0.0/23"}]}, id="prefix-around-top-level-prefix"),
    pytest.param(
        {"prefixes": [{"prefix": "10.1.0.0/26"}, {"prefix": "10.1.0.0/25"}]}, id="two-nested-prefixes"
    ),
    pytest.param({"ranges": [{"range": "10.1.0.25-10.1.0.75"}]}, id="range-over-existing-addresses"),
    pytest.param({"ranges": [{"range": "10.1.0.140-10.1.0.150"}]}, id="range-in-nested-prefix"),
    pytest.param(
        {"addresses": [{"address": "10.1.0.15"}, {"address": "10.1.0.131"}, {"address": "10.1.0.200"}]},
        id="addresses-in-range-and-nested-prefix",
    ),
    pytest.param(
        {
            "addresses": [
                {"address": "2001:db8::2", "space": "lab"},
                {"address": "2001:db8::42", "space": "lab"},
            ]
        },
        id="ipv6-addresses-in-used-and-fresh-units",
    ),
    pytest.param(
        {
            "prefixes": [{"prefix": "10.1.0.0/25"}, {"prefix": "2001:db8::80/121", "space": "lab"}],
            "ranges": [{"range": "10.1.0.100-10.1.0.110"}],
            "addresses": [
                {"address": "10.1.0.105"},
                {"address": "10.1.0.5"},
                {"address": "2001:db8::81", "space": "lab"},
            ],
        },
        id="everything-at-once",
    ),
]


@pytest.mark.parametrize("sections", _INTO_WRITTEN_LEDGER)
def test_import_into_ledger_written_one_object_at_a_time_stays_consistent(
    ledger: Ledger, sections: dict[str, Any]
) -> None:
    _written_one_at_a_time(ledger)
    document = {"format": FORMAT, "version": 1, **sections}

    import_ledger(ledger, document, actor=WHO)

    assert error_findings(ledger) == []
    check_against_recount(ledger, "after single writes and an import")
