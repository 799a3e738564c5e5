"""The words of NetBox's IPAM mapped to the ledger's, one way and back.

NetBox knows statuses the ledger has no word for (a prefix ``container``, an address ``dhcp`` or
``slaac``) and gives addresses a role from a fixed list (``vip``, ``anycast``, ...). The ledger
keeps such a value as a tag with a reserved prefix (``netbox-status:container``,
``netbox-role:vip``) next to its closest own status, so that reading the object back through the
NetBox API gives the NetBox value again, and the ledger's own reports still see an active
prefix. Roles and tags have no numeric ids in the ledger; NetBox clients need one, so it is
derived from the name (stable across restarts and servers).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from typing import Literal

from ipledger.core.errors import InvalidInputError

__all__ = [
    "ADDRESS_ROLES",
    "ROLE_TAG",
    "STATUSES",
    "STATUS_TAG",
    "Kind",
    "address_role_of",
    "label_of",
    "ledger_status",
    "netbox_status",
    "plain_tags",
    "slug_of",
    "space_name_of",
    "stable_id",
]

Kind = Literal["prefix", "range", "address"]

STATUS_TAG = "netbox-status:"
ROLE_TAG = "netbox-role:"

# NetBox 4 choices (ipam/choices.py): PrefixStatusChoices, IPRangeStatusChoices, IPAddressStatusChoices.
STATUSES: dict[Kind, tuple[str, ...]] = {
    "prefix": ("container", "active", "reserved", "deprecated"),
    "range": ("active", "reserved", "deprecated"),
    "address": ("active", "reserved", "deprecated", "dhcp", "slaac"),
}
ADDRESS_ROLES = ("loopback", "secondary", "anycast", "vip", "vrrp", "hsrp", "glbp", "carp")
_LEDGER_STATUSES = frozenset({"active", "reserved", "planned", "deprecated"})
_LABELS = {"vip": "VIP", "vrrp": "VRRP", "hsrp": "HSRP", "glbp": "GLBP", "carp": "CARP", "dhcp": "DHCP"}
_SLUG_DROP = re.compile(r"[^a-z0-9_-]+")


def ledger_status(kind: Kind, value: str) -> tuple[str, tuple[str, ...]]:
    """The ledger's status for NetBox's ``value``, and the tags that keep a NetBox-only value.

    ``planned`` (the ledger's own) is accepted too, so an object read back can be written back.

    Raises:
        InvalidInputError: ``value`` is no status of a NetBox ``kind`` (field ``status``).
    """
    text = value.strip().lower() if isinstance(value, str) else value
    if text in _LEDGER_STATUSES:
        return text, ()
    if text in STATUSES[kind]:
        return "active", (f"{STATUS_TAG}{text}",)
    raise InvalidInputError(
        f"{value!r} is not a valid choice (expected one of {', '.join(STATUSES[kind])})", field="status"
    )


def netbox_status(status: str, tags: Iterable[str]) -> str:
    """NetBox's status of an object with the ledger's ``status`` and ``tags``."""
    for tag in tags:
        if tag.startswith(STATUS_TAG):
            return tag[len(STATUS_TAG) :]
    return status


def address_role_of(tags: Iterable[str]) -> str | None:
    """NetBox's role of an address (``vip``, ...) kept in its tags, or None."""
    for tag in tags:
        if tag.startswith(ROLE_TAG):
            return tag[len(ROLE_TAG) :]
    return None


def plain_tags(tags: Iterable[str]) -> list[str]:
    """The tags a person gave, without those that keep NetBox values."""
    return [tag for tag in tags if not tag.startswith((STATUS_TAG, ROLE_TAG))]


def label_of(value: str) -> str:
    """NetBox's display label of a choice value (``dhcp`` -> ``DHCP``, ``active`` -> ``Active``)."""
    return _LABELS.get(value, value.replace("-", " ").capitalize())


def stable_id(name: str) -> int:
    """A positive id derived from a name (roles and tags have none of their own): CRC-32, which
    every process and server computes alike, kept within 31 bits for clients with int32 ids."""
    return (zlib.crc32(name.encode()) & 0x7FFFFFFF) or 1


def slug_of(name: str) -> str:
    """NetBox's slug form of a name: lower case, runs of other characters as one ``-``."""
    return _SLUG_DROP.sub("-", name.strip().lower()).strip("-") or "-"


def space_name_of(vrf_name: str) -> str:
    """The ledger's space for a NetBox VRF name: one word, spaces and slashes as ``-``."""
    cleaned = re.sub(r"[\s/]+", "-", vrf_name.strip())
    if not cleaned:
        raise InvalidInputError("a VRF needs a name", field="name")
    return cleaned
