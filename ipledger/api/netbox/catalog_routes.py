"""The rest of what NetBox clients touch: ``/api/`` (whose ``API-Version`` header pynetbox
reads), ``/api/status/``, and read-only tenants (the ledger's groups), roles and tags, which
the IPAM objects refer to by id and URL."""

from __future__ import annotations

import platform
import socket
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request

from ipledger import __version__
from ipledger.api.netbox import pagination, shapes
from ipledger.api.netbox.context import Catalog, CatalogDep, LedgerDep
from ipledger.api.netbox.route import NETBOX_VERSION, NetBoxRoute
from ipledger.core.errors import InvalidInputError, NotFoundError
from ipledger.core.netbox_mapping import plain_tags, slug_of, stable_id
from ipledger.service import roles, tags

__all__ = ["open_router", "router"]

# The root only lists links, like NetBox's; clients read its API-Version header before signing in.
open_router = APIRouter(route_class=NetBoxRoute)
router = APIRouter(route_class=NetBoxRoute)


@open_router.get("/api/")
def api_root(request: Request) -> dict[str, str]:
    base = str(request.base_url).rstrip("/")
    return {name: f"{base}/api/{name}/" for name in ("ipam", "tenancy", "extras", "status")}


@router.get("/api/status/")
def status() -> dict[str, Any]:
    return {
        "django-version": None,
        "hostname": socket.gethostname(),
        "installed_apps": {"ipledger": __version__},
        "netbox-version": NETBOX_VERSION,
        "netbox-full-version": f"{NETBOX_VERSION} (ipledger {__version__})",
        "plugins": {},
        "python-version": platform.python_version(),
        "rq-workers-running": 0,
    }


@router.get("/api/ipam/")
def ipam_root(request: Request) -> dict[str, str]:
    base = str(request.base_url).rstrip("/")
    names = ("vrfs", "prefixes", "ip-ranges", "ip-addresses", "roles")
    return {name: f"{base}/api/ipam/{name}/" for name in names}


def _listed(
    request: Request, items: Sequence[dict[str, Any]], filters: dict[str, Callable[[dict[str, Any]], str]]
) -> dict[str, Any]:
    params = request.query_params
    for name in params:
        if name not in pagination.PAGING_PARAMS and name not in filters and name != "q":
            raise InvalidInputError(
                f"unknown filter {name!r}: known are q, {', '.join(sorted(filters))}", field=name
            )
    kept = [
        item
        for item in items
        if all(filters[name](item) in params.getlist(name) for name in params if name in filters)
        and all(text.lower() in item["name"].lower() for text in params.getlist("q"))
    ]
    paging = pagination.paging_of(params)
    return pagination.envelope(request.url, paging, kept, key=lambda item: item["id"], shape=list)


def _found(items: Sequence[dict[str, Any]], key: int, word: str) -> dict[str, Any]:
    for item in items:
        if item["id"] == key:
            return item
    raise NotFoundError(f"no {word} with id {key}")


def _tenants(catalog: Catalog) -> list[dict[str, Any]]:
    return [
        shapes.tenant_shape(catalog, record)
        for record in sorted(catalog.groups_by_id.values(), key=lambda r: r.id)
    ]


def _roles(ledger: Any, catalog: Catalog) -> list[dict[str, Any]]:
    return [shapes.role_shape(catalog, name, description) for name, description in roles.list_roles(ledger)]


def _tags(ledger: Any, catalog: Catalog) -> list[dict[str, Any]]:
    return [
        {
            "id": stable_id(tag),
            "url": catalog.url("extras/tags", stable_id(tag)),
            "display": tag,
            "name": tag,
            "slug": slug_of(tag),
            "color": "9e9e9e",
            "description": "",
        }
        for tag in plain_tags(tags.list_tags(ledger))
    ]


_BY_NAME: dict[str, Callable[[dict[str, Any]], str]] = {
    "id": lambda item: str(item["id"]),
    "name": lambda item: item["name"],
    "slug": lambda item: item["slug"],
}


@router.get("/api/tenancy/tenants/")
def list_tenants(request: Request, catalog: CatalogDep) -> dict[str, Any]:
    return _listed(request, _tenants(catalog), _BY_NAME)


@router.get("/api/tenancy/tenants/{tenant_id}/")
def get_tenant(tenant_id: int, catalog: CatalogDep) -> dict[str, Any]:
    return _found(_tenants(catalog), tenant_id, "tenant")


@router.get("/api/ipam/roles/")
def list_roles(request: Request, ledger: LedgerDep, catalog: CatalogDep) -> dict[str, Any]:
    return _listed(request, _roles(ledger, catalog), _BY_NAME)


@router.get("/api/ipam/roles/{role_id}/")
def get_role(role_id: int, ledger: LedgerDep, catalog: CatalogDep) -> dict[str, Any]:
    return _found(_roles(ledger, catalog), role_id, "role")


@router.get("/api/extras/tags/")
def list_tags(request: Request, ledger: LedgerDep, catalog: CatalogDep) -> dict[str, Any]:
    return _listed(request, _tags(ledger, catalog), _BY_NAME)


@router.get("/api/extras/tags/{tag_id}/")
def get_tag(tag_id: int, ledger: LedgerDep, catalog: CatalogDep) -> dict[str, Any]:
    return _found(_tags(ledger, catalog), tag_id, "tag")
