"""``available-ips`` and ``available-prefixes`` of prefixes and IP ranges, as NetBox answers them:
GET a plain array (not the list envelope), POST an object for one or a list for several (all or
nothing; 409 when there is not enough room).

What counts as free is the ledger's rule, which is stricter than NetBox's: a prefix's free space
excludes its child prefixes, ranges and addresses alike, so an allocation never lands inside
something already recorded.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse

from ipledger.api.netbox import bodies, shapes
from ipledger.api.netbox.auth import NetBoxActor
from ipledger.api.netbox.context import Catalog, CatalogDep, LedgerDep
from ipledger.api.netbox.crud import items_of, known_tags
from ipledger.api.netbox.pagination import DEFAULT_PAGE, MAX_PAGE
from ipledger.api.netbox.route import NetBoxRoute
from ipledger.core.errors import InvalidInputError
from ipledger.service import allocation, nesting
from ipledger.service.addresses import AddressFields
from ipledger.service.ledger import Ledger
from ipledger.service.search import get_prefix, get_range

__all__ = ["router"]

router = APIRouter(route_class=NetBoxRoute)
_ADDRESS_FIELD_NAMES = frozenset(AddressFields.__dataclass_fields__)
_PREFIX_FIELD_NAMES = frozenset(allocation.PrefixFields.__dataclass_fields__)


def _limit(request: Request) -> int:
    text = request.query_params.get("limit", "")
    if not text.isdigit():
        return DEFAULT_PAGE
    return MAX_PAGE if int(text) == 0 else min(int(text), MAX_PAGE)


def _prefixlen_of(ledger: Ledger, *, prefix_id: int | None, range_id: int | None) -> int:
    """The mask NetBox shows on an available address: its parent prefix's length."""
    if prefix_id is not None:
        return get_prefix(ledger, prefix_id).network.prefixlen
    assert range_id is not None
    record = get_range(ledger, range_id)
    found = nesting.innermost_prefixlens(ledger, [(record.id, record.space, record.span.first_address)])
    return found.get(record.id, record.span.first_address.max_prefixlen)


def _free_ips(request: Request, ledger: Ledger, catalog: Catalog, **parent: int) -> list[dict[str, Any]]:
    prefixlen = _prefixlen_of(ledger, prefix_id=parent.get("prefix_id"), range_id=parent.get("range_id"))
    space, found = allocation.list_free_addresses_of(ledger, count=_limit(request), **parent)
    return [shapes.available_address_shape(catalog, space, address, prefixlen) for address in found]


def _take_ips(payload: Any, ledger: Ledger, catalog: Catalog, actor: Any, **parent: int) -> JSONResponse:
    items, many = items_of(payload)
    prefixlen = _prefixlen_of(ledger, prefix_id=parent.get("prefix_id"), range_id=parent.get("range_id"))
    known = known_tags(ledger, items)
    wanted = []
    for index, item in enumerate(items):
        body = bodies.Body(
            {key: value for key, value in item.items() if key not in ("address", "vrf")},
            f"items[{index}]" if many else "",
            known,
        )
        length = item.get("prefix_length")
        if length is not None and (
            isinstance(length, bool) or not isinstance(length, int) or length < prefixlen
        ):
            raise InvalidInputError(
                f"prefix_length must be a whole number of at least {prefixlen}", field="prefix_length"
            )
        fields = bodies.address_fields(body, catalog, None)
        wanted.append(
            AddressFields(**{key: value for key, value in fields.items() if key in _ADDRESS_FIELD_NAMES})
        )
    taken = allocation.allocate_addresses_each(ledger, actor=actor, fields=wanted, **parent)
    shaped = [shapes.address_shape(catalog, record, prefixlen) for record in taken]
    return JSONResponse(shaped if many else shaped[0], status_code=201)


@router.get("/api/ipam/prefixes/{prefix_id}/available-ips/")
def free_ips_of_prefix(
    prefix_id: int, request: Request, ledger: LedgerDep, catalog: CatalogDep
) -> list[dict[str, Any]]:
    return _free_ips(request, ledger, catalog, prefix_id=prefix_id)


@router.post("/api/ipam/prefixes/{prefix_id}/available-ips/", status_code=201)
def take_ips_of_prefix(
    prefix_id: int,
    payload: Annotated[Any, Body()],
    ledger: LedgerDep,
    catalog: CatalogDep,
    actor: NetBoxActor,
) -> JSONResponse:
    return _take_ips(payload, ledger, catalog, actor, prefix_id=prefix_id)


@router.get("/api/ipam/ip-ranges/{range_id}/available-ips/")
def free_ips_of_range(
    range_id: int, request: Request, ledger: LedgerDep, catalog: CatalogDep
) -> list[dict[str, Any]]:
    return _free_ips(request, ledger, catalog, range_id=range_id)


@router.post("/api/ipam/ip-ranges/{range_id}/available-ips/", status_code=201)
def take_ips_of_range(
    range_id: int, payload: Annotated[Any, Body()], ledger: LedgerDep, catalog: CatalogDep, actor: NetBoxActor
) -> JSONResponse:
    return _take_ips(payload, ledger, catalog, actor, range_id=range_id)


@router.get("/api/ipam/prefixes/{prefix_id}/available-prefixes/")
def free_prefixes(prefix_id: int, ledger: LedgerDep, catalog: CatalogDep) -> list[dict[str, Any]]:
    """Every free CIDR, lowest first (NetBox ignores ``limit`` here too)."""
    record = get_prefix(ledger, prefix_id)
    free = allocation.list_free_space_of(ledger, prefix_id=prefix_id)
    return [shapes.available_prefix_shape(catalog, record.space, block) for block in free.blocks]


@router.post("/api/ipam/prefixes/{prefix_id}/available-prefixes/", status_code=201)
def take_prefixes(
    prefix_id: int,
    payload: Annotated[Any, Body()],
    ledger: LedgerDep,
    catalog: CatalogDep,
    actor: NetBoxActor,
) -> JSONResponse:
    items, many = items_of(payload)
    known = known_tags(ledger, items)
    requests = []
    for index, item in enumerate(items):
        body = bodies.Body(item, f"items[{index}]" if many else "", known)
        length, fields = bodies.allocated_prefix_fields(body, catalog)
        kept = {key: value for key, value in fields.items() if key in _PREFIX_FIELD_NAMES}
        requests.append((length, allocation.PrefixFields(**kept)))
    taken = allocation.allocate_prefixes_each(ledger, actor=actor, prefix_id=prefix_id, requests=requests)
    nested = nesting.nesting_of_spaces(ledger, {record.space for record in taken})
    shaped = [shapes.prefix_shape(catalog, record, nested[record.id]) for record in taken]
    return JSONResponse(shaped if many else shaped[0], status_code=201)
