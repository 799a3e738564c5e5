"""The list and detail routes of one object kind, the way NetBox's model viewsets answer:
list with filters and paging, get, create (one or a list), update (PATCH/PUT, one or a list),
delete (one or a list), and OPTIONS with the choices of ``status``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse

from ipledger.api.netbox import bodies, filters, pagination, shapes
from ipledger.api.netbox.auth import NetBoxActor
from ipledger.api.netbox.context import Catalog, CatalogDep, LedgerDep
from ipledger.api.netbox.kinds import ObjectKind
from ipledger.core.errors import InvalidInputError
from ipledger.core.netbox_mapping import STATUSES, Kind, label_of
from ipledger.service import tags
from ipledger.service.edits import Edit, apply_edits
from ipledger.service.ledger import Ledger

__all__ = ["add_object_routes", "items_of", "known_tags"]

_WORDS: dict[str, Kind] = {
    "ipam/prefixes": "prefix",
    "ipam/ip-ranges": "range",
    "ipam/ip-addresses": "address",
}
AnyBody = Annotated[Any, Body()]


def items_of(payload: Any) -> tuple[list[dict[str, Any]], bool]:
    """The objects of a body and whether it was a list (the answer then is a list too)."""
    if isinstance(payload, dict):
        return [payload], False
    if isinstance(payload, list) and payload and all(isinstance(item, dict) for item in payload):
        return payload, True
    raise InvalidInputError("expected an object or a non-empty list of objects", field="non_field_errors")


def _body(data: dict[str, Any], where: str, known: tuple[str, ...]) -> bodies.Body:
    return bodies.Body(data=data, where=where, known_tags=known)


def known_tags(ledger: Ledger, items: list[dict[str, Any]]) -> tuple[str, ...]:
    """Tags in use, read only when a body names a tag by id."""
    by_id = any(isinstance(tag, int | dict) for item in items for tag in item.get("tags") or [])
    return tuple(tags.list_tags(ledger)) if by_id else ()


def _ordered(kind: ObjectKind, records: list[Any], ordering: str | None) -> list[Any]:
    if not ordering:
        return records
    for name in reversed([part.strip() for part in ordering.split(",") if part.strip()]):
        key = kind.orderings.get(name.lstrip("-"))
        if key is None:
            raise InvalidInputError(
                f"cannot order by {name!r}: use one of {', '.join(sorted(kind.orderings))}", field="ordering"
            )
        records = sorted(records, key=key, reverse=name.startswith("-"))
    return records


def _shaped(
    kind: ObjectKind, ledger: Ledger, catalog: Catalog, records: list[Any], brief: bool
) -> list[dict[str, Any]]:
    full = kind.shape(ledger, catalog, records)
    return [shapes.brief(kind.endpoint, shape) for shape in full] if brief else full


def add_object_routes(router: APIRouter, kind: ObjectKind) -> None:
    """Add the routes of ``kind`` to ``router``.

    The handlers are closures over ``kind`` because FastAPI reads each handler's signature for
    its parameters: a shared handler taking the kind as an argument would expose it as one.
    Each stays a few lines: parse, one service call, shape.
    """
    path = f"/api/{kind.endpoint}/"
    detail = f"{path}{{object_id}}/"

    def list_objects(request: Request, ledger: LedgerDep, catalog: CatalogDep) -> dict[str, Any]:
        params = request.query_params
        paging = pagination.paging_of(params)
        records = list(kind.load(ledger, filters.single_space(params, catalog)))
        records = _ordered(
            kind, filters.apply_filters(params, kind.filters, catalog, records), params.get("ordering")
        )
        return pagination.envelope(
            request.url,
            paging,
            records,
            key=lambda record: record.id,
            shape=lambda page: _shaped(kind, ledger, catalog, list(page), paging.brief),
        )

    def get_object(
        object_id: int, request: Request, ledger: LedgerDep, catalog: CatalogDep
    ) -> dict[str, Any]:
        brief = request.query_params.get("brief", "").lower() in ("1", "true")
        return _shaped(kind, ledger, catalog, [kind.get(ledger, object_id)], brief)[0]

    def create_objects(
        payload: AnyBody, ledger: LedgerDep, catalog: CatalogDep, actor: NetBoxActor
    ) -> JSONResponse:
        items, many = items_of(payload)
        known = known_tags(ledger, items)
        edits = [
            kind.edit(_body(item, f"items[{index}]" if many else "", known), catalog, None)
            for index, item in enumerate(items)
        ]
        records = apply_edits(ledger, edits, actor=actor)
        shaped = kind.shape(ledger, catalog, records)
        return JSONResponse(shaped if many else shaped[0], status_code=201)

    def _update(
        items: list[dict[str, Any]], many: bool, ledger: Ledger, catalog: Catalog, actor: Any, key: int | None
    ) -> list[dict[str, Any]]:
        known = known_tags(ledger, items)
        edits: list[Edit] = []
        for index, item in enumerate(items):
            where = f"items[{index}]" if many else ""
            object_id = key if key is not None else item.get("id")
            if isinstance(object_id, bool) or not isinstance(object_id, int):
                raise InvalidInputError(
                    "every object of a bulk update needs its numeric id", field=f"{where}.id"
                )
            edits.append(kind.edit(_body(item, where, known), catalog, kind.get(ledger, object_id)))
        return kind.shape(ledger, catalog, apply_edits(ledger, edits, actor=actor))

    def update_object(
        object_id: int, payload: AnyBody, ledger: LedgerDep, catalog: CatalogDep, actor: NetBoxActor
    ) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise InvalidInputError("expected an object", field="non_field_errors")
        return _update([payload], False, ledger, catalog, actor, object_id)[0]

    def update_objects(
        payload: AnyBody, ledger: LedgerDep, catalog: CatalogDep, actor: NetBoxActor
    ) -> list[dict[str, Any]]:
        items, _ = items_of(payload)
        return _update(items, True, ledger, catalog, actor, None)

    def delete_object(object_id: int, ledger: LedgerDep, actor: NetBoxActor) -> Response:
        kind.get(ledger, object_id)  # 404 for an unknown id, before any write
        kind.delete(ledger, [object_id], actor=actor)
        return Response(status_code=204)

    def delete_objects(payload: AnyBody, ledger: LedgerDep, actor: NetBoxActor) -> Response:
        items, _ = items_of(payload)
        ids = [item.get("id") for item in items]
        if any(isinstance(key, bool) or not isinstance(key, int) for key in ids):
            raise InvalidInputError("every object of a bulk delete needs its numeric id", field="id")
        kind.delete(ledger, ids, actor=actor)
        return Response(status_code=204)

    def options(catalog: CatalogDep) -> dict[str, Any]:
        choices = [
            {"value": value, "display_name": label_of(value)} for value in STATUSES[_WORDS[kind.endpoint]]
        ]
        return {
            "name": kind.endpoint.split("/")[1].replace("-", " ").title(),
            "renders": ["application/json"],
            "parses": ["application/json"],
            "actions": {"POST": {"status": {"type": "choice", "required": False, "choices": choices}}},
        }

    router.add_api_route(path, list_objects, methods=["GET"])
    router.add_api_route(path, create_objects, methods=["POST"], status_code=201)
    router.add_api_route(path, update_objects, methods=["PATCH", "PUT"])
    router.add_api_route(path, delete_objects, methods=["DELETE"], status_code=204)
    router.add_api_route(path, options, methods=["OPTIONS"])
    router.add_api_route(detail, get_object, methods=["GET"])
    router.add_api_route(detail, update_object, methods=["PATCH", "PUT"])
    router.add_api_route(detail, delete_object, methods=["DELETE"], status_code=204)
