"""Node addresses a sync keeps in the ledger as address records held by their node.

Pods churn and stay observations; nodes are few and long-lived, and operators want them in the
ledger beside everything else (DNS names, MACs, descriptions). A sync therefore records each
node's InternalIP as an address with holder kind ``node``, the node's name and source
``sync:<cluster>``, and deletes the ones it created for nodes that are gone. A record an
operator has edited (its version moved past 1) is the operator's: the sync never deletes it,
and an address someone recorded by hand is never taken over.
"""

from __future__ import annotations

from datetime import datetime

from ipledger.core.addresses import IPAddress, address_from_int
from ipledger.core.errors import LedgerError
from ipledger.core.findings import Finding, Severity
from ipledger.core.observations import Snapshot
from ipledger.service.addresses import AddressFields, insert_address, remove_address
from ipledger.service.bulk import NewAddress, load_objects
from ipledger.service.ledger import Transaction
from ipledger.store import queries
from ipledger.store.models import Space

__all__ = ["record_node_addresses"]


def record_node_addresses(
    tx: Transaction, space: Space, cluster: str, snapshot: Snapshot, *, seen_at: datetime
) -> list[Finding]:
    """Create the missing node records, delete the sync's own records of gone nodes; findings
    say which node addresses could not be recorded and why."""
    source = f"sync:{cluster}"
    wanted: dict[tuple[int, int], tuple[IPAddress, str]] = {}
    for node in snapshot.nodes:
        for address in node.internal_ips:
            wanted[(address.version, int(address))] = (address, node.name)
    session = tx.session
    findings: list[Finding] = []
    for row in queries.list_addresses_by_source(session, space.id, source):
        if (row.family, row.value) not in wanted and row.version == 1:
            remove_address(tx, space, address_from_int(row.value, version=row.family))
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
