"""Finding the objects a request names, or saying precisely what does not exist."""

from __future__ import annotations

from ipledger.core.addresses import IPAddress, IPNetwork
from ipledger.core.errors import InvalidInputError, NotFoundError
from ipledger.core.ranges import IPRange
from ipledger.store import catalog, queries
from ipledger.store.database import Session
from ipledger.store.models import Address, Group, Prefix, Range, Space

__all__ = [
    "DEFAULT_SPACE",
    "group_ids",
    "load_address",
    "load_group",
    "load_prefix",
    "load_range",
    "load_space",
    "require_role",
]

DEFAULT_SPACE = "global"


def load_space(session: Session, name: str) -> Space:
    space = queries.find_space(session, name)
    if space is None:
        known = ", ".join(space.name for space in catalog.list_spaces(session))
        raise NotFoundError(f"no space named {name!r} (spaces: {known})")
    return space


def load_group(session: Session, path: str) -> Group:
    group = queries.find_group_by_path(session, normalise_path(path))
    if group is None:
        raise NotFoundError(f"no group {path!r}; create it with `ipledger group create {path}`")
    return group


def normalise_path(path: str) -> str:
    parts = [part.strip() for part in path.strip().strip("/").split("/")]
    if not parts or any(not part for part in parts):
        raise InvalidInputError(f"group path {path!r} is empty or has an empty part")
    return "/".join(parts)


def require_role(session: Session, name: str) -> str:
    if catalog.find_role(session, name) is None:
        known = ", ".join(catalog.list_role_names(session))
        raise InvalidInputError(f"unknown role {name!r}: expected one of {known}", field="role")
    return name


def load_prefix(session: Session, space: Space, network: IPNetwork) -> Prefix:
    prefix = queries.find_prefix(session, space.id, IPRange.from_network(network))
    if prefix is None:
        raise NotFoundError(f"no prefix {network} in space {space.name}")
    return prefix


def load_range(session: Session, space: Space, span: IPRange) -> Range:
    found = queries.find_range_holding(session, space.id, span.version, span.first)
    if found is None or found.first != span.first or found.last != span.last:
        raise NotFoundError(f"no range {span} in space {space.name}")
    return found


def load_address(session: Session, space: Space, address: IPAddress) -> Address:
    found = queries.find_address(session, space.id, address.version, int(address))
    if found is None:
        raise NotFoundError(f"no address {address} in space {space.name}")
    return found


def group_ids(session: Session, path: str | None, *, descendants: bool) -> list[int] | None:
    """Ids of the group at ``path`` (and of the groups below it), or None for no group filter."""
    if path is None:
        return None
    group = load_group(session, path)
    if not descendants:
        return [group.id]
    return [member.id for member in catalog.list_groups_below(session, group, include_self=True)]
