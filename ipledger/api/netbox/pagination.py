"""NetBox's list envelope ``{"count", "next", "previous", "results"}`` with limit/offset paging
(absolute ``next``/``previous`` URLs that clients follow verbatim), cursor paging with ``start``
(NetBox 4.6), and the field selection parameters ``brief``, ``fields`` and ``omit``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.datastructures import URL, QueryParams

from ipledger.core.errors import InvalidInputError

__all__ = ["DEFAULT_PAGE", "MAX_PAGE", "PAGING_PARAMS", "Paging", "envelope", "paging_of"]

DEFAULT_PAGE = 50  # NetBox's PAGINATE_COUNT
MAX_PAGE = 1000  # NetBox's MAX_PAGE_SIZE
# Parameters about the answer's form rather than about which objects it holds.
PAGING_PARAMS = frozenset(
    {"limit", "offset", "start", "brief", "fields", "omit", "exclude", "ordering", "format"}
)
Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Paging:
    limit: int
    offset: int
    start: int | None  # cursor mode: objects from this id on, ordered by id
    brief: bool
    fields: tuple[str, ...]
    omit: tuple[str, ...]


def _number(params: QueryParams, name: str) -> int | None:
    """NetBox ignores a negative or malformed limit or offset instead of refusing it."""
    text = params.get(name)
    if text is None or not text.isdigit():
        return None
    return int(text)


def paging_of(params: QueryParams) -> Paging:
    limit = _number(params, "limit")
    if limit is None:
        limit = DEFAULT_PAGE
    elif limit == 0 or limit > MAX_PAGE:
        limit = MAX_PAGE
    start = params.get("start")
    if start is not None and "offset" in params:
        raise InvalidInputError("start and offset cannot be combined", field="start")
    if start is not None and not start.isdigit():
        raise InvalidInputError(f"start {start!r} must be a whole number (an object id)", field="start")
    return Paging(
        limit=limit,
        offset=_number(params, "offset") or 0,
        start=None if start is None else int(start),
        brief=params.get("brief", "").lower() in ("1", "true", "yes"),
        fields=_names(params.get("fields")),
        omit=_names(params.get("omit")),
    )


def _names(text: str | None) -> tuple[str, ...]:
    return () if not text else tuple(name.strip() for name in text.split(",") if name.strip())


def envelope(
    url: URL,
    paging: Paging,
    items: Sequence[Item],
    *,
    key: Callable[[Item], int],
    shape: Callable[[Sequence[Item]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """One page of ``items`` (all that match, in order) in NetBox's envelope; ``shape`` turns
    the page's items into their shapes (all at once, so it can read what they need in one go)."""
    if paging.start is not None:
        ordered = sorted((item for item in items if key(item) >= paging.start), key=key)
        page = ordered[: paging.limit]
        more = len(ordered) > paging.limit
        following = url.include_query_params(start=key(page[-1]) + 1, limit=paging.limit) if more else None
        return {
            "count": None,
            "next": None if following is None else str(following),
            "previous": None,
            "results": [_select(item, paging) for item in shape(page)],
        }
    end = paging.offset + paging.limit
    page = list(items[paging.offset : end])
    following = url.include_query_params(limit=paging.limit, offset=end) if end < len(items) else None
    preceding = None
    if paging.offset > 0:
        back = max(paging.offset - paging.limit, 0)
        preceding = (
            url.include_query_params(limit=paging.limit, offset=back)
            if back
            else url.remove_query_params("offset").include_query_params(limit=paging.limit)
        )
    return {
        "count": len(items),
        "next": None if following is None else str(following),
        "previous": None if preceding is None else str(preceding),
        "results": [_select(item, paging) for item in shape(page)],
    }


def _select(shape: dict[str, Any], paging: Paging) -> dict[str, Any]:
    if paging.fields:
        shape = {name: shape[name] for name in paging.fields if name in shape}
    for name in paging.omit:
        shape.pop(name, None)
    return shape
