"""Prefixes: list with filters, get, create (one or in bulk), update with If-Match, delete."""

from __future__ import annotations

from typing import Annotated, Literal

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
    refuse_stale,
    set_etag,
)
from ipledger.api.schemas import (
    MAX_BULK,
    BulkDelete,
    BulkResult,
    Page,
    PrefixCreate,
    PrefixRead,
    PrefixUpdate,
)
from ipledger.core.errors import InvalidInputError
from ipledger.core.thresholds import Thresholds
from ipledger.service import prefixes
from ipledger.service.bulk import NewPrefix, create_objects
from ipledger.service.bulk_delete import delete_prefixes
from ipledger.service.search import get_prefix

router = APIRouter(tags=["prefixes"])


@router.get("/prefixes", response_model=Page[PrefixRead], summary="List prefixes")
def list_prefixes(
    ledger: LedgerDep,
    space: str | None = None,
    group: str | None = None,
    descendants: Annotated[bool, Query(description="With group: include groups below it.")] = True,
    role: str | None = None,
    status: str | None = None,
    tag: str | None = None,
    family: Annotated[int | None, Query(description="4 or 6")] = None,
    contains: Annotated[str | None, Query(description="Only prefixes containing this address.")] = None,
    within: Annotated[str | None, Query(description="Only prefixes inside this CIDR.")] = None,
    utilization_gte: Annotated[float | None, Query(ge=0, le=100)] = None,
    level: Literal["ok", "warning", "critical", "emergency"] | None = None,
    q: Annotated[str | None, Query(description="Free text in description or managed-by.")] = None,
    sort: Annotated[
        Literal["prefix", "utilization", "-utilization", "created"],
        Query(description="prefix: by address; utilization: fullest first; -utilization: emptiest first."),
    ] = "prefix",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    cursor: str | None = None,
) -> Page[PrefixRead]:
    start = decode_cursor(cursor, offset)
    criteria = prefixes.PrefixFilter(
        space=space,
        group=group,
        include_descendant_groups=descendants,
        role=role,
        status=status,
        tag=tag,
        family=family_field(family),
        contains=None if contains is None else address_field("contains", contains),
        within=None if within is None else prefix_field("within", within),
        utilization_gte=utilization_gte,
        level=level,
        text=q,
        sort=sort,
        limit=limit,
        offset=start,
    )
    records, total = prefixes.list_prefixes(ledger, criteria)
    return page([PrefixRead.of(record) for record in records], total=total, limit=limit, offset=start)


@router.post("/prefixes", status_code=201, response_model=PrefixRead, summary="Record a prefix")
def create_prefix(
    body: PrefixCreate,
    request: Request,
    ledger: LedgerDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    network = prefix_field("prefix", body.prefix)

    def run() -> PrefixRead:
        return PrefixRead.of(
            prefixes.create_prefix(
                ledger,
                network,
                actor=actor,
                space=body.space,
                status=body.status,
                role=body.role,
                group=body.group,
                managed_by=body.managed_by,
                description=body.description,
                tags=tuple(body.tags),
                is_pool=body.is_pool,
                thresholds=_thresholds(
                    body.thresholds.warning, body.thresholds.critical, body.thresholds.emergency
                ),
                unit_prefixlen=body.unit_prefixlen,
            )
        )

    return run_idempotently(ledger, request, idempotency_key, body, actor=actor, status=201, run=run)


@router.post(
    "/prefixes/bulk", status_code=201, response_model=BulkResult, summary="Record up to 10,000 prefixes"
)
def create_prefixes(
    body: Annotated[list[PrefixCreate], "items"],
    request: Request,
    ledger: LedgerDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """All or nothing: one bad item refuses the whole request, naming it as ``items[N]``."""
    _check_bulk(len(body))
    entries = [
        NewPrefix(
            where=f"items[{index}]",
            space=item.space,
            network=prefix_field(f"items[{index}].prefix", item.prefix),
            status=item.status,
            role=item.role,
            group=item.group,
            managed_by=item.managed_by,
            description=item.description,
            tags=tuple(item.tags),
            is_pool=item.is_pool,
            thresholds=_thresholds(
                item.thresholds.warning, item.thresholds.critical, item.thresholds.emergency
            ),
            unit_prefixlen=item.unit_prefixlen,
        )
        for index, item in enumerate(body)
    ]

    def run() -> BulkResult:
        created = create_objects(ledger, actor=actor, prefixes=entries)
        return BulkResult(count=created.prefixes, ids=list(created.prefix_ids))

    return run_idempotently(ledger, request, idempotency_key, body, actor=actor, status=201, run=run)


@router.post("/prefixes/bulk-delete", response_model=BulkResult, summary="Delete up to 10,000 prefixes")
def bulk_delete_prefixes(body: BulkDelete, ledger: LedgerDep, actor: ActorDep) -> BulkResult:
    """All or nothing: an unknown id or a refused delete leaves every prefix in place."""
    return BulkResult(count=delete_prefixes(ledger, body.ids, actor=actor), ids=body.ids)


@router.get("/prefixes/{prefix_id}", response_model=PrefixRead, summary="Get a prefix")
def read_prefix(prefix_id: int, ledger: LedgerDep, response: Response) -> PrefixRead:
    record = get_prefix(ledger, prefix_id)
    set_etag(response, "prefix", record.id, record.version)
    return PrefixRead.of(record)


@router.patch("/prefixes/{prefix_id}", response_model=PrefixRead, summary="Change a prefix")
def update_prefix(
    prefix_id: int,
    body: PrefixUpdate,
    ledger: LedgerDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header(description="The ETag you read; a stale one gets 412.")] = None,
) -> PrefixRead:
    current = get_prefix(ledger, prefix_id)
    expected = check_if_match(if_match, "prefix", prefix_id)
    changes = body.model_dump(exclude_unset=True)
    if "thresholds" in changes:
        marks = changes["thresholds"]
        changes["thresholds"] = _thresholds(marks["warning"], marks["critical"], marks["emergency"])
    record = prefixes.update_prefix(
        ledger, current.network, actor=actor, space=current.space, expected_version=expected, changes=changes
    )
    set_etag(response, "prefix", record.id, record.version)
    return PrefixRead.of(record)


@router.delete("/prefixes/{prefix_id}", status_code=204, summary="Delete a prefix")
def delete_prefix(
    prefix_id: int,
    ledger: LedgerDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    current = get_prefix(ledger, prefix_id)
    expected = check_if_match(if_match, "prefix", prefix_id)
    refuse_stale(expected, current, what=f"{current.network}")
    prefixes.delete_prefix(ledger, current.network, actor=actor, space=current.space)
    return Response(status_code=204)


def _thresholds(warning: float, critical: float, emergency: float) -> Thresholds:
    return Thresholds(warning, critical, emergency)


def _check_bulk(count: int) -> None:
    if not 1 <= count <= MAX_BULK:
        raise InvalidInputError(f"a bulk request takes 1 to {MAX_BULK} objects, not {count}")
