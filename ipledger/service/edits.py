"""Several creations and changes of prefixes, ranges and addresses in one transaction.

A client that sends a list (the NetBox API's bulk create and update) or an import that brings
a whole ledger over needs all of it or nothing: one bad item rolls everything back, and the
error names the item (``items[3]: ...``). Each item goes through the same code path as a single
change, with its audit entry and permission check.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ipledger.core.addresses import IPAddress, IPNetwork
from ipledger.core.errors import InvalidInputError, LedgerError
from ipledger.core.ranges import IPRange
from ipledger.core.thresholds import DEFAULT_THRESHOLDS
from ipledger.service.addresses import AddressFields, change_address, insert_address
from ipledger.service.convert import address_record, names, prefix_record, range_record
from ipledger.service.groups import ensure_group
from ipledger.service.ledger import Actor, Ledger, Transaction
from ipledger.service.lookup import load_space
from ipledger.service.prefixes import change_prefix, insert_prefix
from ipledger.service.ranges import change_range, insert_range
from ipledger.service.records import AddressRecord, PrefixRecord, RangeRecord
from ipledger.store import catalog, queries
from ipledger.store.models import Address, Prefix, Range, Role, Space

__all__ = ["Edit", "Setup", "apply_edits", "located"]

Record = PrefixRecord | RangeRecord | AddressRecord
_PREFIX_DEFAULTS: dict[str, Any] = {
    "status": "active",
    "role": "general",
    "group": None,
    "managed_by": "manual",
    "description": "",
    "tags": (),
    "is_pool": False,
    "thresholds": DEFAULT_THRESHOLDS,
    "unit_prefixlen": None,
}
_RANGE_DEFAULTS: dict[str, Any] = {
    "status": "active",
    "role": "general",
    "group": None,
    "managed_by": "manual",
    "description": "",
    "tags": (),
}


@dataclass(frozen=True, slots=True)
class Edit:
    """One creation (``fields`` are all the fields to set, defaults for the rest) or one change
    (``fields`` are only the changed ones) of the object at ``target`` in ``space``."""

    where: str
    action: Literal["create", "update"]
    space: str
    target: IPNetwork | IPRange | IPAddress
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Setup:
    """Spaces, roles and groups (paths) to create first, when missing, in the same transaction."""

    spaces: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


def apply_edits(
    ledger: Ledger, edits: Sequence[Edit], *, actor: Actor, setup: Setup = Setup()
) -> list[Record]:
    """Apply every edit in order, in one transaction; return the resulting records in order.

    Raises:
        LedgerError: of the first edit that fails, its message prefixed with the edit's
            ``where``; nothing is written then.
    """
    with ledger.transaction(actor) as tx:
        _set_up(tx, setup)
        spaces: dict[str, Space] = {}
        rows = []
        for edit in edits:
            try:
                space = spaces.get(edit.space) or load_space(tx.session, edit.space)
                spaces[edit.space] = space
                rows.append(_apply(tx, space, edit))
            except LedgerError as exc:
                raise located(edit.where, exc) from exc
        lookup = names(tx.session)
        return [_record(row, lookup) for row in rows]


def _apply(tx: Transaction, space: Space, edit: Edit) -> Any:
    target = edit.target
    if isinstance(target, IPRange):
        if edit.action == "create":
            return insert_range(tx, space, target, **{**_RANGE_DEFAULTS, **edit.fields})
        return change_range(tx, space, target, dict(edit.fields))
    if isinstance(target, IPAddress):
        if edit.action == "create":
            return insert_address(tx, space, target, AddressFields(**edit.fields))
        return change_address(tx, space, target, dict(edit.fields))
    if edit.action == "create":
        return insert_prefix(tx, space, target, **{**_PREFIX_DEFAULTS, **edit.fields})
    return change_prefix(tx, space, target, dict(edit.fields))


def _record(row: Any, lookup: Any) -> Record:
    if isinstance(row, Prefix):
        return prefix_record(row, lookup)
    if isinstance(row, Range):
        return range_record(row, lookup)
    assert isinstance(row, Address)
    return address_record(row, lookup)


def _set_up(tx: Transaction, setup: Setup) -> None:
    session = tx.session
    for name in setup.spaces:
        if queries.find_space(session, name) is None:
            if not name or any(char.isspace() or char == "/" for char in name):
                raise InvalidInputError(f"space name {name!r} must be one word without slashes")
            space = Space(name=name, description="", created_at=tx.now, version=1)
            session.add(space)
            session.flush()
            tx.record("create", "space", space.id, name, after={"name": name, "description": ""})
    for name in setup.roles:
        if catalog.find_role(session, name) is None:
            session.add(Role(name=name, description=""))
            session.flush()
            tx.record("create", "role", None, name, after={"name": name, "description": ""})
    for path in sorted(setup.groups, key=lambda item: item.count("/")):
        ensure_group(tx, path)


def located(where: str, exc: LedgerError) -> LedgerError:
    """The same error, its message prefixed with where it happened (unless it names it already)."""
    text = str(exc)
    if not where or text.startswith(where):
        return exc
    moved = type(exc).__new__(type(exc))
    moved.__dict__.update(exc.__dict__)
    moved.args = (f"{where}: {text}",)
    return moved
