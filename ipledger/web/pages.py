"""The pages of the web UI. Each reads one view model and renders one template.

Pages only read; every change is made by the page's script through the HTTP API with the
session's CSRF token, so the API's validation, permissions and audit serve both.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ipledger.core.errors import InvalidInputError, LedgerError, NotFoundError
from ipledger.core.permissions import PermissionDeniedError
from ipledger.service.events import latest_change_id
from ipledger.service.sessions import SignedIn
from ipledger.web import cluster_views, views
from ipledger.web.session import NotSignedIn, signed_in, to_login

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
templates.env.globals.update(bar_of=views.bar_of, percent_bar=views.percent_bar)

# Pages may load only this server's scripts and styles; nothing inline, nothing from elsewhere.
_PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
_MAX_PAGE = 1000


def _render(
    request: Request, name: str, context: dict[str, Any], *, who: SignedIn | None, status: int = 200
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        name,
        {
            "who": None if who is None else who.principal,
            "csrf_token": "" if who is None else who.csrf_token,
            "path": request.url.path,
            **context,
        },
        status_code=status,
    )
    response.headers["Content-Security-Policy"] = _PAGE_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(request: Request, name: str, build: Callable[[SignedIn], dict[str, Any]]) -> Response:
    """Render ``name`` for the signed-in user with what ``build`` returns; an error of the
    ledger becomes the error page with its message, a missing session the login page."""
    try:
        who = signed_in(request)
    except NotSignedIn:
        return to_login(request)
    try:
        # Read before the page: a change committed while it is built reaches it by the stream.
        position = latest_change_id(request.app.state.ledger)
        context = build(who)
    except NotFoundError as error:
        return _render(
            request, "error.html", {"title": "Not found", "message": str(error)}, who=who, status=404
        )
    except (InvalidInputError, PermissionDeniedError) as error:
        status = 403 if isinstance(error, PermissionDeniedError) else 400
        return _render(
            request,
            "error.html",
            {"title": "Cannot show this", "message": str(error)},
            who=who,
            status=status,
        )
    except LedgerError as error:
        return _render(request, "error.html", {"title": "Error", "message": str(error)}, who=who, status=500)
    if "redirect" in context:
        return RedirectResponse(context["redirect"], status_code=303)
    return _render(request, name, {**context, "last_event_id": position}, who=who)


def _filters(request: Request, *names: str) -> dict[str, str]:
    return {name: request.query_params[name] for name in names if request.query_params.get(name)}


Offset = Annotated[int, Query(ge=0)]
Limit = Annotated[int, Query(ge=1, le=_MAX_PAGE)]


@router.get("/login")
def login(request: Request, next: str = "/") -> Response:
    # Only a path of this site: never send a fresh login to another site.
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    return _render(request, "login.html", {"title": "Sign in", "next": target}, who=None)


@router.get("/")
def home(request: Request) -> Response:
    return _page(
        request,
        "dashboard.html",
        lambda who: {"title": "Dashboard", "view": views.dashboard(request.app.state.ledger, who.principal)},
    )


@router.get("/groups")
def group_tree(request: Request) -> Response:
    return _page(
        request,
        "groups.html",
        lambda _who: {"title": "Groups", "rows": views.group_rows(request.app.state.ledger)},
    )


@router.get("/prefixes")
def prefix_list(request: Request, offset: Offset = 0, limit: Limit = 100) -> Response:
    filters = _filters(request, "q", "space", "group", "role", "status", "level", "tag", "within", "sort")
    return _page(
        request,
        "prefixes.html",
        lambda _who: {
            "title": "Prefixes",
            "view": views.prefix_list(request.app.state.ledger, filters, limit=limit, offset=offset),
        },
    )


@router.get("/prefixes/{prefix_id}")
def prefix_page(request: Request, prefix_id: int, offset: Offset = 0, limit: Limit = 100) -> Response:
    filters = _filters(request, "q", "kind", "status", "sort")

    def build(_who: SignedIn) -> dict[str, Any]:
        view = views.prefix_page(request.app.state.ledger, prefix_id, filters, limit=limit, offset=offset)
        return {"title": str(view.prefix.network), "view": view}

    return _page(request, "prefix.html", build)


@router.get("/clusters")
def cluster_list(request: Request) -> Response:
    return _page(
        request,
        "clusters.html",
        lambda _who: {"title": "Clusters", "rows": views.cluster_list(request.app.state.ledger)},
    )


@router.get("/clusters/{name}")
def cluster_page(
    request: Request,
    name: str,
    offset: Offset = 0,
    limit: Limit = cluster_views.PAGE_SIZE,
    block_offset: Offset = 0,
    block_limit: Limit = cluster_views.PAGE_SIZE,
) -> Response:
    filters = _filters(request, "kind", "block_kind", "block_sort")

    def build(_who: SignedIn) -> dict[str, Any]:
        view = cluster_views.cluster_page(
            request.app.state.ledger, name, filters, paging=(offset, limit, block_offset, block_limit)
        )
        return {"title": f"Cluster {name}", "view": view, "block_sorts": cluster_views.BLOCK_SORTS}

    return _page(request, "cluster.html", build)


@router.get("/search")
def search(request: Request, q: str = "") -> Response:
    def build(_who: SignedIn) -> dict[str, Any]:
        result = views.search(request.app.state.ledger, q)
        if result.go_to is not None:
            return {"redirect": result.go_to}
        return {"title": f"Search {q}" if q else "Search", "view": result}

    return _page(request, "search.html", build)


@router.get("/changes")
def change_log(request: Request, offset: Offset = 0, limit: Limit = 50) -> Response:
    filters = _filters(request, "kind", "object", "actor", "since", "until")
    return _page(
        request,
        "changes.html",
        lambda who: {
            "title": "Change log",
            "view": views.change_log(
                request.app.state.ledger, who.principal, filters, limit=limit, offset=offset
            ),
        },
    )
