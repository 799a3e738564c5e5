"""What clusters and scans really hold: cluster syncs and their reports, scans, stale addresses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ipledger.api.deps import ActorDep, LedgerDep
from ipledger.api.params import MAX_PAGE
from ipledger.api.schemas import AddressRead, FindingRead, Strict
from ipledger.core.errors import InvalidInputError
from ipledger.core.findings import Finding
from ipledger.service.cluster_report import BlockPage, cluster_report, list_syncs
from ipledger.service.sightings import record_scan_text, stale_addresses
from ipledger.service.sync import sync_from_objects

router = APIRouter()


class SyncRead(BaseModel):
    id: int
    started_at: datetime
    finished_at: datetime | None
    source: str
    status: str
    error: str
    counts: dict[str, int]


class SyncResultRead(BaseModel):
    cluster: str
    sync_id: int
    taken_at: datetime
    counts: dict[str, int]
    findings: dict[str, int]
    skipped: int


class ReportFindingRead(BaseModel):
    severity: str
    kind: str
    subject: str
    message: str
    address: str | None
    pool: str
    owner: str
    release: str = Field(description="The command or patch that would release it; ipledger never runs it.")


class BlockUsageRead(BaseModel):
    kind: str
    name: str
    cidr: str | None
    node: str
    size: int
    allocated: int
    in_use: int
    stranded: int


class PodIPsRead(BaseModel):
    """The cluster's documented pod networks together, each address counted once."""

    at: datetime
    size: int = Field(description="Usable addresses of the prefixes with role pod the cluster manages.")
    in_use: int = Field(description="Distinct addresses inside them that running pods carry.")
    allocated: int = Field(description="In use, stranded, or recorded as allocated by the CNI.")
    stranded: int = Field(description="Distinct addresses inside them kept by stranded allocations.")
    percent: float = Field(description="in_use of size, in percent.")


class ClusterReportRead(BaseModel):
    cluster: str
    last_sync: SyncRead | None
    last_good_sync: SyncRead | None
    pod_ips: PodIPsRead | None = Field(description="Pod-IP usage at the last good sync (null before one).")
    finding_counts: dict[str, int]
    findings: list[ReportFindingRead]
    total_findings: int
    blocks: list[BlockUsageRead]
    block_counts: dict[str, int]
    total_blocks: int


class ScanUpload(Strict):
    """The text of an nmap XML report, `ip neigh` output (text or JSON) or a CSV of sightings."""

    text: str = Field(max_length=32 << 20)
    filename: str = "scan"
    kind: Literal["nmap", "ip-neigh", "csv"] | None = None
    space: str = "global"


class ScanRead(BaseModel):
    seen: int
    updated: int
    findings: list[FindingRead]


class StaleRead(BaseModel):
    cutoff: datetime
    addresses: list[AddressRead]
    unbound: list[FindingRead]


def _finding(item: Finding) -> FindingRead:
    return FindingRead(
        severity=item.severity.value, kind=item.kind, subject=item.subject, message=item.message
    )


@router.post(
    "/clusters/{name}/syncs",
    status_code=201,
    response_model=SyncResultRead,
    tags=["clusters"],
    summary="Sync from uploaded objects",
)
def sync_cluster(name: str, body: dict[str, Any], ledger: LedgerDep, actor: ActorDep) -> SyncResultRead:
    """Sync the cluster from the JSON that `kubectl get ... -o json` prints (a v1 List, or an
    object with `items`). Large clusters are better synced with `ipledger cluster sync`, which
    reads files of any size or the API server itself."""
    items = body.get("items")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise InvalidInputError(
            "the body must be a List: an object whose items is a list of objects", field="items"
        )
    result = sync_from_objects(ledger, name, items, source="upload", actor=actor)
    return SyncResultRead(
        cluster=result.cluster,
        sync_id=result.sync_id,
        taken_at=result.taken_at,
        counts=result.counts,
        findings=result.findings,
        skipped=len(result.skipped),
    )


@router.get(
    "/clusters/{name}/syncs", response_model=list[SyncRead], tags=["clusters"], summary="The cluster's syncs"
)
def read_syncs(name: str, ledger: LedgerDep) -> list[SyncRead]:
    """The newest syncs first (at most 20), failed ones with their error."""
    return [SyncRead.model_validate(item, from_attributes=True) for item in list_syncs(ledger, name)]


@router.get(
    "/clusters/{name}/report",
    response_model=ClusterReportRead,
    tags=["clusters"],
    summary="The cluster's report",
)
def read_report(
    name: str,
    ledger: LedgerDep,
    kind: Annotated[str | None, Query(description="Only findings of this kind.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    block_kind: Annotated[
        str | None,
        Query(description="Only blocks of this kind (pod-cidr, calico-block, whereabouts-pool, ...)."),
    ] = None,
    block_sort: Annotated[
        Literal["name", "fullest", "stranded"],
        Query(
            description="Blocks by kind and name, the largest share allocated first, or the most stranded first."
        ),
    ] = "name",
    block_limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    block_offset: Annotated[int, Query(ge=0)] = 0,
) -> ClusterReportRead:
    """Findings of the last good sync (stranded allocations with their release commands, drift),
    pod-IP usage per block and pool (paged apart from the findings: a cluster of 5,000 nodes has
    more than 5,000 blocks; `total_blocks` and `block_counts` give the whole), and the last
    sync's outcome."""
    blocks = BlockPage(kind=block_kind, order=block_sort, limit=block_limit, offset=block_offset)
    return ClusterReportRead.model_validate(
        cluster_report(ledger, name, kind=kind, limit=limit, offset=offset, blocks=blocks),
        from_attributes=True,
    )


@router.post("/scans", response_model=ScanRead, tags=["reports"], summary="Record a scan")
def record_scan(body: ScanUpload, ledger: LedgerDep, actor: ActorDep) -> ScanRead:
    """Record addresses seen in use; answers the rogue addresses and those in no prefix."""
    found = record_scan_text(
        ledger,
        body.text,
        filename=body.filename,
        actor=actor,
        now=datetime.now(UTC),
        kind=body.kind,
        space=body.space,
    )
    return ScanRead(
        seen=found.seen, updated=found.updated, findings=[_finding(item) for item in found.findings]
    )


@router.get("/stale", response_model=StaleRead, tags=["reports"], summary="Stale addresses")
def stale(
    ledger: LedgerDep,
    days: Annotated[
        int, Query(ge=0, le=36500, description="Not seen by a scan or sync for this many days.")
    ] = 30,
    space: str | None = None,
) -> StaleRead:
    found = stale_addresses(ledger, days=days, now=datetime.now(UTC), space=space)
    return StaleRead(
        cutoff=found.cutoff,
        addresses=[AddressRead.of(item) for item in found.addresses],
        unbound=[_finding(item) for item in found.unbound],
    )
