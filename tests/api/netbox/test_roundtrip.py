"""ipledger's NetBox API read by ipledger's NetBox import: a ledger copied into another through
NetBox's format comes out the same (the reader follows the served paging and shapes)."""

from __future__ import annotations

import shutil
from pathlib import Path

from ipledger.service import prefixes, search
from ipledger.service.groups import create_group
from ipledger.service.ledger import Ledger
from ipledger.service.netbox_import import import_netbox
from ipledger.service.netbox_source import read_netbox_api
from ipledger.store.database import database_url_for_path
from tests.api import tokens
from tests.api.factories import add_all, new_address, new_prefix, new_range


def test_ledger_copied_through_the_netbox_api_is_the_same(
    ledger: Ledger, netbox_base: str, sqlite_template: Path, tmp_path: Path
) -> None:
    create_group(ledger, "dc1", actor="setup")
    add_all(
        ledger,
        *(new_prefix(f"10.{index}.0.0/16", group="dc1", tags=("prod",)) for index in range(60)),
        new_prefix("10.0.0.0/24", status="reserved", role="node", description="nodes"),
        new_range("10.0.0.100-10.0.0.150", role="loadbalancer"),
        new_address("10.0.0.7", dns_name="n1.example.net"),
    )
    copy_path = tmp_path / "copy.db"
    shutil.copyfile(sqlite_template, copy_path)
    copy = Ledger.open(database_url_for_path(copy_path))
    try:
        summary = import_netbox(copy, read_netbox_api(netbox_base, tokens.current["alice"]), actor="copier")
        assert (summary.created["prefix"], summary.created["range"], summary.created["address"]) == (61, 1, 1)

        def held(target: Ledger) -> list[tuple[object, ...]]:
            return [
                *(
                    (str(r.network), r.status, r.role, r.group, r.description, r.tags)
                    for r in prefixes.list_prefixes(target)[0]
                ),
                *((str(r.span), r.role) for r in search.search_ranges(target, search.RangeFilter())[0]),
                *(
                    (str(r.address), r.dns_name)
                    for r in search.search_addresses(target, search.AddressFilter())[0]
                ),
            ]

        assert held(copy) == held(ledger)
        again = import_netbox(copy, read_netbox_api(netbox_base, tokens.current["alice"]), actor="copier")
        assert not again.changed_anything
    finally:
        copy.close()
