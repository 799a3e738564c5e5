"""Importing a NetBox: its VRFs, prefixes, IP ranges and IP addresses become the ledger's spaces,
prefixes, ranges and addresses, with statuses, roles, tags, descriptions and tenants (as groups).

The import is all or nothing and idempotent: each object is matched with what the ledger holds
(prefix by space and CIDR, range by space and bounds, address by space and address), created when
missing, changed when a field differs and left alone otherwise, so a second run changes nothing.
Everything is applied in one transaction; the first bad object stops it, named with where it came
from (``prefixes[3] (id 17)``, ``export.csv row 9``) and the field at fault.

The mapping (README "NetBox compatibility"): VRF -> space (name made one word; no VRF -> the
``global`` space); tenant -> group (the tenant's name as the group path); prefix and range role
-> role (its slug); NetBox-only statuses and address roles -> the closest status plus a
``netbox-status:`` / ``netbox-role:`` tag (see ``core.netbox_mapping``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ipledger.core.addresses import IPAddress, IPNetwork
from ipledger.core.errors import InvalidInputError, LedgerError
from ipledger.core.netbox_mapping import (
    ADDRESS_ROLES,
    ROLE_TAG,
    Kind,
    ledger_status,
    slug_of,
    space_name_of,
)
from ipledger.core.ranges import IPRange
from ipledger.service import groups, prefixes, roles, search
from ipledger.service.edits import Edit, Setup, apply_edits, located
from ipledger.service.ledger import Actor, Ledger
from ipledger.service.netbox_source import NetBoxObjects
from ipledger.service.records import AddressRecord, PrefixRecord, RangeRecord

__all__ = ["NetBoxImport", "import_netbox"]

_GLOBAL = "global"
_DEFAULT_ROLE = "general"


@dataclass(frozen=True, slots=True)
class NetBoxImport:
    """What an import did (or, with ``dry_run``, would do), per kind: created, updated, unchanged."""

    spaces: int
    groups: int
    roles: int
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]

    @property
    def changed_anything(self) -> bool:
        return bool(
            self.spaces
            or self.groups
            or self.roles
            or any(self.created.values())
            or any(self.updated.values())
        )


@dataclass(frozen=True, slots=True)
class _Wanted:
    """One NetBox object as the ledger will hold it."""

    where: str
    kind: Kind
    space: str
    target: IPNetwork | IPRange | IPAddress
    fields: dict[str, Any]


def _text(where: str, item: dict[str, Any], name: str) -> str:
    value = item.get(name)
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise InvalidInputError(f"{where}: {name} must be text, not {value!r}", field=name)
    return str(value).strip()


def _name_of(where: str, item: dict[str, Any], name: str, *keys: str) -> str | None:
    """The name of a related object given nested (``{"name": ...}``) or as a plain name (CSV)."""
    value = item.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        for key in keys:
            if isinstance(value.get(key), str) and value[key].strip():
                return str(value[key]).strip()
    raise InvalidInputError(f"{where}: {name} {value!r} has no {' or '.join(keys)}", field=name)


def _choice(where: str, item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    if isinstance(value, dict):
        value = value.get("value")
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"{where}: {name} {value!r} is not a choice value", field=name)
    return value.strip().lower()


def _tags(where: str, item: dict[str, Any]) -> list[str]:
    value = item.get("tags")
    if value in (None, ""):
        return []
    if isinstance(value, str):  # CSV: comma-separated slugs
        return [tag.strip() for tag in value.split(",") if tag.strip()]
    if not isinstance(value, list):
        raise InvalidInputError(f"{where}: tags must be a list", field="tags")
    found = []
    for tag in value:
        if isinstance(tag, str):
            found.append(tag.strip())
        elif isinstance(tag, dict) and isinstance(tag.get("slug") or tag.get("name"), str):
            # By slug: NetBox's CSV names tags by slug, so both sources give the same tag.
            found.append(str(tag.get("slug") or tag.get("name")).strip())
        else:
            raise InvalidInputError(f"{where}: tag {tag!r} has no name", field="tags")
    return found


def _space(where: str, item: dict[str, Any]) -> str:
    name = _name_of(where, item, "vrf", "name")
    return _GLOBAL if name is None else space_name_of(name)


def _common(where: str, kind: Kind, item: dict[str, Any]) -> dict[str, Any]:
    status, extra = ledger_status(kind, _choice(where, item, "status") or "active")
    tags = [*_tags(where, item), *extra]
    tenant = _name_of(where, item, "tenant", "name", "slug")
    fields: dict[str, Any] = {
        "status": status,
        "group": None if tenant is None else _group_path(where, tenant),
        "description": _text(where, item, "description"),
    }
    if kind == "address":
        role = _choice(where, item, "role")
        if role is not None and role not in ADDRESS_ROLES:
            raise InvalidInputError(f"{where}: role {role!r} is not a NetBox IP address role", field="role")
        if role is not None:
            tags.append(f"{ROLE_TAG}{role}")
        fields["dns_name"] = _text(where, item, "dns_name").lower()
    else:
        role = _name_of(where, item, "role", "slug", "name")
        fields["role"] = _DEFAULT_ROLE if role is None else slug_of(role)
    fields["tags"] = tuple(sorted(set(tags)))
    return fields


def _group_path(where: str, tenant: str) -> str:
    """The group of a tenant: its name, read as a path (``a/b`` nests b under a)."""
    parts = [part.strip() for part in tenant.strip("/").split("/")]
    if not all(parts):
        raise InvalidInputError(
            f"{where}: tenant {tenant!r} is no group path (an empty part)", field="tenant"
        )
    return "/".join(parts)


def _flag(item: dict[str, Any], name: str) -> bool:
    value = item.get(name)
    return value is True or (isinstance(value, str) and value.strip().lower() in ("true", "yes", "1"))


def _host(where: str, item: dict[str, Any], name: str) -> IPAddress:
    try:
        return ipaddress.ip_interface(_text(where, item, name)).ip
    except ValueError as exc:
        raise InvalidInputError(
            f"{where}: {name} {item.get(name)!r} is not an IP address", field=name
        ) from exc


def _prefix(where: str, item: dict[str, Any]) -> _Wanted:
    text = _text(where, item, "prefix")
    try:
        network = ipaddress.ip_network(text, strict=False)  # NetBox itself clears host bits
    except ValueError as exc:
        raise InvalidInputError(f"{where}: prefix {text!r} is not a CIDR", field="prefix") from exc
    fields = {**_common(where, "prefix", item), "is_pool": _flag(item, "is_pool")}
    return _Wanted(where, "prefix", _space(where, item), network, fields)


def _range(where: str, item: dict[str, Any]) -> _Wanted:
    start, end = _host(where, item, "start_address"), _host(where, item, "end_address")
    if start.version != end.version or int(end) < int(start):
        raise InvalidInputError(f"{where}: {start} to {end} is not a range", field="end_address")
    span = IPRange(start.version, int(start), int(end))
    return _Wanted(where, "range", _space(where, item), span, _common(where, "range", item))


def _address(where: str, item: dict[str, Any]) -> _Wanted:
    fields = {**_common(where, "address", item), "source": "import"}
    return _Wanted(where, "address", _space(where, item), _host(where, item, "address"), fields)


_PARSERS: dict[str, Callable[[str, dict[str, Any]], _Wanted]] = {
    "prefixes": _prefix,
    "ip-ranges": _range,
    "ip-addresses": _address,
}


def _parse(objects: NetBoxObjects) -> tuple[list[str], list[_Wanted]]:
    spaces = [space_name_of(_text(where, item, "name")) for where, item in objects.by_kind["vrfs"]]
    wanted: list[_Wanted] = []
    for kind, parse in _PARSERS.items():
        for where, item in objects.by_kind[kind]:
            try:
                wanted.append(parse(where, item))
            except LedgerError as exc:
                raise located(where, exc) from exc
    return spaces, wanted


def _order(item: _Wanted) -> tuple[Any, ...]:
    """Prefixes outermost first, then ranges, then addresses: each finds its container in place."""
    rank = ("prefix", "range", "address").index(item.kind)
    if isinstance(item.target, IPRange):
        return rank, item.space, item.target.version, item.target.first, 0
    if isinstance(item.target, IPAddress):
        return rank, item.space, item.target.version, int(item.target), 0
    return rank, item.space, item.target.version, int(item.target.network_address), item.target.prefixlen


_COMPARED = ("status", "role", "group", "description", "tags", "is_pool", "dns_name")


def _changes(item: _Wanted, record: PrefixRecord | RangeRecord | AddressRecord) -> dict[str, Any]:
    changed = {}
    for name in _COMPARED:
        if name not in item.fields:
            continue
        have = getattr(record, name)
        want = item.fields[name]
        if name == "tags":
            have, want = tuple(sorted(have)), tuple(sorted(want))
        if have != want:
            changed[name] = item.fields[name]
    return changed


def _existing(ledger: Ledger, space_names: set[str]) -> dict[tuple[str, str, Any], Any]:
    known = set(ledger.space_names())
    found: dict[tuple[str, str, Any], Any] = {}
    for space in sorted(space_names & known):
        for prefix in prefixes.list_prefixes(ledger, prefixes.PrefixFilter(space=space))[0]:
            found[("prefix", space, prefix.network)] = prefix
        for item in search.search_ranges(ledger, search.RangeFilter(space=space))[0]:
            found[("range", space, item.span)] = item
        for address in search.search_addresses(ledger, search.AddressFilter(space=space))[0]:
            found[("address", space, address.address)] = address
    return found


def import_netbox(
    ledger: Ledger, objects: NetBoxObjects, *, actor: Actor, dry_run: bool = False
) -> NetBoxImport:
    """Bring ``objects`` into the ledger: create what is missing, change what differs.

    Raises:
        InvalidInputError: a malformed object, or two objects that are the same in the ledger
            (named with where they came from).
        ConflictError: an object collides with the ledger (a range cutting a prefix, ...).
    """
    vrf_spaces, wanted = _parse(objects)
    wanted.sort(key=_order)
    _refuse_duplicates(wanted)
    spaces = {*vrf_spaces, *(item.space for item in wanted)}
    existing = _existing(ledger, spaces)
    known_spaces = set(ledger.space_names())
    edits: list[Edit] = []
    created: dict[str, int] = {"prefix": 0, "range": 0, "address": 0}
    updated = dict.fromkeys(created, 0)
    unchanged = dict.fromkeys(created, 0)
    for item in wanted:
        record = existing.get((item.kind, item.space, item.target))
        if record is None:
            edits.append(Edit(item.where, "create", item.space, item.target, item.fields))
            created[item.kind] += 1
            continue
        changes = _changes(item, record)
        if changes:
            edits.append(Edit(item.where, "update", item.space, item.target, changes))
            updated[item.kind] += 1
        else:
            unchanged[item.kind] += 1
    setup = _setup(ledger, sorted(spaces - known_spaces), wanted)
    if not dry_run and (edits or setup.spaces or setup.roles or setup.groups):
        apply_edits(ledger, edits, actor=actor, setup=setup)
    return NetBoxImport(len(setup.spaces), len(setup.groups), len(setup.roles), created, updated, unchanged)


def _setup(ledger: Ledger, new_spaces: Sequence[str], wanted: Sequence[_Wanted]) -> Setup:
    known_roles = {name for name, _ in roles.list_roles(ledger)}
    known_groups = {group.path for group in groups.list_groups(ledger)}
    wanted_roles = {item.fields["role"] for item in wanted if "role" in item.fields}
    wanted_groups: set[str] = set()
    for item in wanted:
        path = item.fields.get("group")
        parts = [] if path is None else path.split("/")
        for depth in range(1, len(parts) + 1):
            wanted_groups.add("/".join(parts[:depth]))
    return Setup(
        spaces=tuple(new_spaces),
        roles=tuple(sorted(wanted_roles - known_roles)),
        groups=tuple(sorted(wanted_groups - known_groups)),
    )


def _refuse_duplicates(wanted: Sequence[_Wanted]) -> None:
    seen: dict[tuple[str, str, Any], str] = {}
    for item in wanted:
        key = (item.kind, item.space, item.target)
        if key in seen:
            raise InvalidInputError(
                f"{item.where}: {item.kind} {item.target} in space {item.space} is the same as {seen[key]}; "
                "the ledger holds each once"
            )
        seen[key] = item.where
