"""Node addresses a sync keeps in the ledger as address records held by their node.

Pods churn and stay observations; nodes are few and long-lived, and operators want them in the
ledger beside everything else (DNS names, MACs, descriptions). A sync therefore records each
node's InternalIP as an address with holder kind ``node``, the node's name and source
``sync:<cluster>``, moves a record to the node that holds its address now, and deletes the ones
it created for nodes that are gone.

What an operator edits survives: a holder changed by hand (one that is not what the last sync
saw at that address) is never overwritten, and a record the operator added anything to (a
description, DNS name, MAC, tags, group or status) is never deleted. An address someone
recorded by hand is never taken over. A snapshot without any Node (a dump of the CNI's objects
alone) says nothing about nodes, so it changes no node record.
"""

from __future__ import annotations

from datetime import datetime

from ipledger.core.addresses import IPAddress, address_from_int
from ipledger.core.errors import LedgerError
from ipledger.core.findings import Finding, Severity
from ipledger.core.observations import Snapshot
from ipledger.service.addresses import AddressFields, change_address, insert_address, remove_address
from ipledger.service.bulk import NewAddress, load_objects
from ipledger.service.ledger import Transaction
from ipledger.store import observed, queries
from ipledger.store.models import Address, Space

__all__ = ["record_node_addresses"]


def record_node_addresses(
    tx: Transaction, space: Space, cluster: str, cluster_id: int, snapshot: Snapshot, *, seen_at: datetime
) -> list[Finding]:
    """Create the missing node records, move the sync's own ones to the node holding their
    address now, delete its own records of gone nodes; findings say which node addresses could
    not be recorded and why."""
    if not snapshot.nodes:
        return []
    source = f"sync:{cluster}"
    wanted: dict[tuple[int, int], tuple[IPAddress, str]] = {}
    for node in snapshot.nodes:
        for address in node.internal_ips:
            wanted[(address.version, int(address))] = (address, node.name)
    session = tx.session
    findings: list[Finding] = []
    last_seen_nodes = observed.previous_holders(session, cluster_id, kind="node")
    for row in queries.list_addresses_by_source(session, space.id, source):
        key = (row.family, row.value)
        holder_is_the_syncs = _holder_is_the_syncs(row, last_seen_nodes.get(key))
        address = address_from_int(row.value, version=row.family)
        if key not in wanted:
            if holder_is_the_syncs and not _operator_added_to(row):
                remove_address(tx, space, address)
        elif holder_is_the_syncs and row.holder_name != wanted[key][1]:
            # The address moved to another node (a node replaced under the same IP).
            change_address(tx, space, address, {"holder_name": wanted[key][1]})
    known = queries.existing_address_values(session, space.id, list(wanted))
    missing = [item for key, item in sorted(wanted.items()) if key not in known]
    if not missing:
        return findings
    # All at once (5,000 nodes in one batch); one by one only if that is refused.
    if _load_all(tx, space, missing, source=source, seen_at=seen_at):
        return findings
    for address, name in missing:
        fields = AddressFields(holder_kind="node", holder_name=name, source=source, last_seen=seen_at)
        try:
            with tx.savepoint():
                insert_address(tx, space, address, fields)
        except LedgerError as error:
            findings.append(
                Finding(
                    Severity.WARNING,
                    "node-address-not-recorded",
                    f"{cluster}: node {name} {address}",
                    f"the address {address} of node {name} cannot be recorded in space {space.name}: {error}",
                )
            )
    return findings


def _holder_is_the_syncs(row: Address, last_seen: str | None) -> bool:
    """Whether the record's holder is still what a sync wrote: the node the last sync saw at
    that address (or, with no such sighting, a record nobody has changed since it was made)."""
    if row.holder_kind != "node":
        return False
    return row.holder_name == last_seen if last_seen is not None else row.version == 1


def _operator_added_to(row: Address) -> bool:
    return bool(row.description or row.dns_name or row.mac or row.tags) or (
        row.group_id is not None or row.status != "active"
    )


def _load_all(
    tx: Transaction, space: Space, missing: list[tuple[IPAddress, str]], *, source: str, seen_at: datetime
) -> bool:
    """Record every missing node address in one bulk load; False when that is refused (then
    nothing of it stays, and the caller records them one by one)."""
    try:
        with tx.savepoint():
            load_objects(
                tx,
                addresses=[
                    NewAddress(
                        f"node {name}",
                        space.name,
                        address,
                        holder_kind="node",
                        holder_name=name,
                        source=source,
                        last_seen=seen_at,
                    )
                    for address, name in missing
                ],
            )
    except LedgerError:
        return False
    return True
