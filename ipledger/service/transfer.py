"""Export of the whole ledger to JSON and import back, with nothing lost.

The document names every object by its natural key (space name, group path, cluster name, CIDR), so it reads
well, diffs well and loads into any ledger. Exporting, importing into an empty ledger and
exporting again gives an identical document. The audit log is history, not content: it is not
part of the document (``ipledger log --format json`` exports it), and an import writes its own
entries.
"""

from __future__ import annotations

from typing import Any

from ipledger.core.addresses import address_from_int, parse_address, parse_prefix
from ipledger.core.errors import InvalidInputError, LedgerError
from ipledger.core.ranges import IPRange, parse_range
from ipledger.core.thresholds import Thresholds
from ipledger.core.vocabulary import HolderKind, Status, parse_choice
from ipledger.service.bulk import ImportSummary, NewAddress, NewPrefix, NewRange, Progress, load_objects
from ipledger.service.cluster_transfer import export_clusters, merge_clusters, parse_clusters
from ipledger.service.convert import names, snapshot
from ipledger.service.csv_import import import_csv
from ipledger.service.fields import clean_mac, clean_tags, parse_time
from ipledger.service.ledger import Actor, Ledger, Transaction
from ipledger.service.occupancy import network_of
from ipledger.store import catalog, listing, queries
from ipledger.store.models import Group, Role, Space

__all__ = ["FORMAT", "ImportSummary", "export_ledger", "import_csv", "import_ledger"]

FORMAT = "ipledger-export"
_VERSION = 1
_SECTIONS = {"format", "version", "spaces", "roles", "groups", "clusters", "prefixes", "ranges", "addresses"}
_SPACE_FIELDS = {"name", "description"}
_ROLE_FIELDS = {"name", "description"}
_GROUP_FIELDS = {"path", "description", "owner", "environment", "tags"}
_COMMON = {"space", "status", "group", "description", "tags", "created_at", "updated_at"}
_PREFIX_FIELDS = _COMMON | {"prefix", "role", "managed_by", "is_pool", "thresholds", "unit_prefixlen"}
_RANGE_FIELDS = _COMMON | {"range", "role", "managed_by"}
_ADDRESS_FIELDS = _COMMON | {
    "address",
    "holder_kind",
    "holder_name",
    "dns_name",
    "mac",
    "source",
    "last_seen",
}


def export_ledger(ledger: Ledger) -> dict[str, Any]:
    """The whole ledger as a JSON-safe document, in a stable order."""
    with ledger.reading() as session:
        lookup = names(session)
        spaces = list(catalog.list_spaces(session))
        order = {space.id: space.name for space in spaces}
        prefixes = sorted(
            listing.list_all_prefixes(session),
            key=lambda row: (order[row.space_id], row.family, row.first, row.prefixlen),
        )
        ranges = sorted(
            listing.list_all_ranges(session), key=lambda row: (order[row.space_id], row.family, row.first)
        )
        addresses = sorted(
            listing.list_addresses(session, space_id=None, within=None, holder=None, limit=None, offset=0),
            key=lambda row: (order[row.space_id], row.family, row.value),
        )
        return {
            "format": FORMAT,
            "version": _VERSION,
            "spaces": [{"name": space.name, "description": space.description} for space in spaces],
            "roles": [
                {"name": role.name, "description": role.description} for role in catalog.list_roles(session)
            ],
            "groups": [
                {
                    "path": group.path,
                    "description": group.description,
                    "owner": group.owner,
                    "environment": group.environment,
                    "tags": list(group.tags),
                }
                for group in catalog.list_groups(session)
            ],
            "clusters": export_clusters(session),
            "prefixes": [
                {
                    "space": lookup.space(row.space_id),
                    "prefix": str(network_of(row)),
                    "status": row.status,
                    "role": row.role,
                    "group": lookup.group(row.group_id),
                    "managed_by": row.managed_by,
                    "description": row.description,
                    "tags": list(row.tags),
                    "is_pool": row.is_pool,
                    "thresholds": {
                        "warning": row.warning,
                        "critical": row.critical,
                        "emergency": row.emergency,
                    },
                    "unit_prefixlen": row.unit_prefixlen,
                    "created_at": row.created_at.isoformat(),
                    "updated_at": row.updated_at.isoformat(),
                }
                for row in prefixes
            ],
            "ranges": [
                {
                    "space": lookup.space(row.space_id),
                    "range": str(IPRange(row.family, row.first, row.last)),
                    "status": row.status,
                    "role": row.role,
                    "group": lookup.group(row.group_id),
                    "managed_by": row.managed_by,
                    "description": row.description,
                    "tags": list(row.tags),
                    "created_at": row.created_at.isoformat(),
                    "updated_at": row.updated_at.isoformat(),
                }
                for row in ranges
            ],
            "addresses": [
                {
                    "space": lookup.space(row.space_id),
                    "address": str(address_from_int(row.value, version=row.family)),
                    "status": row.status,
                    "holder_kind": row.holder_kind,
                    "holder_name": row.holder_name,
                    "dns_name": row.dns_name,
                    "mac": row.mac,
                    "source": row.source,
                    "last_seen": None if row.last_seen is None else row.last_seen.isoformat(),
                    "group": lookup.group(row.group_id),
                    "description": row.description,
                    "tags": list(row.tags),
                    "created_at": row.created_at.isoformat(),
                    "updated_at": row.updated_at.isoformat(),
                }
                for row in addresses
            ],
        }


def import_ledger(
    ledger: Ledger, document: Any, *, actor: Actor, progress: Progress | None = None
) -> ImportSummary:
    """Load an exported document into the ledger, adding to what is there; all or nothing.

    Raises:
        InvalidInputError: the document is malformed; the message gives the position, e.g.
            ``prefixes[12]: 10.0.0.1/24: host bits set; did you mean 10.0.0.0/24?``.
        ConflictError: an object collides with the ledger or another object of the document.
    """
    if not isinstance(document, dict):
        raise InvalidInputError("the document must be a JSON object with the sections of an ipledger export")
    _refuse_unknown("document", document, _SECTIONS)
    if document.get("format") != FORMAT or document.get("version") != _VERSION:
        raise InvalidInputError(f"not an {FORMAT} document of version {_VERSION} (format/version fields)")
    prefixes = [
        _parse_prefix(f"prefixes[{i}]", entry) for i, entry in enumerate(_section(document, "prefixes"))
    ]
    ranges = [_parse_range(f"ranges[{i}]", entry) for i, entry in enumerate(_section(document, "ranges"))]
    addresses = [
        _parse_address(f"addresses[{i}]", entry) for i, entry in enumerate(_section(document, "addresses"))
    ]
    clusters = parse_clusters(_section(document, "clusters"))
    with ledger.transaction(actor) as tx:
        spaces = _merge_spaces(tx, _section(document, "spaces"))
        _merge_roles(tx, _section(document, "roles"))
        groups = _merge_groups(tx, _section(document, "groups"))
        tx.session.flush()
        merge_clusters(tx, clusters)
        loaded = load_objects(tx, prefixes=prefixes, ranges=ranges, addresses=addresses, progress=progress)
        tx.record(
            "import",
            "ledger",
            None,
            "document",
            after={"prefixes": loaded.prefixes, "ranges": loaded.ranges, "addresses": loaded.addresses},
        )
        return ImportSummary(spaces, groups, loaded.prefixes, loaded.ranges, loaded.addresses)


def _section(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    entries = document.get(name, [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise InvalidInputError(f"{name}: expected a list of objects")
    return entries


def _refuse_unknown(where: str, entry: dict[str, Any], known: set[str]) -> None:
    unknown = sorted(set(entry) - known)
    if unknown:
        raise InvalidInputError(
            f"{where}: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )


def _text(where: str, entry: dict[str, Any], key: str, default: str = "") -> str:
    value = entry.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise InvalidInputError(f"{where}.{key}: expected text, got {value!r}")
    return value


def _optional(where: str, entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInputError(f"{where}.{key}: expected text or null, got {value!r}")
    return value or None


def _common(where: str, entry: dict[str, Any]) -> dict[str, Any]:
    try:
        return {
            "where": where,
            "space": _text(where, entry, "space", "global"),
            "status": parse_choice(Status, _text(where, entry, "status", "active"), what="status").value,
            "group": _optional(where, entry, "group"),
            "description": _text(where, entry, "description"),
            "tags": tuple(clean_tags(entry.get("tags") or [])),
            "created_at": parse_time(f"{where}.created_at", entry.get("created_at")),
            "updated_at": parse_time(f"{where}.updated_at", entry.get("updated_at")),
        }
    except LedgerError as exc:
        raise _located(where, exc) from exc


def _parse_prefix(where: str, entry: dict[str, Any]) -> NewPrefix:
    _refuse_unknown(where, entry, _PREFIX_FIELDS)
    try:
        marks = entry.get("thresholds") or {}
        if not isinstance(marks, dict):
            raise InvalidInputError("thresholds: expected an object with warning, critical and emergency")
        unit = entry.get("unit_prefixlen")
        if unit is not None and not isinstance(unit, int):
            raise InvalidInputError(f"unit_prefixlen: expected a whole number, got {unit!r}")
        return NewPrefix(
            network=parse_prefix(_text(where, entry, "prefix")),
            role=_text(where, entry, "role", "general"),
            managed_by=_text(where, entry, "managed_by", "manual"),
            is_pool=_flag(where, entry, "is_pool"),
            thresholds=_marks(where, marks),
            unit_prefixlen=unit,
            **_common(where, entry),
        )
    except LedgerError as exc:
        raise _located(where, exc) from exc


def _flag(where: str, entry: dict[str, Any], key: str) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise InvalidInputError(f"{where}.{key}: expected true or false, got {value!r}")
    return value


def _marks(where: str, marks: dict[str, Any]) -> Thresholds:
    unknown = sorted(set(marks) - {"warning", "critical", "emergency"})
    if unknown:
        raise InvalidInputError(f"{where}.thresholds: unknown mark(s) {', '.join(unknown)}")
    numbers = {}
    for key, value in marks.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInputError(f"{where}.thresholds.{key}: expected a percentage, got {value!r}")
        numbers[key] = float(value)
    return Thresholds(**numbers)


def _parse_range(where: str, entry: dict[str, Any]) -> NewRange:
    _refuse_unknown(where, entry, _RANGE_FIELDS)
    try:
        return NewRange(
            span=parse_range(_text(where, entry, "range")),
            role=_text(where, entry, "role", "general"),
            managed_by=_text(where, entry, "managed_by", "manual"),
            **_common(where, entry),
        )
    except LedgerError as exc:
        raise _located(where, exc) from exc


def _parse_address(where: str, entry: dict[str, Any]) -> NewAddress:
    _refuse_unknown(where, entry, _ADDRESS_FIELDS)
    try:
        return NewAddress(
            address=parse_address(_text(where, entry, "address")),
            holder_kind=parse_choice(
                HolderKind, _text(where, entry, "holder_kind", "other"), what="holder kind"
            ).value,
            holder_name=_text(where, entry, "holder_name"),
            dns_name=_text(where, entry, "dns_name"),
            mac=clean_mac(_text(where, entry, "mac")),
            source=_text(where, entry, "source", "import"),
            last_seen=parse_time(f"{where}.last_seen", entry.get("last_seen")),
            **_common(where, entry),
        )
    except LedgerError as exc:
        raise _located(where, exc) from exc


def _located(where: str, exc: Exception) -> InvalidInputError:
    text = str(exc)
    return InvalidInputError(text if text.startswith(where) else f"{where}: {text}")


def _merge_spaces(tx: Transaction, entries: list[dict[str, Any]]) -> int:
    created = 0
    for index, entry in enumerate(entries):
        where = f"spaces[{index}]"
        _refuse_unknown(where, entry, _SPACE_FIELDS)
        name = _text(where, entry, "name")
        if not name or any(char.isspace() or char == "/" for char in name):
            raise InvalidInputError(f"{where}.name: {name!r} is not a space name (one word without slashes)")
        found = queries.find_space(tx.session, name)
        description = _text(where, entry, "description")
        if found is None:
            space = Space(name=name, description=description, created_at=tx.now, version=1)
            tx.session.add(space)
            tx.session.flush()
            tx.record("import", "space", space.id, name, after={"name": name, "description": description})
            created += 1
        elif found.description != description:
            tx.record(
                "update",
                "space",
                found.id,
                name,
                before={"description": found.description},
                after={"description": description},
            )
            found.description = description
    tx.session.flush()
    return created


def _merge_roles(tx: Transaction, entries: list[dict[str, Any]]) -> None:
    for index, entry in enumerate(entries):
        where = f"roles[{index}]"
        _refuse_unknown(where, entry, _ROLE_FIELDS)
        name = _text(where, entry, "name")
        if not name or any(char.isspace() for char in name) or name != name.lower():
            raise InvalidInputError(f"{where}.name: {name!r} is not a role name (one lower-case word)")
        found = catalog.find_role(tx.session, name)
        description = _text(where, entry, "description")
        if found is None:
            tx.session.add(Role(name=name, description=description))
            tx.record("import", "role", None, name, after={"name": name, "description": description})
        elif found.description != description:
            tx.record(
                "update",
                "role",
                None,
                name,
                before={"description": found.description},
                after={"description": description},
            )
            found.description = description
    tx.session.flush()


def _merge_groups(tx: Transaction, entries: list[dict[str, Any]]) -> int:
    created = 0
    known = {group.path: group for group in catalog.list_groups(tx.session)}
    parsed = []
    for index, entry in enumerate(entries):
        where = f"groups[{index}]"
        _refuse_unknown(where, entry, _GROUP_FIELDS)
        path = "/".join(part.strip() for part in _text(where, entry, "path").strip("/").split("/"))
        if not path or "//" in path or any(not part for part in path.split("/")):
            raise InvalidInputError(f"{where}.path: {entry.get('path')!r} is not a group path like a/b/c")
        parsed.append((where, path, entry))
    for where, path, entry in sorted(parsed, key=lambda item: item[1].count("/")):
        parent_path, _, name = path.rpartition("/")
        parent = known.get(parent_path) if parent_path else None
        if parent_path and parent is None:
            raise InvalidInputError(
                f"{where}.path: parent group {parent_path!r} is neither in the ledger nor the document"
            )
        try:
            fields = {
                "description": _text(where, entry, "description"),
                "owner": _text(where, entry, "owner"),
                "environment": _text(where, entry, "environment"),
                "tags": clean_tags(entry.get("tags") or []),
            }
        except LedgerError as exc:
            raise _located(where, exc) from exc
        group = known.get(path)
        lookup = names(tx.session)
        if group is None:
            group = Group(
                parent_id=None if parent is None else parent.id,
                name=name,
                path=path,
                created_at=tx.now,
                updated_at=tx.now,
                version=1,
                **fields,
            )
            tx.session.add(group)
            tx.session.flush()
            tx.record("import", "group", group.id, path, after=snapshot(group, lookup))
            created += 1
        elif any(getattr(group, key) != value for key, value in fields.items()):
            before = snapshot(group, lookup)
            for key, value in fields.items():
                setattr(group, key, value)
            group.version += 1
            group.updated_at = tx.now
            tx.session.flush()
            tx.record("update", "group", group.id, path, before=before, after=snapshot(group, lookup))
        known[path] = group
    return created
