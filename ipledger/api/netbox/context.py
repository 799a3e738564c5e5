"""What a NetBox request needs to name things the NetBox way: absolute URLs, and the ids of
spaces (VRFs), groups (tenants), roles and tags, read once per request."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import Depends, Request

from ipledger.core.netbox_mapping import stable_id
from ipledger.service import groups, roles, spaces
from ipledger.service.ledger import Ledger
from ipledger.service.records import GroupRecord, SpaceRecord

__all__ = ["GLOBAL_SPACE", "Catalog", "CatalogDep", "LedgerDep", "load_catalog"]

# NetBox's "global table" (no VRF) is the ledger's default space.
GLOBAL_SPACE = "global"


@dataclass(frozen=True, slots=True)
class Catalog:
    base: str  # http://host:port, without a trailing slash
    spaces_by_name: dict[str, SpaceRecord]
    spaces_by_id: dict[int, SpaceRecord]
    groups_by_path: dict[str, GroupRecord]
    groups_by_id: dict[int, GroupRecord]
    roles_by_id: dict[int, str]

    def url(self, endpoint: str, key: int | None = None) -> str:
        """The absolute API URL of ``endpoint`` (``ipam/prefixes``) or of one object of it."""
        return f"{self.base}/api/{endpoint}/" + ("" if key is None else f"{key}/")

    def display_url(self, endpoint: str, key: int) -> str:
        return f"{self.base}/{endpoint}/{key}/"

    def with_space(self, record: SpaceRecord) -> Catalog:
        """This catalog with a space just created or changed."""
        return replace(
            self,
            spaces_by_name={**self.spaces_by_name, record.name: record},
            spaces_by_id={**self.spaces_by_id, record.id: record},
        )


def load_catalog(ledger: Ledger, base: str) -> Catalog:
    space_list = spaces.list_spaces(ledger)
    group_list = groups.list_groups(ledger)
    return Catalog(
        base=base.rstrip("/"),
        spaces_by_name={space.name: space for space in space_list},
        spaces_by_id={space.id: space for space in space_list},
        groups_by_path={group.path: group for group in group_list},
        groups_by_id={group.id: group for group in group_list},
        roles_by_id={stable_id(name): name for name, _ in roles.list_roles(ledger)},
    )


def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


def _catalog(request: Request) -> Catalog:
    return load_catalog(request.app.state.ledger, str(request.base_url))


LedgerDep = Annotated[Ledger, Depends(_ledger)]
CatalogDep = Annotated[Catalog, Depends(_catalog)]
