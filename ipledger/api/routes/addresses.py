"""Addresses: one IP with what holds it, where it was seen and how it got into the ledger."""

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
    refuse_stale,
    set_etag,
)
from ipledger.api.schemas import (
    MAX_BULK,
    AddressCreate,
    AddressRead,
    AddressUpdate,
    BulkDelete,
    BulkResult,
    HolderFields,
    Page,
)
from ipledger.core.errors import InvalidInputError
from ipledger.service import addresses
from ipledger.service.bulk import NewAddress, create_objects
from ipledger.service.bulk_delete import delete_addresses
from ipledger.service.search import AddressFilter, get_address, search_addresses

router = APIRouter(tags=["addresses"])


def holder_fields(body: HolderFields) -> addresses.AddressFields:
    return addresses.AddressFields(
        status=body.status,
        holder_kind=body.holder_kind,
        holder_name=body.holder_name,
        dns_name=body.dns_name,
        mac=body.mac,
        source=body.source,
        last_seen=body.last_seen,
        group=body.group,
        description=body.description,
        tags=tuple(body.tags),
    )


@router.get("/addresses", response_model=Page[AddressRead], summary="List addresses")
def list_addresses(
    ledger: LedgerDep,
    space: str | None = None,
    group: str | None = None,
    descendants: bool = True,
    status: str | None = None,
    holder_kind: str | None = None,
    tag: str | None = None,
    family: Annotated[int | None, Query(description="4 or 6")] = None,
    within: str | None = None,
    q: Annotated[str | None, Query(description="Free text in holder, DNS name, MAC or description.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    cursor: str | None = None,
) -> Page[AddressRead]:
    start = decode_cursor(cursor, offset)
    records, total = search_addresses(
        ledger,
        AddressFilter(
            space=space,
            group=group,
            include_descendant_groups=descendants,
            status=status,
            holder_kind=holder_kind,
            tag=tag,
            family=family_field(family),
            within=None if within is None else prefix_field("within", within),
            text=q,
            limit=limit,
            offset=start,
        ),
    )
    return page([AddressRead.of(record) for record in records], total=total, limit=limit, offset=start)


@router.post("/addresses", status_code=201, response_model=AddressRead, summary="Record an address")
def create_address(
    body: AddressCreate,
    request: Request,
    ledger: LedgerDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    address = address_field("address", body.address)

    def run() -> AddressRead:
        record = addresses.create_address(
            ledger, address, actor=actor, space=body.space, fields=holder_fields(body)
        )
        return AddressRead.of(record)

    return run_idempotently(ledger, request, idempotency_key, body, actor=actor, status=201, run=run)


@router.post(
    "/addresses/bulk", status_code=201, response_model=BulkResult, summary="Record up to 10,000 addresses"
)
def create_addresses(
    body: list[AddressCreate],
    request: Request,
    ledger: LedgerDep,
    actor: ActorDep,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    if not 1 <= len(body) <= MAX_BULK:
        raise InvalidInputError(f"a bulk request takes 1 to {MAX_BULK} objects, not {len(body)}")
    entries = [
        NewAddress(
            where=f"items[{index}]",
            space=item.space,
            address=address_field(f"items[{index}].address", item.address),
            status=item.status,
            holder_kind=item.holder_kind,
            holder_name=item.holder_name,
            dns_name=item.dns_name,
            mac=item.mac,
            source=item.source,
            last_seen=item.last_seen,
            group=item.group,
            description=item.description,
            tags=tuple(item.tags),
        )
        for index, item in enumerate(body)
    ]

    def run() -> BulkResult:
        created = create_objects(ledger, actor=actor, addresses=entries)
        return BulkResult(count=created.addresses, ids=list(created.address_ids))

    return run_idempotently(ledger, request, idempotency_key, body, actor=actor, status=201, run=run)


@router.post("/addresses/bulk-delete", response_model=BulkResult, summary="Delete up to 10,000 addresses")
def bulk_delete_addresses(body: BulkDelete, ledger: LedgerDep, actor: ActorDep) -> BulkResult:
    return BulkResult(count=delete_addresses(ledger, body.ids, actor=actor), ids=body.ids)


@router.get("/addresses/{address_id}", response_model=AddressRead, summary="Get an address")
def read_address(address_id: int, ledger: LedgerDep, response: Response) -> AddressRead:
    record = get_address(ledger, address_id)
    set_etag(response, "address", record.id, record.version)
    return AddressRead.of(record)


@router.patch("/addresses/{address_id}", response_model=AddressRead, summary="Change what is recorded")
def update_address(
    address_id: int,
    body: AddressUpdate,
    ledger: LedgerDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> AddressRead:
    current = get_address(ledger, address_id)
    expected = check_if_match(if_match, "address", address_id)
    record = addresses.update_address(
        ledger,
        current.address,
        actor=actor,
        space=current.space,
        expected_version=expected,
        changes=body.model_dump(exclude_unset=True),
    )
    set_etag(response, "address", record.id, record.version)
    return AddressRead.of(record)


@router.delete("/addresses/{address_id}", status_code=204, summary="Delete an address")
def delete_address(
    address_id: int, ledger: LedgerDep, actor: ActorDep, if_match: Annotated[str | None, Header()] = None
) -> Response:
    current = get_address(ledger, address_id)
    expected = check_if_match(if_match, "address", address_id)
    refuse_stale(expected, current, what=f"{current.address}")
    addresses.delete_address(ledger, current.address, actor=actor, space=current.space)
    return Response(status_code=204)
