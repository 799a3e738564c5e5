"""What every error answer of the API must look like: RFC 9457 problem details, never a traceback."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["PROBLEM_TYPE", "assert_no_traceback", "assert_problem"]

PROBLEM_TYPE = "application/problem+json"
# What a Python traceback or a leaked exception repr looks like in a response body.
_TRACEBACK_MARKS = ("Traceback (most recent call last)", 'File "/', "sqlalchemy.exc", "psycopg.errors")


def assert_no_traceback(response: httpx.Response) -> None:
    for mark in _TRACEBACK_MARKS:
        assert mark not in response.text, f"{response.request.method} {response.request.url}: {mark!r} leaked"


def assert_problem(
    response: httpx.Response,
    status: int,
    *,
    field: str | None = None,
    detail_has: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Check that ``response`` is a problem of ``status`` (naming ``field`` when given); return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_TYPE
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys(), body
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    if field is not None:
        assert body.get("field") == field, body
    for text in detail_has:
        assert text in body["detail"], body
    assert_no_traceback(response)
    return body
