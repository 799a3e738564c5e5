"""The ledger's records in NetBox's response shapes (``ipam/api/serializers_``): full objects,
their brief forms, and the nested objects (VRF, tenant, role, tag) they refer to.

Fields NetBox has and the ledger does not (scope, VLAN, owner, comments, NAT, assignment) are
present with their empty value, so that clients reading them find what NetBox would send.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ipledger.api.netbox.context import GLOBAL_SPACE, Catalog
from ipledger.core.addresses import IPAddress, IPNetwork
from ipledger.core.netbox_mapping import (
    address_role_of,
    label_of,
    netbox_status,
    plain_tags,
    slug_of,
    stable_id,
)
from ipledger.service.nesting import Nesting
from ipledger.service.records import AddressRecord, GroupRecord, PrefixRecord, RangeRecord, SpaceRecord

__all__ = [
    "address_shape",
    "available_address_shape",
    "available_prefix_shape",
    "brief",
    "prefix_shape",
    "range_shape",
    "role_shape",
    "tenant_shape",
    "vrf_brief",
    "vrf_shape",
]

_COLOR = "9e9e9e"  # NetBox's default tag colour


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _choice(value: str | None) -> dict[str, Any] | None:
    return None if value is None else {"value": value, "label": label_of(value)}


def _family(version: int) -> dict[str, Any]:
    return {"value": version, "label": f"IPv{version}"}


def vrf_brief(catalog: Catalog, space: str) -> dict[str, Any] | None:
    """The nested VRF of an object in ``space``; the global space is NetBox's global table (null)."""
    if space == GLOBAL_SPACE:
        return None
    record = catalog.spaces_by_name[space]
    return {
        "id": record.id,
        "url": catalog.url("ipam/vrfs", record.id),
        "display": record.name,
        "name": record.name,
        "rd": None,
        "description": record.description,
    }


def vrf_shape(catalog: Catalog, record: SpaceRecord, counts: tuple[int, int]) -> dict[str, Any]:
    return {
        **(vrf_brief(catalog, record.name) or {}),
        "display_url": catalog.display_url("ipam/vrfs", record.id),
        "tenant": None,
        "enforce_unique": True,  # the ledger never holds one CIDR or address twice in a space
        "owner": None,
        "comments": "",
        "import_targets": [],
        "export_targets": [],
        "tags": [],
        "custom_fields": {},
        "created": None,
        "last_updated": None,
        "ipaddress_count": counts[1],
        "prefix_count": counts[0],
    }


def _tenant_brief(catalog: Catalog, path: str | None) -> dict[str, Any] | None:
    if path is None:
        return None
    record = catalog.groups_by_path[path]
    return {
        "id": record.id,
        "url": catalog.url("tenancy/tenants", record.id),
        "display": record.path,
        "name": record.path,
        "slug": slug_of(record.path),
        "description": record.description,
    }


def tenant_shape(catalog: Catalog, record: GroupRecord) -> dict[str, Any]:
    return {
        **(_tenant_brief(catalog, record.path) or {}),
        "display_url": catalog.display_url("tenancy/tenants", record.id),
        "group": None,
        "owner": None,
        "comments": "",
        "tags": _tags(catalog, record.tags),
        "custom_fields": {},
        "created": None,
        "last_updated": None,
    }


def role_shape(catalog: Catalog, name: str, description: str = "") -> dict[str, Any]:
    key = stable_id(name)
    return {
        "id": key,
        "url": catalog.url("ipam/roles", key),
        "display": name,
        "name": name,
        "slug": slug_of(name),
        "description": description,
    }


def _tags(catalog: Catalog, tags: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {
            "id": stable_id(tag),
            "url": catalog.url("extras/tags", stable_id(tag)),
            "display": tag,
            "name": tag,
            "slug": slug_of(tag),
            "color": _COLOR,
            "description": "",
        }
        for tag in plain_tags(tags)
    ]


def _common(catalog: Catalog, endpoint: str, key: int, display: str) -> dict[str, Any]:
    return {
        "id": key,
        "url": catalog.url(endpoint, key),
        "display_url": catalog.display_url(endpoint, key),
        "display": display,
    }


def prefix_shape(catalog: Catalog, record: PrefixRecord, nesting: Nesting) -> dict[str, Any]:
    return {
        **_common(catalog, "ipam/prefixes", record.id, str(record.network)),
        "family": _family(record.network.version),
        "prefix": str(record.network),
        "vrf": vrf_brief(catalog, record.space),
        "scope_type": None,
        "scope_id": None,
        "scope": None,
        "tenant": _tenant_brief(catalog, record.group),
        "vlan": None,
        "status": _choice(netbox_status(record.status, record.tags)),
        "role": role_shape(catalog, record.role),
        "is_pool": record.is_pool,
        "mark_utilized": False,
        "description": record.description,
        "owner": None,
        "comments": "",
        "tags": _tags(catalog, record.tags),
        "custom_fields": {"managed_by": record.managed_by},
        "created": _time(record.created_at),
        "last_updated": _time(record.updated_at),
        "children": nesting.children,
        "_depth": nesting.depth,
    }


def _with_mask(address: IPAddress, prefixlen: int | None) -> str:
    return f"{address}/{address.max_prefixlen if prefixlen is None else prefixlen}"


def range_shape(catalog: Catalog, record: RangeRecord, prefixlen: int | None) -> dict[str, Any]:
    start, end = record.span.first_address, record.span.last_address
    length = start.max_prefixlen if prefixlen is None else prefixlen
    return {
        **_common(catalog, "ipam/ip-ranges", record.id, f"{start}-{end}/{length}"),
        "family": _family(record.span.version),
        "start_address": _with_mask(start, prefixlen),
        "end_address": _with_mask(end, prefixlen),
        "size": record.span.num_addresses,
        "vrf": vrf_brief(catalog, record.space),
        "tenant": _tenant_brief(catalog, record.group),
        "status": _choice(netbox_status(record.status, record.tags)),
        "role": role_shape(catalog, record.role),
        "description": record.description,
        "owner": None,
        "comments": "",
        "tags": _tags(catalog, record.tags),
        "custom_fields": {"managed_by": record.managed_by},
        "created": _time(record.created_at),
        "last_updated": _time(record.updated_at),
        # The ledger never allocates inside a range from its prefix: it is always "populated".
        "mark_populated": True,
        "mark_utilized": False,
    }


def address_shape(catalog: Catalog, record: AddressRecord, prefixlen: int | None) -> dict[str, Any]:
    address = _with_mask(record.address, prefixlen)
    return {
        **_common(catalog, "ipam/ip-addresses", record.id, address),
        "family": _family(record.address.version),
        "address": address,
        "vrf": vrf_brief(catalog, record.space),
        "tenant": _tenant_brief(catalog, record.group),
        "status": _choice(netbox_status(record.status, record.tags)),
        "role": _choice(address_role_of(record.tags)),
        "assigned_object_type": None,
        "assigned_object_id": None,
        "assigned_object": None,
        "nat_inside": None,
        "nat_outside": [],
        "dns_name": record.dns_name,
        "description": record.description,
        "owner": None,
        "comments": "",
        "tags": _tags(catalog, record.tags),
        "custom_fields": {
            "holder_kind": record.holder_kind,
            "holder_name": record.holder_name,
            "mac": record.mac,
        },
        "created": _time(record.created_at),
        "last_updated": _time(record.updated_at),
    }


_BRIEF = {
    "ipam/prefixes": ("id", "url", "display", "family", "prefix", "description", "_depth"),
    "ipam/ip-ranges": ("id", "url", "display", "family", "start_address", "end_address", "description"),
    "ipam/ip-addresses": ("id", "url", "display", "family", "address", "description"),
    "ipam/vrfs": ("id", "url", "display", "name", "rd", "description", "prefix_count"),
    "ipam/roles": ("id", "url", "display", "name", "slug", "description"),
    "tenancy/tenants": ("id", "url", "display", "name", "slug", "description"),
}


def brief(endpoint: str, shape: dict[str, Any]) -> dict[str, Any]:
    """The brief form (``?brief=true``) of a full shape of ``endpoint``."""
    return {key: shape[key] for key in _BRIEF[endpoint] if key in shape}


def available_address_shape(
    catalog: Catalog, space: str, address: IPAddress, prefixlen: int
) -> dict[str, Any]:
    """One entry of ``available-ips``: the family as a bare number, as NetBox sends it there."""
    return {
        "family": address.version,
        "address": f"{address}/{prefixlen}",
        "vrf": vrf_brief(catalog, space),
    }


def available_prefix_shape(catalog: Catalog, space: str, network: IPNetwork) -> dict[str, Any]:
    return {"family": network.version, "prefix": str(network), "vrf": vrf_brief(catalog, space)}
