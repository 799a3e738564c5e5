"""Allocation: what is free in a prefix or range, and taking the next free addresses or prefixes.

Concurrent requests never get the same address or overlapping prefixes (the service serialises
writers per parent); an ``Idempotency-Key`` makes a retried POST return the first result.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse

from ipledger.api.deps import ActorDep, LedgerDep, run_idempotently
from ipledger.api.params import MAX_PAGE, decode_cursor, page
from ipledger.api.routes.addresses import holder_fields
from ipledger.api.schemas import (
    AddressAllocation,
    AddressRead,
    FreeSpaceRead,
    PrefixAllocation,
    PrefixRead,
)
from ipledger.core.allocation import FitPolicy
from ipledger.core.errors import InvalidInputError
from ipledger.core.permissions import Principal
from ipledger.service import allocation
from ipledger.service.search import get_prefix

router = APIRouter(tags=["allocation"])

Policy = Literal["first-fit", "best-fit", "last-fit"]


def _free(free: allocation.FreeSpace, limit: int, start: int) -> FreeSpaceRead:
    return FreeSpaceRead(
        parent=free.parent,
        free_addresses=free.free_addresses,
        blocks=page(
            [str(block) for block in free.blocks], total=free.total_blocks, limit=limit, offset=start
        ),
        next_address=None if free.next_address is None else str(free.next_address),
        preview=None if free.preview is None else str(free.preview),
    )


@router.get("/prefixes/{prefix_id}/available-prefixes", response_model=FreeSpaceRead, summary="Free blocks")
def free_prefixes(
    prefix_id: int,
    ledger: LedgerDep,
    prefixlen: Annotated[
        int | None, Query(description="Also preview the block this length would get.")
    ] = None,
    policy: Policy = "first-fit",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    cursor: str | None = None,
) -> FreeSpaceRead:
    """The largest CIDRs that cover the free space of the prefix, lowest first."""
    start = decode_cursor(cursor, offset)
    free = allocation.list_free_space_of(
        ledger, prefix_id=prefix_id, limit=limit, offset=start, prefixlen=prefixlen, policy=FitPolicy(policy)
    )
    return _free(free, limit, start)


@router.post(
    "/prefixes/{prefix_id}/available-prefixes",
    status_code=201,
    response_model=list[PrefixRead],
    summary="Allocate the next free prefixes",
)
def allocate_prefixes(
    prefix_id: int,
    body: PrefixAllocation,
    request: Request,
    ledger: LedgerDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Aligned blocks of ``prefixlen`` from free space only; 409 with how full the prefix is when
    fewer than ``count`` fit (nothing is taken then)."""
    record = get_prefix(ledger, prefix_id)

    def run() -> list[PrefixRead]:
        taken = allocation.allocate_prefixes(
            ledger,
            record.network,
            actor=actor,
            prefixlen=body.prefixlen,
            space=record.space,
            count=body.count,
            policy=FitPolicy(body.policy),
            fields=allocation.PrefixFields(
                status=body.status,
                role=body.role,
                group=body.group,
                managed_by=body.managed_by,
                description=body.description,
                tags=tuple(body.tags),
                is_pool=body.is_pool,
            ),
        )
        return [PrefixRead.of(item) for item in taken]

    return run_idempotently(ledger, request, idempotency_key, body, actor=actor, status=201, run=run)


@router.get(
    "/prefixes/{prefix_id}/available-addresses", response_model=FreeSpaceRead, summary="Free addresses"
)
def free_addresses_of_prefix(
    prefix_id: int,
    ledger: LedgerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    cursor: str | None = None,
) -> FreeSpaceRead:
    """Free space as CIDR blocks, and the address an allocation would take now."""
    start = decode_cursor(cursor, offset)
    return _free(
        allocation.list_free_space_of(ledger, prefix_id=prefix_id, limit=limit, offset=start), limit, start
    )


@router.post(
    "/prefixes/{prefix_id}/available-addresses",
    status_code=201,
    response_model=list[AddressRead],
    summary="Allocate the next free addresses",
)
def allocate_addresses_of_prefix(
    prefix_id: int,
    body: AddressAllocation,
    request: Request,
    ledger: LedgerDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """The lowest free usable addresses, recorded for the holder; 409 when too few are free."""
    return _allocate_addresses({"prefix_id": prefix_id}, body, request, ledger, actor, idempotency_key)


@router.get("/ranges/{range_id}/available-addresses", response_model=FreeSpaceRead, summary="Free addresses")
def free_addresses_of_range(
    range_id: int,
    ledger: LedgerDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    cursor: str | None = None,
) -> FreeSpaceRead:
    start = decode_cursor(cursor, offset)
    return _free(
        allocation.list_free_space_of(ledger, range_id=range_id, limit=limit, offset=start), limit, start
    )


@router.post(
    "/ranges/{range_id}/available-addresses",
    status_code=201,
    response_model=list[AddressRead],
    summary="Allocate the next free addresses of a range",
)
def allocate_addresses_of_range(
    range_id: int,
    body: AddressAllocation,
    request: Request,
    ledger: LedgerDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    return _allocate_addresses({"range_id": range_id}, body, request, ledger, actor, idempotency_key)


def _allocate_addresses(
    parent: dict[str, int],
    body: AddressAllocation,
    request: Request,
    ledger: LedgerDep,
    actor: Principal,
    idempotency_key: str | None,
) -> JSONResponse:
    if body.count < 1:
        raise InvalidInputError("count must be at least 1")

    def run() -> list[AddressRead]:
        taken = allocation.allocate_addresses_of(
            ledger, actor=actor, count=body.count, fields=holder_fields(body), **parent
        )
        return [AddressRead.of(item) for item in taken]

    return run_idempotently(ledger, request, idempotency_key, body, actor=actor, status=201, run=run)
