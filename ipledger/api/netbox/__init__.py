"""The NetBox-compatible API: the IPAM part of NetBox's REST API under ``/api/`` so that
automation written for NetBox (pynetbox, Ansible, Terraform) works against the ledger unchanged.

Its routes stay out of the native OpenAPI schema (``/api/v1/openapi.json`` describes the
ledger's own API); README "NetBox compatibility" documents them and the mapping.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from ipledger.api.netbox import available, catalog_routes, vrfs
from ipledger.api.netbox.auth import require_netbox_reader
from ipledger.api.netbox.crud import add_object_routes
from ipledger.api.netbox.kinds import KINDS
from ipledger.api.netbox.route import NetBoxRoute

__all__ = ["mount"]


def mount(app: FastAPI) -> None:
    """Serve the NetBox API on ``app``: every route but ``/api/`` needs a token."""
    guarded = APIRouter(route_class=NetBoxRoute, dependencies=[Depends(require_netbox_reader)])
    for kind in KINDS:
        add_object_routes(guarded, kind)
    for module in (vrfs, available, catalog_routes):
        guarded.include_router(module.router)
    app.include_router(guarded, include_in_schema=False)
    app.include_router(catalog_routes.open_router, include_in_schema=False)
