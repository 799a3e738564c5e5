"""Reports: whois, utilization with group roll-ups, the findings of a check, and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from ipledger.api.deps import ActorDep, LedgerDep
from ipledger.api.params import MAX_PAGE, address_field, decode_cursor, page
from ipledger.api.schemas import (
    AddressRead,
    ChangeRead,
    FindingRead,
    GroupUtilization,
    HolderRead,
    Page,
    PrefixRead,
    RangeRead,
    StrandedRead,
    UtilizationReport,
    UtilizationRow,
    WhoisRead,
)
from ipledger.service import audit, checks, reports

router = APIRouter()


@router.get("/whois/{ip}", response_model=list[WhoisRead], tags=["reports"], summary="Who holds an address")
def whois(ip: str, ledger: LedgerDep, space: str | None = None) -> list[WhoisRead]:
    """Per space that knows the address: every prefix containing it (outermost first), the range
    holding it, its own record, what the clusters' last syncs saw holding it and the CNI records
    that still hold it although nothing uses it."""
    answers = reports.whois(ledger, address_field("ip", ip), space=space)
    return [
        WhoisRead(
            space=answer.space,
            address=str(answer.address),
            prefixes=[PrefixRead.of(prefix) for prefix in answer.prefixes],
            range=None if answer.range is None else RangeRead.of(answer.range),
            record=None if answer.record is None else AddressRead.of(answer.record),
            held_by=[HolderRead.model_validate(item, from_attributes=True) for item in answer.held_by],
            stranded_in=[
                StrandedRead.model_validate(item, from_attributes=True) for item in answer.stranded_in
            ],
        )
        for answer in answers
    ]


@router.get("/utilization", response_model=UtilizationReport, tags=["reports"], summary="Utilization report")
def utilization(
    ledger: LedgerDep,
    space: str | None = None,
    min_percent: Annotated[float | None, Query(ge=0, le=100)] = None,
) -> UtilizationReport:
    """Every prefix with its utilization and level, nested (``depth``), and every group's roll-up."""
    report = reports.utilization_report(ledger, space=space, min_percent=min_percent)
    return UtilizationReport(
        prefixes=[UtilizationRow(prefix=PrefixRead.of(row.prefix), depth=row.depth) for row in report.rows],
        groups=[
            GroupUtilization(
                group=group.path,
                prefixes=group.prefixes,
                size=group.usage.size,
                usable=group.usage.usable,
                used=group.usage.used,
                covered=group.usage.covered,
                percent=round(group.usage.percent, 3),
                level=group.level.value,
            )
            for group in report.groups
        ],
    )


@router.get("/findings", response_model=list[FindingRead], tags=["reports"], summary="Check the ledger")
def findings(ledger: LedgerDep) -> list[FindingRead]:
    """Conflicts and stored state that disagrees with the objects (severity error), and prefixes
    at or above their thresholds (info, warning): what `ipledger check` reports."""
    return [
        FindingRead(severity=item.severity.value, kind=item.kind, subject=item.subject, message=item.message)
        for item in checks.check_ledger(ledger)
    ]


@router.get(
    "/changes", response_model=Page[ChangeRead], tags=["audit"], summary="The audit log, newest first"
)
def changes(
    ledger: LedgerDep,
    viewer: ActorDep,
    object_kind: str | None = None,
    object_id: int | None = None,
    object: Annotated[str | None, Query(description="Text in the object's label, e.g. a CIDR.")] = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    cursor: str | None = None,
) -> Page[ChangeRead]:
    start = decode_cursor(cursor, offset)
    records, total = audit.search_changes(
        ledger,
        object_kind=object_kind,
        object_id=object_id,
        label=object,
        actor=actor,
        since=since,
        until=until,
        limit=limit,
        offset=start,
        viewer=viewer,
    )
    return page([ChangeRead.of(record) for record in records], total=total, limit=limit, offset=start)
