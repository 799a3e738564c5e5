"""Ranges: a start-end span inside one prefix (a DHCP scope, a load-balancer pool)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from ipledger.api.deps import ActorDep, LedgerDep, run_idempotently
from ipledger.api.params import (
    MAX_PAGE,
    address_field,
    check_if_match,
    decode_cursor,
    family_field,
    page,
    prefix_field,
    range_field,
    refuse_stale,
    set_etag,
)
from ipledger.api.schemas import MAX_BULK, BulkDelete, BulkResult, Page, RangeCreate, RangeRead, RangeUpdate
from ipledger.core.errors import InvalidInputError
from ipledger.service import ranges
from ipledger.service.bulk import NewRange, create_objects
from ipledger.service.bulk_delete import delete_ranges
from ipledger.service.search import RangeFilter, get_range, search_ranges

router = APIRouter(tags=["ranges"])


@router.get("/ranges", response_model=Page[RangeRead], summary="List ranges")
def list_ranges(
    ledger: LedgerDep,
    space: str | None = None,
    group: str | None = None,
    descendants: bool = True,
    role: str | None = None,
    status: str | None = None,
    tag: str | None = None,
    family: Annotated[int | None, Query(description="4 or 6")] = None,
    contains: str | None = None,
    within: str | None = None,
    q: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    cursor: str | None = None,
) -> Page[RangeRead]:
    start = decode_cursor(cursor, offset)
    records, total = search_ranges(
        ledger,
        RangeFilter(
            space=space,
            group=group,
            include_descendant_groups=descendants,
            role=role,
            status=status,
            tag=tag,
            family=family_field(family),
            contains=None if contains is None else address_field("contains", contains),
            within=None if within is None else prefix_field("within", within),
            text=q,
            limit=limit,
            offset=start,
        ),
    )
    return page([RangeRead.of(record) for record in records], total=total, limit=limit, offset=start)


@router.post("/ranges", status_code=201, response_model=RangeRead, summary="Record a range")
def create_range(
    body: RangeCreate,
    request: Request,
    ledger: LedgerDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    span = range_field("range", body.range)

    def run() -> RangeRead:
        return RangeRead.of(
            ranges.create_range(
                ledger,
                span,
                actor=actor,
                space=body.space,
                status=body.status,
                role=body.role,
                group=body.group,
                managed_by=body.managed_by,
                description=body.description,
                tags=tuple(body.tags),
            )
        )

    return run_idempotently(ledger, request, idempotency_key, body, actor=actor, status=201, run=run)


@router.post("/ranges/bulk", status_code=201, response_model=BulkResult, summary="Record up to 10,000 ranges")
def create_ranges(
    body: list[RangeCreate],
    request: Request,
    ledger: LedgerDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    if not 1 <= len(body) <= MAX_BULK:
        raise InvalidInputError(f"a bulk request takes 1 to {MAX_BULK} objects, not {len(body)}")
    entries = [
        NewRange(
            where=f"items[{index}]",
            space=item.space,
            span=range_field(f"items[{index}].range", item.range),
            status=item.status,
            role=item.role,
            group=item.group,
            managed_by=item.managed_by,
            description=item.description,
            tags=tuple(item.tags),
        )
        for index, item in enumerate(body)
    ]

    def run() -> BulkResult:
        created = create_objects(ledger, actor=actor, ranges=entries)
        return BulkResult(count=created.ranges, ids=list(created.range_ids))

    return run_idempotently(ledger, request, idempotency_key, body, actor=actor, status=201, run=run)


@router.post("/ranges/bulk-delete", response_model=BulkResult, summary="Delete up to 10,000 ranges")
def bulk_delete_ranges(body: BulkDelete, ledger: LedgerDep, actor: ActorDep) -> BulkResult:
    return BulkResult(count=delete_ranges(ledger, body.ids, actor=actor), ids=body.ids)


@router.get("/ranges/{range_id}", response_model=RangeRead, summary="Get a range")
def read_range(range_id: int, ledger: LedgerDep, response: Response) -> RangeRead:
    record = get_range(ledger, range_id)
    set_etag(response, "range", record.id, record.version)
    return RangeRead.of(record)


@router.patch("/ranges/{range_id}", response_model=RangeRead, summary="Change a range")
def update_range(
    range_id: int,
    body: RangeUpdate,
    ledger: LedgerDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> RangeRead:
    current = get_range(ledger, range_id)
    expected = check_if_match(if_match, "range", range_id)
    record = ranges.update_range(
        ledger,
        current.span,
        actor=actor,
        space=current.space,
        expected_version=expected,
        changes=body.model_dump(exclude_unset=True),
    )
    set_etag(response, "range", record.id, record.version)
    return RangeRead.of(record)


@router.delete("/ranges/{range_id}", status_code=204, summary="Delete a range")
def delete_range(
    range_id: int, ledger: LedgerDep, actor: ActorDep, if_match: Annotated[str | None, Header()] = None
) -> Response:
    current = get_range(ledger, range_id)
    expected = check_if_match(if_match, "range", range_id)
    refuse_stale(expected, current, what=f"range {current.span}")
    ranges.delete_range(ledger, current.span, actor=actor, space=current.space)
    return Response(status_code=204)
