"""Read models the service hands out: frozen values with core types, never database rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ipledger.core.addresses import IPAddress, IPNetwork
from ipledger.core.ranges import IPRange
from ipledger.core.thresholds import Level, Thresholds
from ipledger.core.utilization import Usage

__all__ = [
    "AddressRecord",
    "ChangeRecord",
    "ClusterRecord",
    "GroupRecord",
    "PlanRecord",
    "PrefixRecord",
    "RangeRecord",
    "SpaceRecord",
]


@dataclass(frozen=True, slots=True)
class SpaceRecord:
    id: int
    name: str
    description: str
    version: int


@dataclass(frozen=True, slots=True)
class GroupRecord:
    id: int
    path: str
    name: str
    parent_path: str | None
    description: str
    owner: str
    environment: str
    tags: tuple[str, ...]
    version: int


@dataclass(frozen=True, slots=True)
class PrefixRecord:
    id: int
    space: str
    network: IPNetwork
    status: str
    role: str
    group: str | None
    managed_by: str
    description: str
    tags: tuple[str, ...]
    is_pool: bool
    thresholds: Thresholds
    unit_prefixlen: int | None
    usage: Usage
    level: Level
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class RangeRecord:
    id: int
    space: str
    span: IPRange
    status: str
    role: str
    group: str | None
    managed_by: str
    description: str
    tags: tuple[str, ...]
    used: int
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class AddressRecord:
    id: int
    space: str
    address: IPAddress
    status: str
    holder_kind: str
    holder_name: str
    dns_name: str
    mac: str
    source: str
    last_seen: datetime | None
    group: str | None
    description: str
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    id: int
    at: datetime
    actor: str
    action: str
    object_kind: str
    object_id: int | None
    object_label: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class ClusterRecord:
    id: int
    name: str
    space: str
    group: str | None
    status: str
    provider: str
    ipam_mode: str
    max_pods: int
    node_prefixlen: int | None
    node_prefixlen_v6: int | None
    expected_nodes: int
    growth: float
    expected_services: int | None
    eni_count: int | None
    ips_per_eni: int | None
    vcpus: int | None
    dual_stack: bool
    description: str
    created_at: datetime
    updated_at: datetime
    version: int
    sync_kubeconfig: str | None = None  # the server syncs it periodically with this kubeconfig
    sync_context: str | None = None
    sync_every_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class PlanRecord:
    """A saved plan; ``body`` holds its inputs, proposed changes, checks and capacity working."""

    id: int
    kind: str
    cluster: str
    status: str
    summary: str
    body: dict[str, Any]
    created_at: datetime
    created_by: str
    decided_at: datetime | None
    decided_by: str | None
    version: int
