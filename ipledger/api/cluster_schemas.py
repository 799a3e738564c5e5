"""Request and response bodies of clusters, plans and configuration checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ipledger.api.schemas import FindingRead, PrefixRead, RangeRead, Strict
from ipledger.core.capacity import Capacity
from ipledger.core.findings import Finding
from ipledger.service.clusters import ClusterDetail, ClusterSummary
from ipledger.service.config_check import ConfigReport
from ipledger.service.records import ClusterRecord, PlanRecord

__all__ = [
    "CapacityRead",
    "ClusterCreate",
    "ClusterDetailRead",
    "ClusterPlanCreate",
    "ClusterRead",
    "ClusterSummaryRead",
    "ClusterUpdate",
    "ConfigCheck",
    "ConfigReportRead",
    "DecommissionPlanCreate",
    "GrowthPlanCreate",
    "PlanRead",
]


def _finding(item: Finding) -> FindingRead:
    return FindingRead(
        severity=item.severity.value, kind=item.kind, subject=item.subject, message=item.message
    )


class _Sizing(Strict):
    provider: str = Field("other", description="bare-metal, eks, gke, aks or other.")
    ipam_mode: str = Field(
        "kube-controller-manager",
        description="kube-controller-manager, flannel, calico, cilium-cluster-pool, cilium-multi-pool, "
        "whereabouts, aws-vpc-cni, aws-vpc-cni-prefix or azure-cni-overlay.",
    )
    max_pods: int = Field(110, description="Pods per node (the kubelet's default is 110).")
    expected_nodes: int = Field(3, description="Nodes the cluster is expected to have.")
    growth: float = Field(2.0, description="Growth factor on the node count (at least 1).")
    node_prefixlen: int | None = Field(None, description="IPv4 per-node block; default: the mode's.")
    node_prefixlen_v6: int | None = Field(None, description="IPv6 per-node block; default: the mode's.")
    expected_services: int | None = Field(None, description="Services expected; sizes the service CIDR.")
    eni_count: int | None = Field(
        None,
        description="ENIs of the nodes' instance type (AWS VPC CNI modes): max pods is checked against them.",
    )
    ips_per_eni: int | None = Field(None, description="IPv4 addresses per ENI of the instance type.")
    vcpus: int | None = Field(None, description="vCPUs of the instance type (caps the max-pods formula).")
    dual_stack: bool = False
    description: str = ""


class ClusterCreate(_Sizing):
    name: str
    space: str = "global"
    group: str | None = None


class ClusterUpdate(Strict):
    """Only the fields given change."""

    group: str | None = None
    provider: str | None = None
    ipam_mode: str | None = None
    max_pods: int | None = None
    expected_nodes: int | None = None
    growth: float | None = None
    node_prefixlen: int | None = None
    node_prefixlen_v6: int | None = None
    expected_services: int | None = None
    eni_count: int | None = None
    ips_per_eni: int | None = None
    vcpus: int | None = None
    dual_stack: bool | None = None
    description: str | None = None
    status: Literal["active", "decommissioned"] | None = None


class ClusterPlanCreate(ClusterCreate):
    """A new cluster to plan. Pools are CIDRs; without them, the prefixes tagged
    ``pool:<role>`` in the cluster's group (or the nearest group above it) are used."""

    pod_pools: list[str] = Field(default_factory=list)
    service_pools: list[str] = Field(default_factory=list)
    node_pools: list[str] = Field(default_factory=list)
    loadbalancer_pools: list[str] = Field(default_factory=list)
    loadbalancer_addresses: int | None = Field(
        None, ge=1, description="Size of a load-balancer pool to plan."
    )
    node_subnet_prefixlen_v6: int | None = Field(
        None, description="IPv6 node subnet length; default a /64 (or shorter when the nodes need it)."
    )


class GrowthPlanCreate(Strict):
    role: Literal["pod", "service", "node", "loadbalancer"] = "pod"
    family: Literal[4, 6] = 4


class DecommissionPlanCreate(Strict):
    release: bool = Field(False, description="Delete the networks (true) or mark them deprecated (false).")


class ConfigCheck(Strict):
    """A cluster configuration file's text (kubeadm, k3s / RKE2, kind or an ipledger ClusterSpec)."""

    text: str = Field(max_length=1 << 20)
    filename: str = "config.yaml"
    kind: Literal["kubeadm", "k3s", "rke2", "kind", "ipledger"] | None = None
    space: str | None = None
    expected_nodes: int | None = None
    max_pods: int | None = None
    growth: float | None = None
    expected_services: int | None = Field(
        None, description="Services expected: a smaller service CIDR warns."
    )
    eni_count: int | None = Field(None, description="ENIs of the instance type (AWS VPC CNI modes).")
    ips_per_eni: int | None = Field(None, description="IPv4 addresses per ENI of the instance type.")
    vcpus: int | None = Field(None, description="vCPUs of the instance type.")


class ClusterRead(BaseModel):
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
    eni_count: int | None = None
    ips_per_eni: int | None = None
    vcpus: int | None = None
    dual_stack: bool
    description: str
    created_at: datetime
    updated_at: datetime
    version: int
    sync_kubeconfig: str | None = Field(
        None, description="The server syncs the cluster with this kubeconfig."
    )
    sync_context: str | None = None
    sync_every_minutes: int | None = None

    @classmethod
    def of(cls, record: ClusterRecord) -> ClusterRead:
        return cls.model_validate(record, from_attributes=True)


class FigureRead(BaseModel):
    name: str
    value: int
    working: str
    source: str


class CapacityRead(BaseModel):
    family: int
    figures: list[FigureRead]
    nodes_needed: int
    node_capacity: int | None
    headroom_nodes: int | None
    findings: list[FindingRead]

    @classmethod
    def of(cls, family: int, worked: Capacity) -> CapacityRead:
        return cls(
            family=family,
            figures=[FigureRead.model_validate(item, from_attributes=True) for item in worked.figures],
            nodes_needed=worked.nodes_needed,
            node_capacity=worked.node_capacity,
            headroom_nodes=worked.headroom_nodes,
            findings=[
                FindingRead(
                    severity=item.severity.value, kind=item.kind, subject=item.subject, message=item.message
                )
                for item in worked.findings
            ],
        )


class LastSyncRead(BaseModel):
    started_at: datetime
    status: str
    error: str
    source: str


class ClusterDetailRead(BaseModel):
    cluster: ClusterRead
    prefixes: list[PrefixRead]
    ranges: list[RangeRead]
    capacity: list[CapacityRead]
    findings: list[FindingRead]
    last_sync: LastSyncRead | None = None

    @classmethod
    def of(cls, detail: ClusterDetail) -> ClusterDetailRead:
        return cls(
            cluster=ClusterRead.of(detail.cluster),
            prefixes=[PrefixRead.of(item) for item in detail.prefixes],
            ranges=[RangeRead.of(item) for item in detail.ranges],
            capacity=[CapacityRead.of(family, worked) for family, worked in detail.capacity],
            findings=[
                FindingRead(
                    severity=item.severity.value, kind=item.kind, subject=item.subject, message=item.message
                )
                for item in detail.findings
            ],
            last_sync=None
            if detail.last_sync is None
            else LastSyncRead.model_validate(detail.last_sync, from_attributes=True),
        )


class ClusterSummaryRead(BaseModel):
    cluster: ClusterRead
    networks: dict[str, list[str]]
    pod_percent: float | None
    headroom_nodes: int | None

    @classmethod
    def of(cls, summary: ClusterSummary) -> ClusterSummaryRead:
        return cls(
            cluster=ClusterRead.of(summary.cluster),
            networks={role: list(items) for role, items in summary.networks.items()},
            pod_percent=summary.pod_percent,
            headroom_nodes=summary.headroom_nodes,
        )


class PlanRead(BaseModel):
    """A plan: ``body`` holds ``inputs``, the proposed ``changes``, the ``checks`` with their
    results and the ``capacity`` working per family."""

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

    @classmethod
    def of(cls, record: PlanRecord) -> PlanRead:
        return cls.model_validate(record, from_attributes=True)


class ConfigReportRead(BaseModel):
    source: str
    name: str | None
    pod_cidrs: list[str]
    service_cidrs: list[str]
    node_cidrs: list[str]
    notes: list[str]
    assumed: list[str]
    capacity: list[CapacityRead]
    errors: int
    findings: list[FindingRead]

    @classmethod
    def of(cls, report: ConfigReport) -> ConfigReportRead:
        config = report.config
        return cls(
            source=config.source,
            name=config.name,
            pod_cidrs=[str(item) for item in config.pod_cidrs],
            service_cidrs=[str(item) for item in config.service_cidrs],
            node_cidrs=[str(item) for item in config.node_cidrs],
            notes=list(config.notes),
            assumed=list(report.assumed),
            capacity=[CapacityRead.of(family, worked) for family, worked in report.capacity],
            errors=report.errors,
            findings=[_finding(item) for item in report.findings],
        )
