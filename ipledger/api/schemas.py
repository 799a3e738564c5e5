"""Request and response bodies of the API. Addresses and prefixes travel as canonical strings;
unknown fields are refused, so a typo in a field name never passes silently."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ipledger.service.records import (
    AddressRecord,
    ChangeRecord,
    GroupRecord,
    PrefixRecord,
    RangeRecord,
    SpaceRecord,
)

Item = TypeVar("Item")

MAX_BULK = 10_000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[Item]):
    """One page of a listing: ``total`` counts every match; pass ``next_cursor`` back as
    ``cursor`` (or raise ``offset``) for the next page."""

    items: list[Item]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = None


class Problem(BaseModel):
    """An error (RFC 9457 problem details)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None
    existing: dict[str, Any] | None = None
    current: dict[str, Any] | None = None
    errors: list[dict[str, Any]] | None = None


# Spaces, roles, groups


class SpaceCreate(Strict):
    name: str = Field(examples=["dc1-vrf"])
    description: str = ""


class SpaceRead(BaseModel):
    id: int
    name: str
    description: str
    version: int

    @classmethod
    def of(cls, record: SpaceRecord) -> SpaceRead:
        return cls(id=record.id, name=record.name, description=record.description, version=record.version)


class RoleCreate(Strict):
    name: str = Field(examples=["storage"])
    description: str = ""


class RoleRead(BaseModel):
    name: str
    description: str


class GroupCreate(Strict):
    path: str = Field(examples=["Kubernetes/prod/eu-west/cluster-a"])
    parents: bool = Field(False, description="Also create missing groups above it.")
    description: str = ""
    owner: str = ""
    environment: str = ""
    tags: list[str] = []


class GroupUpdate(Strict):
    """Fields to change; ``name`` renames and ``parent`` moves the group with its subtree
    (``parent: null`` moves it to the top)."""

    description: str | None = None
    owner: str | None = None
    environment: str | None = None
    tags: list[str] | None = None
    name: str | None = None
    parent: str | None = None


class GroupRead(BaseModel):
    id: int
    path: str
    name: str
    parent: str | None
    description: str
    owner: str
    environment: str
    tags: list[str]
    version: int

    @classmethod
    def of(cls, record: GroupRecord) -> GroupRead:
        return cls(
            id=record.id,
            path=record.path,
            name=record.name,
            parent=record.parent_path,
            description=record.description,
            owner=record.owner,
            environment=record.environment,
            tags=list(record.tags),
            version=record.version,
        )


class GroupNodeRead(BaseModel):
    group: GroupRead
    children: list[GroupNodeRead]


# Prefixes


class Thresholds(Strict):
    warning: float = 70.0
    critical: float = 85.0
    emergency: float = 95.0


class PrefixCreate(Strict):
    prefix: str = Field(examples=["10.42.0.0/16"])
    space: str = "global"
    status: str = "active"
    role: str = "general"
    group: str | None = None
    managed_by: str = "manual"
    description: str = ""
    tags: list[str] = []
    is_pool: bool = False
    thresholds: Thresholds = Thresholds()
    unit_prefixlen: int | None = Field(None, description="IPv6 allocation unit (default 64).")


class PrefixUpdate(Strict):
    status: str | None = None
    role: str | None = None
    group: str | None = None
    managed_by: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    is_pool: bool | None = None
    thresholds: Thresholds | None = None
    unit_prefixlen: int | None = None


class UtilizationRead(BaseModel):
    size: int
    usable: int
    used: int
    covered: int
    units_total: int
    units_used: int
    used_percent: float
    covered_percent: float
    percent: float
    level: str


class PrefixRead(BaseModel):
    id: int
    space: str
    prefix: str
    family: int
    prefixlen: int
    status: str
    role: str
    group: str | None
    managed_by: str
    description: str
    tags: list[str]
    is_pool: bool
    thresholds: Thresholds
    unit_prefixlen: int | None
    utilization: UtilizationRead
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, record: PrefixRecord) -> PrefixRead:
        usage = record.usage
        return cls(
            id=record.id,
            space=record.space,
            prefix=str(record.network),
            family=record.network.version,
            prefixlen=record.network.prefixlen,
            status=record.status,
            role=record.role,
            group=record.group,
            managed_by=record.managed_by,
            description=record.description,
            tags=list(record.tags),
            is_pool=record.is_pool,
            thresholds=Thresholds(
                warning=record.thresholds.warning,
                critical=record.thresholds.critical,
                emergency=record.thresholds.emergency,
            ),
            unit_prefixlen=record.unit_prefixlen,
            utilization=UtilizationRead(
                size=usage.size,
                usable=usage.usable,
                used=usage.used,
                covered=usage.covered,
                units_total=usage.units_total,
                units_used=usage.units_used,
                used_percent=round(usage.used_percent, 3),
                covered_percent=round(usage.covered_percent, 3),
                percent=round(usage.percent, 3),
                level=record.level.value,
            ),
            created_at=record.created_at,
            updated_at=record.updated_at,
            version=record.version,
        )


# Ranges


class RangeCreate(Strict):
    range: str = Field(examples=["10.42.0.10-10.42.0.99"], description="start-end, both inclusive")
    space: str = "global"
    status: str = "active"
    role: str = "general"
    group: str | None = None
    managed_by: str = "manual"
    description: str = ""
    tags: list[str] = []


class RangeUpdate(Strict):
    status: str | None = None
    role: str | None = None
    group: str | None = None
    managed_by: str | None = None
    description: str | None = None
    tags: list[str] | None = None


class RangeRead(BaseModel):
    id: int
    space: str
    range: str
    start: str
    end: str
    family: int
    size: int
    used: int
    status: str
    role: str
    group: str | None
    managed_by: str
    description: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, record: RangeRecord) -> RangeRead:
        return cls(
            id=record.id,
            space=record.space,
            range=f"{record.span.first_address}-{record.span.last_address}",
            start=str(record.span.first_address),
            end=str(record.span.last_address),
            family=record.span.version,
            size=record.span.num_addresses,
            used=record.used,
            status=record.status,
            role=record.role,
            group=record.group,
            managed_by=record.managed_by,
            description=record.description,
            tags=list(record.tags),
            created_at=record.created_at,
            updated_at=record.updated_at,
            version=record.version,
        )


# Addresses


class HolderFields(Strict):
    status: str = "active"
    holder_kind: str = "other"
    holder_name: str = ""
    dns_name: str = ""
    mac: str = ""
    source: str = "api"
    last_seen: datetime | None = None
    group: str | None = None
    description: str = ""
    tags: list[str] = []


class AddressCreate(HolderFields):
    address: str = Field(examples=["10.42.7.19"])
    space: str = "global"


class AddressUpdate(Strict):
    status: str | None = None
    holder_kind: str | None = None
    holder_name: str | None = None
    dns_name: str | None = None
    mac: str | None = None
    source: str | None = None
    last_seen: datetime | None = None
    group: str | None = None
    description: str | None = None
    tags: list[str] | None = None


class AddressRead(BaseModel):
    id: int
    space: str
    address: str
    family: int
    status: str
    holder_kind: str
    holder_name: str
    dns_name: str
    mac: str
    source: str
    last_seen: datetime | None
    group: str | None
    description: str
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def of(cls, record: AddressRecord) -> AddressRead:
        return cls(
            id=record.id,
            space=record.space,
            address=str(record.address),
            family=record.address.version,
            status=record.status,
            holder_kind=record.holder_kind,
            holder_name=record.holder_name,
            dns_name=record.dns_name,
            mac=record.mac,
            source=record.source,
            last_seen=record.last_seen,
            group=record.group,
            description=record.description,
            tags=list(record.tags),
            created_at=record.created_at,
            updated_at=record.updated_at,
            version=record.version,
        )


# Bulk


class BulkDelete(Strict):
    ids: list[int] = Field(min_length=1, max_length=MAX_BULK)


class BulkResult(BaseModel):
    count: int
    ids: list[int]


# Allocation


class AddressAllocation(HolderFields):
    count: int = Field(1, ge=1, le=MAX_BULK)


class PrefixAllocation(Strict):
    prefixlen: int = Field(examples=[24])
    count: int = Field(1, ge=1, le=MAX_BULK)
    policy: Literal["first-fit", "best-fit", "last-fit"] = "first-fit"
    status: str = "active"
    role: str = "general"
    group: str | None = None
    managed_by: str = "manual"
    description: str = ""
    tags: list[str] = []
    is_pool: bool = False


class FreeSpaceRead(BaseModel):
    parent: str
    free_addresses: int
    blocks: Page[str]
    next_address: str | None = None
    preview: str | None = Field(None, description="The block a request for ?prefixlen= would get now.")


# Reports


class ChangeRead(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    object_kind: str
    object_id: int | None
    object: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @classmethod
    def of(cls, record: ChangeRecord) -> ChangeRead:
        return cls(
            id=record.id,
            at=record.at,
            actor=record.actor,
            action=record.action,
            object_kind=record.object_kind,
            object_id=record.object_id,
            object=record.object_label,
            before=record.before,
            after=record.after,
        )


class HolderRead(BaseModel):
    """What holds the address now, according to a cluster's last good sync."""

    cluster: str
    kind: str
    holder: str
    node: str
    since: datetime
    synced_at: datetime | None


class StrandedRead(BaseModel):
    """A CNI record that still holds the address although nothing uses it (a cluster's last sync)."""

    cluster: str
    kind: str
    pool: str
    owner: str
    release: str
    synced_at: datetime | None


class WhoisRead(BaseModel):
    space: str
    address: str
    prefixes: list[PrefixRead]
    range: RangeRead | None
    record: AddressRead | None
    held_by: list[HolderRead] = []
    stranded_in: list[StrandedRead] = []


class UtilizationRow(BaseModel):
    prefix: PrefixRead
    depth: int


class GroupUtilization(BaseModel):
    group: str
    prefixes: int
    size: int
    usable: int
    used: int
    covered: int
    percent: float
    level: str


class UtilizationReport(BaseModel):
    prefixes: list[UtilizationRow]
    groups: list[GroupUtilization]


class FindingRead(BaseModel):
    severity: str
    kind: str
    subject: str
    message: str
