"""Importing a NetBox: from recorded API responses served on loopback and from export files
(JSON and CSV), on SQLite and PostgreSQL; idempotent, all or nothing, errors naming the object."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ipledger.core.errors import ConflictError, InvalidInputError, LedgerError
from ipledger.service import groups, prefixes, search
from ipledger.service.audit import list_changes
from ipledger.service.ledger import Ledger
from ipledger.service.netbox_import import NetBoxImport, import_netbox
from ipledger.service.netbox_source import NetBoxObjects, read_netbox_api, read_netbox_file
from tests.netbox.recorded import FIXTURES, TOKEN, RecordedNetBox, serve_recorded_netbox

ACTOR = "importer"
EXPORTS = FIXTURES / "export"


@pytest.fixture
def netbox() -> Iterator[RecordedNetBox]:
    with serve_recorded_netbox() as served:
        yield served


def _files(*names: str) -> NetBoxObjects:
    merged = NetBoxObjects()
    for name in names:
        for kind, items in read_netbox_file(EXPORTS / name).by_kind.items():
            merged.by_kind[kind].extend(items)
    return merged


def _contents(ledger: Ledger) -> dict[str, Any]:
    """What the ledger holds, in the words a NetBox import sets."""
    return {
        "spaces": sorted(ledger.space_names()),
        "groups": sorted(group.path for group in groups.list_groups(ledger)),
        "prefixes": [
            (r.space, str(r.network), r.status, r.role, r.group, r.description, r.tags, r.is_pool)
            for r in prefixes.list_prefixes(ledger)[0]
        ],
        "ranges": [
            (r.space, str(r.span), r.status, r.role, r.group, r.description, r.tags)
            for r in search.search_ranges(ledger, search.RangeFilter())[0]
        ],
        "addresses": [
            (r.space, str(r.address), r.status, r.group, r.dns_name, r.description, r.tags)
            for r in search.search_addresses(ledger, search.AddressFilter())[0]
        ],
    }


CONTAINER = ("gold", "netbox-status:container")
EXPECTED_PREFIXES = [
    ("global", "192.0.2.0/24", "active", "general", "Acme Corp", "Documentation block", CONTAINER, False),
    ("global", "192.0.2.0/26", "active", "production", "Acme Corp", "Web servers", (), False),
    ("global", "2001:db8::/64", "active", "general", None, "IPv6 lab", (), True),
    ("Customer-A", "10.20.0.0/16", "reserved", "general", None, "", (), False),
]
EXPECTED_ADDRESSES = [
    ("global", "192.0.2.5", "active", "Acme Corp", "web1.example.com", "Web 1", ("gold",)),
    ("global", "192.0.2.6", "active", None, "vip.example.com", "", ("netbox-role:vip", "netbox-status:dhcp")),
    ("Customer-A", "10.20.1.1", "active", None, "", "gateway", ()),
]


def _created(summary: NetBoxImport) -> tuple[int, int, int]:
    return summary.created["prefix"], summary.created["range"], summary.created["address"]


def test_import_from_the_api_copies_every_object(ledger: Ledger, netbox: RecordedNetBox) -> None:
    summary = import_netbox(ledger, read_netbox_api(netbox.base, TOKEN), actor=ACTOR)
    assert (summary.spaces, summary.groups, summary.roles, _created(summary)) == (1, 1, 1, (4, 1, 3))
    held = _contents(ledger)
    assert held["spaces"] == ["Customer-A", "global"]
    assert held["groups"] == ["Acme Corp"]
    assert held["prefixes"] == EXPECTED_PREFIXES
    assert held["ranges"] == [
        ("global", "192.0.2.10-192.0.2.20", "reserved", "production", None, "DHCP scope", ())
    ]
    assert held["addresses"] == EXPECTED_ADDRESSES
    # The second page was fetched by following the recorded `next` link verbatim.
    assert "/api/ipam/prefixes/?limit=2&offset=2" in netbox.requests


def test_import_from_the_api_twice_changes_nothing(ledger: Ledger, netbox: RecordedNetBox) -> None:
    import_netbox(ledger, read_netbox_api(netbox.base, TOKEN), actor=ACTOR)
    held, changes = _contents(ledger), len(list_changes(ledger))
    again = import_netbox(ledger, read_netbox_api(netbox.base, TOKEN), actor=ACTOR)
    assert not again.changed_anything
    assert (again.unchanged["prefix"], again.unchanged["range"], again.unchanged["address"]) == (4, 1, 3)
    assert (_contents(ledger), len(list_changes(ledger))) == (held, changes)


def test_import_updates_what_changed_in_netbox(ledger: Ledger, netbox: RecordedNetBox) -> None:
    import_netbox(ledger, read_netbox_api(netbox.base, TOKEN), actor=ACTOR)

    def retire_web_servers(page: dict[str, Any]) -> None:
        page["results"][1]["status"] = {"value": "deprecated", "label": "Deprecated"}
        page["results"][1]["description"] = "old web servers"

    netbox.edits["prefixes-1.json"] = retire_web_servers
    summary = import_netbox(ledger, read_netbox_api(netbox.base, TOKEN), actor=ACTOR)
    assert (summary.updated["prefix"], summary.unchanged["prefix"], summary.created["prefix"]) == (1, 3, 0)
    changed = _contents(ledger)["prefixes"][1]
    assert (changed[1], changed[2], changed[5]) == ("192.0.2.0/26", "deprecated", "old web servers")


def test_import_from_export_files_matches_the_api_import(ledger: Ledger, netbox: RecordedNetBox) -> None:
    summary = import_netbox(ledger, _files("prefixes.csv", "ip-addresses.csv"), actor=ACTOR)
    assert _created(summary) == (4, 0, 3)
    held = _contents(ledger)
    assert held["prefixes"] == EXPECTED_PREFIXES
    assert held["addresses"] == EXPECTED_ADDRESSES
    # The same NetBox through its API then only adds the range: the sources agree.
    after = import_netbox(ledger, read_netbox_api(netbox.base, TOKEN), actor=ACTOR)
    assert (_created(after), after.updated) == ((0, 1, 0), {"prefix": 0, "range": 0, "address": 0})


def test_import_from_json_exports(ledger: Ledger) -> None:
    summary = import_netbox(ledger, _files("prefixes.json", "ranges-and-addresses.json"), actor=ACTOR)
    assert _created(summary) == (4, 1, 3)
    assert _contents(ledger)["prefixes"] == EXPECTED_PREFIXES
    again = import_netbox(ledger, _files("prefixes.json", "ranges-and-addresses.json"), actor=ACTOR)
    assert not again.changed_anything


def test_import_reads_netboxs_table_export_columns(ledger: Ledger) -> None:
    import_netbox(ledger, _files("prefixes-table.csv"), actor=ACTOR)
    untagged = (*EXPECTED_PREFIXES[0][:6], ("netbox-status:container",), False)
    assert _contents(ledger)["prefixes"] == [untagged, EXPECTED_PREFIXES[1]]


def test_dry_run_writes_nothing(ledger: Ledger) -> None:
    summary = import_netbox(ledger, _files("prefixes.csv"), actor=ACTOR, dry_run=True)
    assert (_created(summary), summary.spaces) == ((4, 0, 0), 1)
    assert prefixes.list_prefixes(ledger)[1] == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "prefix,status\n10.0.0.0/8,active\n10.1.0.0/33,active\n",
            "row 3: prefix '10.1.0.0/33'",
            id="bad-prefix",
        ),
        pytest.param(
            "prefix,status\n10.0.0.0/8,bogus\n", "row 2: 'bogus' is not a valid choice", id="bad-status"
        ),
        pytest.param(
            "prefix,status\n10.0.0.0/8,active\n10.0.0.0/8,active\n",
            "row 3: prefix 10.0.0.0/8",
            id="duplicate",
        ),
        pytest.param("name,colour\nred,blue\n", "not a NetBox VRF, prefix", id="unknown-kind"),
    ],
)
def test_bad_export_file_is_refused_naming_row_and_field(
    ledger: Ledger, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InvalidInputError) as refused:
        import_netbox(ledger, read_netbox_file(path), actor=ACTOR)
    assert str(path) in str(refused.value)
    assert message in str(refused.value)
    assert prefixes.list_prefixes(ledger)[1] == 0


def test_import_is_all_or_nothing(ledger: Ledger, tmp_path: Path) -> None:
    path = tmp_path / "ranges.json"
    # The second range lies in no prefix: the ledger refuses it, and with it the whole import.
    path.write_text(
        '{"prefixes": [{"prefix": "10.0.0.0/24"}], "ip-ranges": ['
        '{"start_address": "10.0.0.10/24", "end_address": "10.0.0.20/24"},'
        '{"id": 7, "start_address": "172.16.0.1/24", "end_address": "172.16.0.9/24"}]}'
    )
    with pytest.raises(LedgerError) as refused:
        import_netbox(ledger, read_netbox_file(path), actor=ACTOR)
    assert isinstance(refused.value, InvalidInputError | ConflictError)
    assert "ip-ranges[1]" in str(refused.value)
    assert "172.16.0.1-172.16.0.9" in str(refused.value)
    assert (prefixes.list_prefixes(ledger)[1], search.search_ranges(ledger, search.RangeFilter())[1]) == (
        0,
        0,
    )


def test_refused_token_names_the_url_and_answer(ledger: Ledger, netbox: RecordedNetBox) -> None:
    with pytest.raises(InvalidInputError) as refused:
        read_netbox_api(netbox.base, "wrong")
    assert f"{netbox.base}/api/ipam/vrfs/" in str(refused.value)
    assert "403" in str(refused.value)


def test_unreachable_netbox_is_a_clear_error() -> None:
    with pytest.raises(InvalidInputError, match="cannot reach NetBox"):
        read_netbox_api("http://127.0.0.1:9", TOKEN, timeout=5)
