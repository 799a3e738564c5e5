"""CSV import of prefixes and addresses: a spreadsheet's layout is understood, a bad row is named by
its spreadsheet row number (the header being row 1), and nothing is written unless every row is good."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest

from ipledger.core.errors import ConflictError, InvalidInputError, LedgerError, NotFoundError
from ipledger.core.thresholds import Thresholds
from ipledger.service.addresses import list_addresses
from ipledger.service.allocation import allocate_addresses
from ipledger.service.bulk import ImportSummary
from ipledger.service.csv_import import import_csv
from ipledger.service.ledger import Ledger
from ipledger.service.prefixes import PrefixFilter, delete_prefix, list_prefixes
from ipledger.service.roles import create_role
from ipledger.service.spaces import create_space
from tests.service.factories import (
    ACTOR,
    add_address,
    add_group,
    add_prefix,
    add_range,
    all_changes,
    created_by,
    error_findings,
    ip,
    net,
    span,
    stored_state,
)
from tests.service.recount import check_against_recount

WHO = "importer"


def _import(ledger: Ledger, kind: str, text: str, **options: Any) -> ImportSummary:
    return import_csv(ledger, kind, io.StringIO(text, newline=""), actor=WHO, **options)


def _catalog(ledger: Ledger) -> None:
    """What the spreadsheets refer to: a space, a group and a custom role."""
    create_space(ledger, "lab", actor=ACTOR)
    add_group(ledger, "dc1")
    create_role(ledger, "storage", actor=ACTOR)


_PREFIX_SHEET = (
    " Description ,CIDR,POOL,Tags,Role,Warning,Critical,Emergency,Status,Group,Managed-By,VRF\r\n"
    "pods of prod,10.1.0.0/24,no,k8s; prod,Pod,50,60,70,Reserved,dc1,calico,global\r\n"
    "nas,10.1.1.0/24,Yes,,storage,,,,,,,\r\n"
    ",,,,,,,,,,,\r\n"
    "\r\n"
    ",2001:db8::/64,,,,,90,,,,,\r\n"
)


def test_csv_prefixes_in_spreadsheet_layout(ledger: Ledger) -> None:
    _catalog(ledger)

    summary = _import(ledger, "prefixes", _PREFIX_SHEET, space="lab")

    assert created_by(summary) == {"spaces": 0, "groups": 0, "prefixes": 3, "ranges": 0, "addresses": 0}
    records, _ = list_prefixes(ledger, PrefixFilter(sort="prefix"))
    assert sorted(
        (
            item.space,
            str(item.network),
            item.status,
            item.role,
            item.group,
            item.managed_by,
            item.description,
            item.tags,
            item.is_pool,
            item.thresholds,
            item.unit_prefixlen,
        )
        for item in records
    ) == [
        ("global", "10.1.0.0/24", "reserved", "pod", "dc1", "calico", "pods of prod", ("k8s", "prod"),
         False, Thresholds(50, 60, 70), None),
        ("lab", "10.1.1.0/24", "active", "storage", None, "manual", "nas", (), True, Thresholds(), None),
        ("lab", "2001:db8::/64", "active", "general", None, "manual", "", (), False, Thresholds(70, 90, 95), 64),
    ]  # fmt: skip


_ADDRESS_SHEET = (
    "IP Address,Hostname,MAC Address,DNS,Kind,Last Seen,Tags,Space,Source,Status,Group,Description\n"
    "10.1.0.5,node-1,52:54:00:AB:CD:EF,node-1.example.org,Node,2024-05-01T12:00:00+02:00,ssh;bmc,,,,dc1,first\n"
    "2001:db8::5,vm-1,5254.00ab.cdf0,,VM,,,global,netbox,Reserved,,\n"
)


def test_csv_addresses_in_spreadsheet_layout(ledger: Ledger) -> None:
    _catalog(ledger)

    summary = _import(ledger, "addresses", _ADDRESS_SHEET, space="lab")

    assert created_by(summary) == {"spaces": 0, "groups": 0, "prefixes": 0, "ranges": 0, "addresses": 2}
    assert [
        (
            item.space,
            str(item.address),
            item.holder_kind,
            item.holder_name,
            item.dns_name,
            item.mac,
            item.last_seen,
            item.tags,
            item.source,
            item.status,
            item.group,
            item.description,
        )
        for item in list_addresses(ledger)
    ] == [
        ("global", "2001:db8::5", "vm", "vm-1", "", "52:54:00:ab:cd:f0", None, (), "netbox", "reserved", None, ""),
        ("lab", "10.1.0.5", "node", "node-1", "node-1.example.org", "52:54:00:ab:cd:ef",
         datetime(2024, 5, 1, 10, 0, tzinfo=UTC), ("bmc", "ssh"), "import", "active", "dc1", "first"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("Prefix\n10.1.0.0/24\n", "network", net("10.1.0.0/24")),
        ("CIDR\n10.1.0.0/24\n", "network", net("10.1.0.0/24")),
        ("network\n10.1.0.0/24\n", "network", net("10.1.0.0/24")),
        ("SUBNET\n10.1.0.0/24\n", "network", net("10.1.0.0/24")),
        ("prefix,Is Pool\n10.1.0.0/24,x\n", "is_pool", True),
        ("prefix,is-pool\n10.1.0.0/24,TRUE\n", "is_pool", True),
        ("prefix,Pool\n10.1.0.0/24,N\n", "is_pool", False),
        ("prefix,VRF\n10.1.0.0/24,lab\n", "space", "lab"),
        ("prefix,Managed By\n10.1.0.0/24,terraform\n", "managed_by", "terraform"),
    ],
    ids=["prefix", "cidr", "network", "subnet", "is-pool-x", "is-pool-true", "pool-n", "vrf", "managed-by"],
)
def test_csv_prefix_column_aliases(ledger: Ledger, text: str, field: str, expected: object) -> None:
    create_space(ledger, "lab", actor=ACTOR)

    _import(ledger, "prefixes", text)

    (record,) = list_prefixes(ledger)[0]
    assert getattr(record, field) == expected


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("IP\n192.0.2.1\n", "address", ip("192.0.2.1")),
        ("ip address\n192.0.2.1\n", "address", ip("192.0.2.1")),
        ("IP_Address\n2001:db8::1\n", "address", ip("2001:db8::1")),
        ("address,Hostname\n192.0.2.1,web-01\n", "holder_name", "web-01"),
        ("address,Holder\n192.0.2.1,web-01\n", "holder_name", "web-01"),
        ("address,DNS\n192.0.2.1,web-01.example.org\n", "dns_name", "web-01.example.org"),
        ("address,mac-address\n192.0.2.1,525400000001\n", "mac", "52:54:00:00:00:01"),
        ("address,Kind\n192.0.2.1,Server\n", "holder_kind", "server"),
        ("address,Holder Kind\n192.0.2.1,vm\n", "holder_kind", "vm"),
    ],
    ids=["ip", "ip-address", "ip-address-underscore", "hostname", "holder", "dns", "mac-address", "kind",
         "holder-kind"],
)  # fmt: skip
def test_csv_address_column_aliases(ledger: Ledger, text: str, field: str, expected: object) -> None:
    _import(ledger, "addresses", text)

    (record,) = list_addresses(ledger)
    assert getattr(record, field) == expected


def test_csv_rows_default_to_the_given_space(ledger: Ledger) -> None:
    create_space(ledger, "lab", actor=ACTOR)

    _import(ledger, "addresses", "address,space\n192.0.2.1,\n192.0.2.2,global\n192.0.2.3, \n", space="lab")

    assert [(item.space, str(item.address)) for item in list_addresses(ledger)] == [
        ("global", "192.0.2.2"),
        ("lab", "192.0.2.1"),
        ("lab", "192.0.2.3"),
    ]


def test_csv_without_space_goes_to_global(ledger: Ledger) -> None:
    _import(ledger, "prefixes", "prefix\n10.1.0.0/24\n")

    assert [item.space for item in list_prefixes(ledger)[0]] == ["global"]


def test_csv_of_only_a_header_imports_nothing(ledger: Ledger) -> None:
    summary = _import(ledger, "prefixes", "Prefix,Role\n\n,\n")

    assert created_by(summary) == {"spaces": 0, "groups": 0, "prefixes": 0, "ranges": 0, "addresses": 0}
    assert list_prefixes(ledger)[1] == 0


# --- bad files ------------------------------------------------------------------------------------

_PREFIX_COLUMNS = (
    "prefix, space, status, role, group, description, tags, managed_by, pool, warning, critical, emergency"
)
_ROLES = "expected one of expansion-reserve, general, infrastructure, loadbalancer, node, pod, service"
_NETWORK = "is the network or broadcast (IPv6: subnet-router anycast) address of"

_BAD_FILES: list[Any] = [
    pytest.param(
        "prefixes", "Prefix,Colour,vlan\n10.1.0.0/24,red,7\n", InvalidInputError,
        f"unknown column(s) 'Colour', 'vlan'; known: {_PREFIX_COLUMNS}",
        id="unknown-column",
    ),
    pytest.param(
        "prefixes", "Role,Description\npod,pods\n", InvalidInputError,
        "the CSV needs a 'prefix' column",
        id="missing-prefix-column",
    ),
    pytest.param(
        "addresses", "Hostname\nweb-01\n", InvalidInputError,
        "the CSV needs a 'address' column",
        id="missing-address-column",
    ),
    pytest.param("prefixes", "", InvalidInputError,
                 "the CSV file is empty; the first row must name the columns", id="empty"),
    pytest.param(
        "prefixes", "prefix,role\n10.1.0.0/24,pod\n10.1.1.0/24\n", InvalidInputError,
        "row 3: 1 cells, but the header names 2 columns",
        id="too-few-cells",
    ),
    pytest.param(
        "prefixes", "prefix,role\n10.1.0.0/24,pod,extra\n", InvalidInputError,
        "row 2: 3 cells, but the header names 2 columns",
        id="too-many-cells",
    ),
    pytest.param(
        "prefixes", "prefix\n10.1.0.0/24\n10.1.0/24\n", InvalidInputError,
        "row 3: '10.1.0/24' is not a valid prefix: '10.1.0' is not an address",
        id="malformed-cidr",
    ),
    pytest.param(
        "prefixes", "prefix\n10.1.2.0\n", InvalidInputError,
        "row 2: '10.1.2.0': a prefix needs a length, e.g. 10.1.2.0/24",
        id="cidr-without-length",
    ),
    pytest.param(
        "prefixes", "prefix\n10.1.0.0/24\n10.1.1.1/24\n", InvalidInputError,
        "row 3: 10.1.1.1/24: host bits set; did you mean 10.1.1.0/24?",
        id="host-bits",
    ),
    pytest.param(
        "prefixes", "prefix\n10.1.0.0/24\n\n,\n10.1.1.1/24\n", InvalidInputError,
        "row 5: 10.1.1.1/24: host bits set; did you mean 10.1.1.0/24?",
        id="row-number-counts-blank-rows",
    ),
    pytest.param(
        "prefixes", 'prefix,description\n10.1.0.0/24,"two\nlines"\n10.1.1.1/24,x\n', InvalidInputError,
        "row 3: 10.1.1.1/24: host bits set; did you mean 10.1.1.0/24?",
        id="row-number-after-multiline-cell",
    ),
    pytest.param(
        "prefixes", "prefix\n10.1.0.0/24\n10.1.1.0/24\n10.1.0.0/24\n", ConflictError,
        "row 4: prefix 10.1.0.0/24 duplicates prefix 10.1.0.0/24",
        id="duplicate-prefix-in-file",
    ),
    pytest.param(
        "prefixes", "prefix\n10.1.0.0/24\n10.0.0.0/24\n", ConflictError,
        "row 3: prefix 10.0.0.0/24 duplicates prefix 10.0.0.0/24 (already in the ledger)",
        id="duplicate-prefix-of-ledger",
    ),
    pytest.param(
        "prefixes", "prefix\n10.0.0.16/30\n", ConflictError,
        "row 2: prefix 10.0.0.16/30 lies inside or across range 10.0.0.10-10.0.0.20 (already in the ledger)",
        id="prefix-inside-range-of-ledger",
    ),
    pytest.param(
        "prefixes", "prefix,pool\n10.1.0.0/24,maybe\n", InvalidInputError,
        "row 2: pool must be yes or no, not 'maybe'",
        id="bad-pool",
    ),
    pytest.param(
        "prefixes", "prefix,warning\n10.1.0.0/24,high\n", InvalidInputError,
        "row 2: warning must be a percentage, not 'high'",
        id="threshold-not-a-number",
    ),
    pytest.param(
        "prefixes", "prefix,warning,critical\n10.1.0.0/24,90,80\n", InvalidInputError,
        "row 2: thresholds 90/80/95: expected warning <= critical <= emergency",
        id="thresholds-out-of-order",
    ),
    pytest.param(
        "prefixes", "prefix,status\n10.1.0.0/24,live\n", InvalidInputError,
        "row 2: unknown status 'live': expected one of active, reserved, planned, deprecated",
        id="bad-status",
    ),
    pytest.param(
        "prefixes", "prefix,role\n10.1.0.0/24,\n10.1.1.0/24,web\n", InvalidInputError,
        f"row 3: unknown role 'web': {_ROLES}",
        id="unknown-role",
    ),
    pytest.param(
        "prefixes", "prefix,group\n10.1.0.0/24,dc9\n", NotFoundError,
        "row 2: no group 'dc9'",
        id="unknown-group",
    ),
    pytest.param(
        "prefixes", "prefix,space\n10.1.0.0/24,prod\n", NotFoundError,
        "row 2: no space named 'prod'",
        id="unknown-space",
    ),
    pytest.param(
        "addresses", "address,mac\n10.1.0.5,52:54:00:12:34:56\n10.1.0.6,zz:zz:zz:zz:zz:zz\n", InvalidInputError,
        "row 3: 'zz:zz:zz:zz:zz:zz' is not a MAC address (expected e.g. 52:54:00:12:34:56)",
        id="bad-mac",
    ),
    pytest.param(
        "addresses", "address,last_seen\n10.1.0.5,yesterday\n", InvalidInputError,
        "row 2: last_seen: 'yesterday' is not an ISO 8601 time",
        id="bad-last-seen",
    ),
    pytest.param(
        "addresses", "address,last seen\n10.1.0.5,2024-05-01 12:00\n", InvalidInputError,
        "row 2: last_seen: '2024-05-01 12:00' has no time zone (add Z or +00:00)",
        id="naive-last-seen",
    ),
    pytest.param(
        "addresses", "address\n10.1.0.300\n", InvalidInputError,
        "row 2: '10.1.0.300' is not a valid IPv4 or IPv6 address",
        id="malformed-address",
    ),
    pytest.param(
        "addresses", "address\n10.1.0.0/24\n", InvalidInputError,
        "row 2: '10.1.0.0/24': expected a single address, not a prefix",
        id="prefix-as-address",
    ),
    pytest.param(
        "addresses", "address,kind\n10.1.0.5,robot\n", InvalidInputError,
        "row 2: unknown holder kind 'robot': "
        "expected one of node, pod, service, loadbalancer, vm, server, gateway, other",
        id="bad-holder-kind",
    ),
    pytest.param(
        "addresses", "address\n10.1.0.5\n10.1.0.6\n10.1.0.5\n", ConflictError,
        "row 4: address 10.1.0.5 duplicates address 10.1.0.5",
        id="duplicate-address-in-file",
    ),
    pytest.param(
        "addresses", "address\n10.1.0.5\n10.0.0.5\n", ConflictError,
        "row 3: address 10.0.0.5 duplicates address 10.0.0.5 (already in the ledger)",
        id="duplicate-address-of-ledger",
    ),
    pytest.param(
        "addresses", "address\n10.1.0.5\n10.0.0.0\n", InvalidInputError,
        f"row 3: 10.0.0.0 {_NETWORK} 10.0.0.0/24; mark the prefix as a pool if every address is usable",
        id="network-address",
    ),
]  # fmt: skip


def _existing(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.20")
    add_address(ledger, "10.0.0.5", holder_name="db-1")


@pytest.mark.parametrize(("kind", "text", "error", "message"), _BAD_FILES)
def test_csv_refuses_bad_file_naming_row_and_writes_nothing(
    ledger: Ledger, kind: str, text: str, error: type[LedgerError], message: str
) -> None:
    _existing(ledger)
    before = stored_state(ledger)

    with pytest.raises(error) as raised:
        _import(ledger, kind, text)

    assert str(raised.value) == message
    assert stored_state(ledger) == before


def test_csv_refuses_unknown_kind(ledger: Ledger) -> None:
    with pytest.raises(
        InvalidInputError, match=r"^unknown CSV kind 'routers': expected prefixes or addresses$"
    ):
        _import(ledger, "routers", "prefix\n10.1.0.0/24\n")


def test_csv_refuses_unknown_default_space(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match=r"^row 2: no space named 'nowhere'$"):
        _import(ledger, "prefixes", "prefix\n10.1.0.0/24\n", space="nowhere")
    assert list_prefixes(ledger)[1] == 0


@pytest.mark.parametrize(
    "header", ["Prefix,CIDR", "prefix,Prefix", "Network,Subnet"], ids=["alias", "case", "two-aliases"]
)
def test_csv_refuses_a_column_named_twice(ledger: Ledger, header: str) -> None:
    before = stored_state(ledger)

    with pytest.raises(InvalidInputError, match="prefix"):
        _import(ledger, "prefixes", f"{header}\n10.1.0.0/24,10.2.0.0/24\n")
    assert stored_state(ledger) == before


# --- audit log and progress ----------------------------------------------------------------------


def test_csv_import_writes_one_audit_entry_per_row_with_its_id(ledger: Ledger) -> None:
    _import(ledger, "prefixes", "prefix\n10.1.0.0/24\n10.1.1.0/24\n2001:db8::/64\n")
    _import(ledger, "addresses", "address,hostname\n10.1.0.5,web-01\n2001:db8::5,\n")

    stored = {f"{item.network} ({item.space})": ("prefix", item.id) for item in list_prefixes(ledger)[0]}
    stored |= {f"{item.address} ({item.space})": ("address", item.id) for item in list_addresses(ledger)}
    entries = [
        (change.object_label, (change.object_kind, change.object_id))
        for change in all_changes(ledger)
        if change.action == "import" and change.object_kind != "csv"
    ]
    assert sorted(entries) == sorted(stored.items())
    assert all(change.actor == WHO for change in all_changes(ledger))


def test_csv_import_returns_the_ids_in_row_order(ledger: Ledger) -> None:
    summary = _import(ledger, "addresses", "address\n10.1.0.9\n10.1.0.5\n2001:db8::5\n")

    stored = {str(item.address): item.id for item in list_addresses(ledger)}
    assert summary.address_ids == (stored["10.1.0.9"], stored["10.1.0.5"], stored["2001:db8::5"])


def test_csv_import_closes_with_one_entry_for_the_file(ledger: Ledger) -> None:
    _import(ledger, "addresses", "address\n10.1.0.5\n\n10.1.0.6\n")

    last = all_changes(ledger)[-1]
    assert (last.action, last.object_kind, last.object_id, last.object_label, last.after) == (
        "import",
        "csv",
        None,
        "addresses",
        {"rows": 2},
    )


def test_csv_audit_entry_of_address_lists_its_fields(ledger: Ledger) -> None:
    _import(ledger, "addresses", "address,hostname,kind,tags\n10.1.0.5,web-01,server,a;b\n")

    (entry,) = [change for change in all_changes(ledger) if change.object_kind == "address"]
    assert (entry.object_label, entry.before, entry.after) == (
        "10.1.0.5 (global)",
        None,
        {
            "address": "10.1.0.5",
            "status": "active",
            "holder_kind": "server",
            "holder_name": "web-01",
            "source": "import",
            "tags": ["a", "b"],
            "version": 1,
        },
    )


def test_csv_import_reports_progress_in_batches_up_to_the_total(ledger: Ledger) -> None:
    add_prefix(ledger, "10.2.0.0/16")
    rows = "".join(f"10.2.{index // 250}.{index % 250 + 1}\n" for index in range(5200))
    calls: list[tuple[int, int]] = []

    summary = import_csv(
        ledger,
        "addresses",
        io.StringIO("address\n" + rows),
        actor=WHO,
        progress=lambda done, total: calls.append((done, total)),
    )

    assert created_by(summary) == {"spaces": 0, "groups": 0, "prefixes": 0, "ranges": 0, "addresses": 5200}
    assert calls == [(5000, 5200), (5200, 5200)]
    assert error_findings(ledger) == []
    assert list_prefixes(ledger)[0][0].usage.used == 5200


# --- the bulk path and the single-object path agree ------------------------------------------------


def test_single_writes_after_csv_import_keep_ledger_consistent(ledger: Ledger) -> None:
    _import(
        ledger, "prefixes", "prefix,pool\n10.1.0.0/24,\n10.1.0.0/26,\n10.1.0.64/27,yes\n2001:db8::/120,\n"
    )
    add_range(ledger, "10.1.0.100-10.1.0.120")
    _import(ledger, "addresses", "address\n10.1.0.5\n10.1.0.64\n10.1.0.110\n10.1.0.200\n2001:db8::7\n")
    assert error_findings(ledger) == []

    add_address(ledger, "10.1.0.6")
    allocate_addresses(ledger, net("10.1.0.0/26"), actor=ACTOR, count=5)
    allocate_addresses(ledger, span("10.1.0.100-10.1.0.120"), actor=ACTOR, count=3)
    allocate_addresses(ledger, net("2001:db8::/120"), actor=ACTOR, count=4)
    delete_prefix(ledger, net("10.1.0.0/26"), actor=ACTOR)
    delete_prefix(ledger, net("10.1.0.64/27"), actor=ACTOR)

    assert error_findings(ledger) == []
    check_against_recount(ledger, "after CSV imports and single writes")
