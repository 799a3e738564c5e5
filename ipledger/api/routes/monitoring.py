"""Monitoring: utilization history and forecasts of prefixes and clusters, standing findings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from ipledger.api.deps import ActorDep, LedgerDep
from ipledger.api.monitoring_schemas import (
    FindingAck,
    ForecastRead,
    HistoryRead,
    SampleRead,
    StandingFindingRead,
    SubjectRead,
)
from ipledger.api.params import MAX_PAGE, decode_cursor, page
from ipledger.api.schemas import Page
from ipledger.service import history, standing_findings

router = APIRouter(tags=["monitoring"])

Window = Annotated[int, Query(ge=1, le=3660, description="Days of history the trend is fitted to.")]


def _history(
    ledger: LedgerDep, subject: history.Subject, since: datetime | None, until: datetime | None
) -> HistoryRead:
    samples = history.series(ledger, subject, since=since, until=until)
    return HistoryRead(subject=SubjectRead.of(subject), samples=[SampleRead.of(item) for item in samples])


@router.get(
    "/prefixes/{prefix_id}/history", response_model=HistoryRead, summary="Utilization history of a prefix"
)
def prefix_history(
    prefix_id: int, ledger: LedgerDep, since: datetime | None = None, until: datetime | None = None
) -> HistoryRead:
    """Samples taken at every change of the prefix's utilization, thinned with age (raw for 7
    days, hourly to 30 days, daily to 3 years); each holds until the next."""
    return _history(ledger, history.prefix_subject_by_id(ledger, prefix_id), since, until)


@router.get(
    "/ranges/{range_id}/history", response_model=HistoryRead, summary="Utilization history of a range"
)
def range_history(
    range_id: int, ledger: LedgerDep, since: datetime | None = None, until: datetime | None = None
) -> HistoryRead:
    """Addresses held in the range (a pool, a DHCP scope) against its size, at every change."""
    return _history(ledger, history.range_subject_by_id(ledger, range_id), since, until)


@router.get("/clusters/{name}/history", response_model=HistoryRead, summary="Pod-IP history of a cluster")
def cluster_history(
    name: str, ledger: LedgerDep, since: datetime | None = None, until: datetime | None = None
) -> HistoryRead:
    """Pod IPs in use against the capacity of the cluster's pod prefixes, one sample per sync."""
    return _history(ledger, history.cluster_subject(ledger, name), since, until)


@router.get(
    "/prefixes/{prefix_id}/forecast", response_model=ForecastRead, summary="Exhaustion forecast of a prefix"
)
def prefix_forecast(prefix_id: int, ledger: LedgerDep, window_days: Window = 30) -> ForecastRead:
    """When the prefix crosses each of its marks and runs out, with the growth rate and the
    confidence of the fit; too little history says so and gives no dates."""
    subject = history.prefix_subject_by_id(ledger, prefix_id)
    now = datetime.now(UTC)
    return ForecastRead.of(
        history.forecast_subject(ledger, subject, now=now, window=timedelta(days=window_days))
    )


@router.get(
    "/clusters/{name}/forecast", response_model=ForecastRead, summary="Exhaustion forecast of a cluster"
)
def cluster_forecast(name: str, ledger: LedgerDep, window_days: Window = 30) -> ForecastRead:
    subject = history.cluster_subject(ledger, name)
    now = datetime.now(UTC)
    return ForecastRead.of(
        history.forecast_subject(ledger, subject, now=now, window=timedelta(days=window_days))
    )


@router.get("/forecast", response_model=list[ForecastRead], summary="Exhaustion forecasts, soonest first")
def forecasts(
    ledger: LedgerDep,
    kind: Literal["prefix", "cluster"] | None = None,
    min_percent: Annotated[float, Query(ge=0, le=100, description="Only prefixes at least this full.")] = 0,
    window_days: Window = 30,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> list[ForecastRead]:
    """Every prefix and cluster with history, the soonest to run out first."""
    found = history.forecast_all(
        ledger, now=datetime.now(UTC), window=timedelta(days=window_days), kind=kind, min_percent=min_percent
    )
    return [ForecastRead.of(item) for item in found[:limit]]


@router.get(
    "/utilization/findings",
    response_model=Page[StandingFindingRead],
    summary="Threshold findings, newest first",
)
def list_findings(
    ledger: LedgerDep,
    kind: str | None = None,
    level: Annotated[list[Literal["warning", "critical", "emergency"]] | None, Query()] = None,
    group: Annotated[str | None, Query(description="This group and every group below it.")] = None,
    state: Literal["open", "closed", "all"] = "open",
    acknowledged: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    cursor: str | None = None,
) -> Page[StandingFindingRead]:
    """A prefix that reaches a mark opens a finding at that level; it rises and falls with the
    prefix and closes once utilization is 2 points below the warning mark."""
    start = decode_cursor(cursor, offset)
    records, total = standing_findings.list_standing_findings(
        ledger,
        kind=kind,
        levels=level,
        group=group,
        state=state,
        acknowledged=acknowledged,
        limit=limit,
        offset=start,
    )
    return page([StandingFindingRead.of(item) for item in records], total=total, limit=limit, offset=start)


@router.post(
    "/utilization/findings/{finding_id}/ack",
    response_model=StandingFindingRead,
    summary="Acknowledge a finding",
)
def acknowledge(finding_id: int, body: FindingAck, ledger: LedgerDep, actor: ActorDep) -> StandingFindingRead:
    """Record who has seen the finding, with a note; it stays open until its condition clears."""
    return StandingFindingRead.of(
        standing_findings.acknowledge_finding(ledger, finding_id, actor=actor, note=body.note)
    )
