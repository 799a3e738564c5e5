"""Reading listings of the API: one whole listing, or every page of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

__all__ = ["walk_pages"]


def walk_pages(
    api: httpx.Client, path: str, *, by: str, limit: int, **params: Any
) -> Iterator[dict[str, Any]]:
    """Every page of a listing, following ``next_cursor`` (``by="cursor"``) or raising ``offset``."""
    query: dict[str, Any] = {"limit": limit, **params}
    while True:
        response = api.get(path, params=query)
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        yield page
        if page["next_cursor"] is None:
            assert page["offset"] + len(page["items"]) == page["total"]
            return
        if by == "cursor":
            query = {**query, "cursor": page["next_cursor"]}
        else:
            query = {**query, "offset": page["offset"] + page["limit"]}
