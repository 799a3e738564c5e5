"""``/api/ipam/vrfs/``: the ledger's spaces as NetBox VRFs (id = space id, name = space name).

The ``global`` space is NetBox's global table (``vrf: null``) and is not listed as a VRF.
Creating and deleting a VRF needs an admin grant, as creating and deleting a space does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse

from ipledger.api.netbox import pagination, shapes
from ipledger.api.netbox.auth import NetBoxActor
from ipledger.api.netbox.context import GLOBAL_SPACE, Catalog, CatalogDep, LedgerDep
from ipledger.api.netbox.route import NetBoxRoute
from ipledger.core.errors import InvalidInputError, NotFoundError
from ipledger.service import spaces
from ipledger.service.ledger import Ledger
from ipledger.service.records import SpaceRecord

__all__ = ["router"]

router = APIRouter(route_class=NetBoxRoute)
_PATH = "/api/ipam/vrfs/"
_WRITABLE = frozenset(
    {"name", "description", "rd", "enforce_unique", "tenant", "tags", "custom_fields", "comments"}
)
_READ_ONLY = frozenset(
    {"id", "url", "display_url", "display", "created", "last_updated", "prefix_count", "ipaddress_count"}
)


def _vrf(catalog: Catalog, key: int) -> SpaceRecord:
    record = catalog.spaces_by_id.get(key)
    if record is None or record.name == GLOBAL_SPACE:
        raise NotFoundError(f"no VRF with id {key}")
    return record


def _shaped(
    ledger: Ledger, catalog: Catalog, records: list[SpaceRecord], brief: bool
) -> list[dict[str, Any]]:
    counts = spaces.count_space_contents(ledger)
    full = [shapes.vrf_shape(catalog, record, counts.get(record.name, (0, 0))) for record in records]
    return [shapes.brief("ipam/vrfs", shape) for shape in full] if brief else full


def _matches(record: SpaceRecord, request: Request) -> bool:
    params = request.query_params
    for name in params:
        if name in pagination.PAGING_PARAMS:
            continue
        values = params.getlist(name)
        if name == "id":
            if str(record.id) not in values:
                return False
        elif name == "name":
            if record.name not in values:
                return False
        elif name == "q":
            if not any(value.lower() in record.name.lower() for value in values):
                return False
        elif name == "rd":
            if not all(value.lower() == "null" for value in values):
                return False
        else:
            raise InvalidInputError(f"unknown filter {name!r}: known are id, name, q, rd", field=name)
    return True


def _check(data: dict[str, Any]) -> None:
    for name, value in data.items():
        if name in _READ_ONLY or name in ("name", "description"):
            continue
        if name not in _WRITABLE:
            raise InvalidInputError(f"unknown field {name!r}", field=name)
        if value not in (None, "", [], {}, True):
            raise InvalidInputError(
                f"{name} is not supported by ipledger (see README, NetBox compatibility)", field=name
            )


@router.get(_PATH)
def list_vrfs(request: Request, ledger: LedgerDep, catalog: CatalogDep) -> dict[str, Any]:
    paging = pagination.paging_of(request.query_params)
    records = [
        record
        for record in sorted(catalog.spaces_by_id.values(), key=lambda record: record.id)
        if record.name != GLOBAL_SPACE and _matches(record, request)
    ]
    return pagination.envelope(
        request.url,
        paging,
        records,
        key=lambda record: record.id,
        shape=lambda page: _shaped(ledger, catalog, list(page), paging.brief),
    )


@router.get(_PATH + "{vrf_id}/")
def get_vrf(vrf_id: int, ledger: LedgerDep, catalog: CatalogDep) -> dict[str, Any]:
    return _shaped(ledger, catalog, [_vrf(catalog, vrf_id)], False)[0]


@router.post(_PATH, status_code=201)
def create_vrf(
    payload: Annotated[Any, Body()], ledger: LedgerDep, catalog: CatalogDep, actor: NetBoxActor
) -> JSONResponse:
    if not isinstance(payload, dict):
        raise InvalidInputError("expected an object", field="non_field_errors")
    _check(payload)
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError("This field is required.", field="name")
    record = spaces.create_space(ledger, name, actor=actor, description=str(payload.get("description") or ""))
    fresh = catalog.with_space(record)
    return JSONResponse(_shaped(ledger, fresh, [record], False)[0], status_code=201)


@router.api_route(_PATH + "{vrf_id}/", methods=["PATCH", "PUT"])
def update_vrf(
    vrf_id: int, payload: Annotated[Any, Body()], ledger: LedgerDep, catalog: CatalogDep, actor: NetBoxActor
) -> dict[str, Any]:
    record = _vrf(catalog, vrf_id)
    if not isinstance(payload, dict):
        raise InvalidInputError("expected an object", field="non_field_errors")
    _check(payload)
    if "name" in payload and payload["name"] != record.name:
        raise InvalidInputError(
            "renaming a VRF is not supported: objects refer to the space by name", field="name"
        )
    if "description" in payload:
        record = spaces.update_space(
            ledger, record.name, actor=actor, description=str(payload["description"] or "")
        )
    fresh = catalog.with_space(record)
    return _shaped(ledger, fresh, [record], False)[0]


@router.delete(_PATH + "{vrf_id}/", status_code=204)
def delete_vrf(vrf_id: int, catalog: CatalogDep, ledger: LedgerDep, actor: NetBoxActor) -> Response:
    spaces.delete_space(ledger, _vrf(catalog, vrf_id).name, actor=actor)
    return Response(status_code=204)
