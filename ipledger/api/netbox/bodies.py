"""NetBox write bodies turned into the ledger's edits: related objects given as ids or as
attribute dicts resolved, choices mapped, and every field the ledger cannot keep refused by
name (400 ``{"field": ["..."]}``) rather than dropped."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ipledger.api.netbox.context import GLOBAL_SPACE, Catalog
from ipledger.core.addresses import IPAddress, IPNetwork
from ipledger.core.errors import InvalidInputError
from ipledger.core.netbox_mapping import (
    ADDRESS_ROLES,
    ROLE_TAG,
    STATUS_TAG,
    Kind,
    ledger_status,
    plain_tags,
    slug_of,
    stable_id,
)
from ipledger.core.ranges import IPRange
from ipledger.service.edits import Edit
from ipledger.service.records import AddressRecord, PrefixRecord, RangeRecord

__all__ = [
    "Body",
    "address_edit",
    "address_fields",
    "allocated_prefix_fields",
    "prefix_edit",
    "range_edit",
    "space_of",
    "status_fields",
]

# Sent back by clients that PUT what they read; NetBox ignores them on write.
_READ_ONLY = frozenset(
    {
        "id",
        "url",
        "display_url",
        "display",
        "family",
        "created",
        "last_updated",
        "children",
        "_depth",
        "scope",
        "size",
        "assigned_object",
        "nat_outside",
        "changelog_message",
    }
)
# NetBox fields the ledger has no place for: accepted only with their empty value.
_EMPTY_ONLY = frozenset(
    {
        "scope_type",
        "scope_id",
        "vlan",
        "owner",
        "comments",
        "mark_utilized",
        "assigned_object_type",
        "assigned_object_id",
        "nat_inside",
    }
)
_CUSTOM_FIELDS: dict[Kind, frozenset[str]] = {
    "prefix": frozenset({"managed_by"}),
    "range": frozenset({"managed_by"}),
    "address": frozenset({"holder_kind", "holder_name", "mac"}),
}


@dataclass(frozen=True, slots=True)
class Body:
    """A write body with where it came from (``items[2]`` of a list) and the tags known by id."""

    data: dict[str, Any]
    where: str
    known_tags: tuple[str, ...]


def _field(body: Body, name: str, message: str) -> InvalidInputError:
    return InvalidInputError(message, field=name if not body.where else f"{body.where}.{name}")


def _check_fields(body: Body, writable: set[str]) -> None:
    for name, value in body.data.items():
        if name in _READ_ONLY or name in writable:
            continue
        if name in _EMPTY_ONLY:
            if value not in (None, "", False):
                raise _field(
                    body, name, f"{name} is not supported by ipledger (see README, NetBox compatibility)"
                )
            continue
        raise _field(body, name, f"unknown field {name!r}")


def _lookup(
    body: Body,
    name: str,
    value: Any,
    by_id: Callable[[int], str | None],
    by_attrs: Callable[[dict[str, Any]], str | None],
) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | dict | str):
        raise _field(body, name, f"{name} must be an id or an object's attributes, not {value!r}")
    found = (
        by_id(value)
        if isinstance(value, int)
        else by_attrs(value if isinstance(value, dict) else {"name": value})
    )
    if found is None:
        raise _field(body, name, f"Related object not found using the provided attributes: {value!r}")
    return found


def space_of(body: Body, value: Any, catalog: Catalog) -> str:
    """The space of a ``vrf`` value: null is the global table."""
    if value is None:
        return GLOBAL_SPACE

    def by_attrs(attrs: dict[str, Any]) -> str | None:
        if "id" in attrs:
            return by_id(attrs["id"])
        name = attrs.get("name")
        return name if isinstance(name, str) and name in catalog.spaces_by_name else None

    def by_id(key: Any) -> str | None:
        return catalog.spaces_by_id[key].name if key in catalog.spaces_by_id else None

    return _lookup(body, "vrf", value, by_id, by_attrs) or GLOBAL_SPACE


def _group_of(body: Body, value: Any, catalog: Catalog) -> str | None:
    if value is None:
        return None

    def by_id(key: Any) -> str | None:
        return catalog.groups_by_id[key].path if key in catalog.groups_by_id else None

    def by_attrs(attrs: dict[str, Any]) -> str | None:
        if "id" in attrs:
            return by_id(attrs["id"])
        for path in catalog.groups_by_path:
            if attrs.get("name") == path or attrs.get("slug") == slug_of(path):
                return path
        return None

    return _lookup(body, "tenant", value, by_id, by_attrs)


def _role_of(body: Body, value: Any, catalog: Catalog) -> str:
    if value is None:
        return "general"

    def by_id(key: Any) -> str | None:
        return catalog.roles_by_id.get(key)

    def by_attrs(attrs: dict[str, Any]) -> str | None:
        if "id" in attrs:
            return by_id(attrs["id"])
        for name in catalog.roles_by_id.values():
            if attrs.get("name") == name or attrs.get("slug") in (name, slug_of(name)):
                return name
        return None

    return _lookup(body, "role", value, by_id, by_attrs) or "general"


def _tags_of(body: Body, values: Any) -> list[str]:
    if not isinstance(values, list):
        raise _field(body, "tags", 'tags must be a list of tag ids, names or {"name": ...} objects')
    by_id = {stable_id(tag): tag for tag in body.known_tags}
    found = []
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            if value not in by_id:
                raise _field(body, "tags", f"Related object not found using the provided numeric ID: {value}")
            found.append(by_id[value])
        elif isinstance(value, str) and value.strip():
            found.append(value.strip())
        elif isinstance(value, dict) and isinstance(value.get("name") or value.get("slug"), str):
            found.append(value.get("name") or value["slug"])
        elif isinstance(value, dict) and value.get("id") in by_id:
            found.append(by_id[value["id"]])
        else:
            raise _field(body, "tags", f"{value!r} is not a tag id, name or object")
    return found


def status_fields(body: Body, kind: Kind, current_tags: tuple[str, ...] | None) -> dict[str, Any]:
    """``status`` and ``tags`` for the ledger from the body's status, role (of an address) and
    tags, keeping the NetBox-only values of the current object that the body leaves alone."""
    data = body.data
    current = current_tags or ()
    fields: dict[str, Any] = {}
    kept = [tag for tag in current if tag.startswith(STATUS_TAG)]
    if "status" in data:
        value = data["status"]
        if isinstance(value, dict | list):
            raise _field(
                body,
                "status",
                'Value must be passed directly (e.g. "foo": 123); do not use a dictionary or list.',
            )
        try:
            fields["status"], extra = ledger_status(kind, str(value))
        except InvalidInputError as exc:
            raise _field(body, "status", str(exc)) from exc
        kept = list(extra)
    roles = [tag for tag in current if tag.startswith(ROLE_TAG)]
    if kind == "address" and "role" in data:
        role = data["role"]
        if role not in (None, "") and role not in ADDRESS_ROLES:
            raise _field(
                body, "role", f"{role!r} is not a valid choice (expected one of {', '.join(ADDRESS_ROLES)})"
            )
        roles = [] if role in (None, "") else [f"{ROLE_TAG}{role}"]
    plain = _tags_of(body, data["tags"]) if "tags" in data else plain_tags(current)
    if current_tags is None or any(
        key in data for key in ("status", "tags", "role" if kind == "address" else "tags")
    ):
        fields["tags"] = tuple(dict.fromkeys([*plain, *kept, *roles]))
    return fields


def _custom(body: Body, kind: Kind) -> dict[str, Any]:
    value = body.data.get("custom_fields") or {}
    if not isinstance(value, dict):
        raise _field(body, "custom_fields", "custom_fields must be an object")
    for name in value:
        if name not in _CUSTOM_FIELDS[kind]:
            raise _field(
                body,
                "custom_fields",
                f"unknown custom field {name!r}: ipledger has {', '.join(sorted(_CUSTOM_FIELDS[kind]))}",
            )
    return {name: ("" if field is None else str(field)) for name, field in value.items()}


def _common(body: Body, kind: Kind, catalog: Catalog, current_tags: tuple[str, ...] | None) -> dict[str, Any]:
    data = body.data
    fields = status_fields(body, kind, current_tags)
    if "tenant" in data:
        fields["group"] = _group_of(body, data["tenant"], catalog)
    if "description" in data:
        fields["description"] = str(data["description"] or "")
    if kind != "address" and "role" in data:
        fields["role"] = _role_of(body, data["role"], catalog)
    fields.update(_custom(body, kind))
    return fields


def _same_space(body: Body, catalog: Catalog, space: str) -> None:
    if "vrf" in body.data and space_of(body, body.data["vrf"], catalog) != space:
        raise _field(body, "vrf", "moving an object to another VRF is not supported: delete and create it")


def _network(body: Body, value: Any) -> IPNetwork:
    try:
        network = ipaddress.ip_network(str(value).strip(), strict=False)  # NetBox clears host bits
    except ValueError as exc:
        raise _field(body, "prefix", f"{value!r} is not a valid prefix") from exc
    if "/" not in str(value):
        raise _field(body, "prefix", f"{value!r}: a prefix needs a length")
    if network.prefixlen == 0:
        raise _field(body, "prefix", "Cannot create prefix with /0 mask.")
    return network


def _host(body: Body, name: str, value: Any) -> IPAddress:
    try:
        interface = ipaddress.ip_interface(str(value).strip())
    except ValueError as exc:
        raise _field(body, name, f"{value!r} is not a valid IP address") from exc
    return interface.ip


def prefix_edit(body: Body, catalog: Catalog, current: PrefixRecord | None) -> Edit:
    _check_fields(
        body, {"prefix", "vrf", "tenant", "status", "role", "is_pool", "description", "tags", "custom_fields"}
    )
    fields = _common(body, "prefix", catalog, None if current is None else current.tags)
    if "is_pool" in body.data:
        fields["is_pool"] = bool(body.data["is_pool"])
    if current is None:
        if body.data.get("prefix") in (None, ""):
            raise _field(body, "prefix", "This field is required.")
        network = _network(body, body.data["prefix"])
        return Edit(body.where, "create", space_of(body, body.data.get("vrf"), catalog), network, fields)
    _same_space(body, catalog, current.space)
    if "prefix" in body.data and _network(body, body.data["prefix"]) != current.network:
        raise _field(body, "prefix", "changing a prefix's CIDR is not supported: create the new prefix")
    return Edit(body.where, "update", current.space, current.network, fields)


def range_edit(body: Body, catalog: Catalog, current: RangeRecord | None) -> Edit:
    _check_fields(
        body,
        {
            "start_address",
            "end_address",
            "vrf",
            "tenant",
            "status",
            "role",
            "description",
            "tags",
            "custom_fields",
            "mark_populated",
        },
    )
    fields = _common(body, "range", catalog, None if current is None else current.tags)
    if current is None:
        for name in ("start_address", "end_address"):
            if body.data.get(name) in (None, ""):
                raise _field(body, name, "This field is required.")
        start = _host(body, "start_address", body.data["start_address"])
        end = _host(body, "end_address", body.data["end_address"])
        if start.version != end.version:
            raise _field(body, "end_address", "Starting and ending IP address masks do not match")
        if int(end) < int(start):
            raise _field(
                body, "end_address", f"Ending address must be greater than the starting address ({start})"
            )
        span = IPRange(start.version, int(start), int(end))
        return Edit(body.where, "create", space_of(body, body.data.get("vrf"), catalog), span, fields)
    _same_space(body, catalog, current.space)
    for name, now in (
        ("start_address", current.span.first_address),
        ("end_address", current.span.last_address),
    ):
        if name in body.data and _host(body, name, body.data[name]) != now:
            raise _field(body, name, "changing a range's addresses is not supported: create the new range")
    return Edit(body.where, "update", current.space, current.span, fields)


_ADDRESS_FIELDS = {
    "address",
    "vrf",
    "tenant",
    "status",
    "role",
    "dns_name",
    "description",
    "tags",
    "custom_fields",
}


def address_fields(body: Body, catalog: Catalog, current: AddressRecord | None) -> dict[str, Any]:
    """What the body sets on an address, besides the address itself."""
    _check_fields(body, _ADDRESS_FIELDS | {"prefix_length"})
    fields = _common(body, "address", catalog, None if current is None else current.tags)
    if "dns_name" in body.data:
        fields["dns_name"] = str(body.data["dns_name"] or "").lower()  # NetBox lower-cases it
    if current is None:
        fields.setdefault("source", "netbox-api")
    return fields


def address_edit(body: Body, catalog: Catalog, current: AddressRecord | None) -> Edit:
    if "prefix_length" in body.data:
        raise _field(body, "prefix_length", "unknown field 'prefix_length'")
    fields = address_fields(body, catalog, current)
    if current is None:
        if body.data.get("address") in (None, ""):
            raise _field(body, "address", "This field is required.")
        address = _host(body, "address", body.data["address"])
        return Edit(body.where, "create", space_of(body, body.data.get("vrf"), catalog), address, fields)
    _same_space(body, catalog, current.space)
    if "address" in body.data and _host(body, "address", body.data["address"]) != current.address:
        raise _field(body, "address", "changing an address is not supported: create the new address")
    return Edit(body.where, "update", current.space, current.address, fields)


def allocated_prefix_fields(body: Body, catalog: Catalog) -> tuple[int, dict[str, Any]]:
    """The length and the fields of one request to ``available-prefixes``."""
    length = body.data.get("prefix_length")
    if isinstance(length, bool) or not isinstance(length, int):
        raise _field(body, "prefix_length", "A valid integer is required.")
    _check_fields(
        body,
        {
            "prefix_length",
            "tenant",
            "status",
            "role",
            "is_pool",
            "description",
            "tags",
            "custom_fields",
            "vrf",
        },
    )
    fields = _common(body, "prefix", catalog, None)
    if "is_pool" in body.data:
        fields["is_pool"] = bool(body.data["is_pool"])
    return length, fields
