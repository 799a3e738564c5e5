"""Kubernetes clusters, their plans, and checks of cluster configuration files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from ipledger.api.cluster_schemas import (
    ClusterCreate,
    ClusterDetailRead,
    ClusterPlanCreate,
    ClusterRead,
    ClusterSummaryRead,
    ClusterUpdate,
    ConfigCheck,
    ConfigReportRead,
    DecommissionPlanCreate,
    GrowthPlanCreate,
    PlanRead,
)
from ipledger.api.deps import ActorDep, LedgerDep
from ipledger.api.params import check_if_match, prefix_field, set_etag
from ipledger.api.schemas import FindingRead
from ipledger.service import (
    cluster_decommission,
    cluster_growth,
    cluster_overlaps,
    cluster_plans,
    clusters,
    plans,
)
from ipledger.service.config_check import check_config_text

router = APIRouter()

_ROLES = ("pod", "service", "node", "loadbalancer")
# The sizing inputs a configuration check may be given; each wins over the file.
_CHECK_OVERRIDES = (
    "expected_nodes", "max_pods", "growth", "expected_services", "eni_count", "ips_per_eni", "vcpus",
)  # fmt: skip


def _fields(body: ClusterCreate) -> clusters.ClusterFields:
    values = body.model_dump(include=set(clusters.ClusterFields.__dataclass_fields__))
    return clusters.ClusterFields(**values)


@router.get("/clusters", response_model=list[ClusterSummaryRead], tags=["clusters"], summary="List clusters")
def list_clusters(
    ledger: LedgerDep,
    space: str | None = None,
    group: Annotated[str | None, Query(description="Only clusters of this group and below.")] = None,
) -> list[ClusterSummaryRead]:
    """Every cluster with its networks by role, pod utilization and headroom in nodes."""
    return [ClusterSummaryRead.of(item) for item in clusters.list_clusters(ledger, space=space, group=group)]


@router.post(
    "/clusters", status_code=201, response_model=ClusterRead, tags=["clusters"], summary="Record a cluster"
)
def create_cluster(
    body: ClusterCreate, ledger: LedgerDep, actor: ActorDep, response: Response
) -> ClusterRead:
    """Record an existing cluster; its networks are prefixes with managed_by ``cluster:<name>``.
    A new cluster is better planned: POST /cluster-plans."""
    record = clusters.create_cluster(ledger, body.name, _fields(body), actor=actor)
    set_etag(response, "cluster", record.id, record.version)
    return ClusterRead.of(record)


@router.get(
    "/clusters/overlaps", response_model=list[FindingRead], tags=["clusters"], summary="Overlapping clusters"
)
def overlaps(ledger: LedgerDep, space: str | None = None) -> list[FindingRead]:
    """Networks of different clusters that overlap: an error within one space, info across spaces."""
    return [
        FindingRead(severity=item.severity.value, kind=item.kind, subject=item.subject, message=item.message)
        for item in cluster_overlaps.cluster_overlaps(ledger, space=space)
    ]


@router.get("/clusters/{name}", response_model=ClusterDetailRead, tags=["clusters"], summary="Get a cluster")
def read_cluster(name: str, ledger: LedgerDep, response: Response) -> ClusterDetailRead:
    """The cluster, its networks with utilization, its capacity worked out per family, findings."""
    detail = clusters.show_cluster(ledger, name)
    set_etag(response, "cluster", detail.cluster.id, detail.cluster.version)
    return ClusterDetailRead.of(detail)


@router.patch("/clusters/{name}", response_model=ClusterRead, tags=["clusters"], summary="Change a cluster")
def update_cluster(
    name: str,
    body: ClusterUpdate,
    ledger: LedgerDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> ClusterRead:
    current = clusters.show_cluster(ledger, name).cluster
    expected = check_if_match(if_match, "cluster", current.id)
    record = clusters.update_cluster(
        ledger, name, body.model_dump(exclude_unset=True), actor=actor, expected_version=expected
    )
    set_etag(response, "cluster", record.id, record.version)
    return ClusterRead.of(record)


@router.delete("/clusters/{name}", status_code=204, tags=["clusters"], summary="Forget a cluster")
def delete_cluster(
    name: str, ledger: LedgerDep, actor: ActorDep, if_match: Annotated[str | None, Header()] = None
) -> Response:
    """Only a cluster that manages no network any more, or a decommissioned one."""
    expected = (
        None
        if if_match is None
        else check_if_match(if_match, "cluster", clusters.show_cluster(ledger, name).cluster.id)
    )
    clusters.delete_cluster(ledger, name, actor=actor, expected_version=expected)
    return Response(status_code=204)


@router.post(
    "/cluster-plans", status_code=201, response_model=PlanRead, tags=["plans"], summary="Plan a new cluster"
)
def plan_cluster(body: ClusterPlanCreate, ledger: LedgerDep, actor: ActorDep) -> PlanRead:
    """Size the pod, service and node networks for nodes x growth, place each in free space of
    its pools with an expansion reserve after it, check everything, and save the plan. Nothing
    is allocated until POST /plans/{id}/apply. A pool too small answers 409 and saves nothing."""
    given = body.model_dump(exclude_unset=True)
    pools = {
        role: tuple(
            prefix_field(f"{role}_pools[{index}]", text)
            for index, text in enumerate(getattr(body, f"{role}_pools"))
        )
        for role in _ROLES
    }
    defaulted = [name for name in clusters.ClusterFields.__dataclass_fields__ if name not in given]
    record = cluster_plans.plan_cluster(
        ledger,
        body.name,
        _fields(body),
        actor=actor,
        pools={role: found for role, found in pools.items() if found},
        lb_addresses=body.loadbalancer_addresses,
        node_subnet_prefixlen_v6=body.node_subnet_prefixlen_v6,
        defaulted=defaulted,
    )
    return PlanRead.of(record)


@router.post(
    "/clusters/{name}/growth-plans",
    status_code=201,
    response_model=PlanRead,
    tags=["plans"],
    summary="Plan growth",
)
def plan_growth(name: str, body: GrowthPlanCreate, ledger: LedgerDep, actor: ActorDep) -> PlanRead:
    """Plan widening one network of the cluster into its expansion reserve (/N to /N-1)."""
    return PlanRead.of(
        cluster_growth.plan_growth(ledger, name, actor=actor, role=body.role, family=body.family)
    )


@router.post(
    "/clusters/{name}/decommission-plans",
    status_code=201,
    response_model=PlanRead,
    tags=["plans"],
    summary="Plan decommissioning",
)
def plan_decommission(
    name: str, body: DecommissionPlanCreate, ledger: LedgerDep, actor: ActorDep
) -> PlanRead:
    """Plan the end of a cluster: its networks released or marked deprecated."""
    return PlanRead.of(
        cluster_decommission.plan_decommission(ledger, name, actor=actor, release=body.release)
    )


@router.get("/plans", response_model=list[PlanRead], tags=["plans"], summary="List plans, newest first")
def list_plans(
    ledger: LedgerDep,
    status: Annotated[str | None, Query(description="proposed, applied or discarded")] = None,
    cluster: str | None = None,
) -> list[PlanRead]:
    return [PlanRead.of(item) for item in plans.list_plans(ledger, status=status, cluster=cluster)]


@router.get("/plans/{plan_id}", response_model=PlanRead, tags=["plans"], summary="Get a plan")
def read_plan(plan_id: int, ledger: LedgerDep) -> PlanRead:
    return PlanRead.of(plans.show_plan(ledger, plan_id))


@router.post("/plans/{plan_id}/apply", response_model=PlanRead, tags=["plans"], summary="Apply a plan")
def apply_plan(plan_id: int, ledger: LedgerDep, actor: ActorDep) -> PlanRead:
    """All of the plan in one transaction, or nothing: 409 when it is no longer proposed or the
    ledger changed so that a change no longer fits (the detail says what is in the way)."""
    return PlanRead.of(plans.apply_plan(ledger, plan_id, actor=actor).plan)


@router.post("/plans/{plan_id}/discard", response_model=PlanRead, tags=["plans"], summary="Discard a plan")
def discard_plan(plan_id: int, ledger: LedgerDep, actor: ActorDep) -> PlanRead:
    return PlanRead.of(plans.discard_plan(ledger, plan_id, actor=actor))


@router.post(
    "/config-checks",
    response_model=ConfigReportRead,
    tags=["clusters"],
    summary="Check a cluster config file",
)
def check_config(body: ConfigCheck, ledger: LedgerDep) -> ConfigReportRead:
    """Check the text of a kubeadm ClusterConfiguration, a k3s / RKE2 config.yaml, a kind
    config or an ipledger ClusterSpec before the cluster is built: what `ipledger check-config`
    reports. A malformed file answers 400 naming the line and the field."""
    given = tuple(key for key in _CHECK_OVERRIDES if getattr(body, key) is not None)
    overrides = clusters.ClusterFields(**{key: getattr(body, key) for key in given})
    report = check_config_text(
        ledger,
        body.text,
        filename=body.filename,
        kind=body.kind,
        space=body.space,
        overrides=overrides,
        given=given,
    )
    return ConfigReportRead.of(report)
