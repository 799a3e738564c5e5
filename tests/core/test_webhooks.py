"""Webhook rules: interest matching, signatures, retry backoff."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest

from ipledger.core.errors import InvalidInputError
from ipledger.core.webhooks import (
    RETRY_BASE,
    RETRY_CAP,
    EventSeverity,
    Interest,
    is_wanted,
    retry_delay,
    sign,
)


def test_sign_is_the_hex_hmac_sha256_of_the_body() -> None:
    body = b'{"event":{"kind":"prefix"}}'

    expected = hmac.new(b"s3cret-s3cret-s3cret", body, hashlib.sha256).hexdigest()
    assert sign("s3cret-s3cret-s3cret", body) == f"sha256={expected}"


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [
        pytest.param(1, RETRY_BASE, id="first"),
        pytest.param(2, RETRY_BASE * 2, id="second-doubles"),
        pytest.param(4, RETRY_BASE * 8, id="fourth"),
        pytest.param(40, RETRY_CAP, id="capped"),
    ],
)
def test_retry_delay_doubles_up_to_the_cap(attempt: int, expected: timedelta) -> None:
    assert retry_delay(attempt) == expected


def test_retry_delay_rejects_attempt_zero() -> None:
    with pytest.raises(InvalidInputError, match="attempts count from 1"):
        retry_delay(0)


@pytest.mark.parametrize(
    ("interest", "kind", "severity", "group", "wanted"),
    [
        pytest.param(
            Interest((), EventSeverity.INFO, None), "prefix", EventSeverity.INFO, None, True, id="all"
        ),
        pytest.param(
            Interest(("finding",), EventSeverity.INFO, None),
            "prefix",
            EventSeverity.INFO,
            None,
            False,
            id="kind",
        ),
        pytest.param(
            Interest(("finding",), EventSeverity.CRITICAL, None),
            "finding",
            EventSeverity.WARNING,
            None,
            False,
            id="too-mild",
        ),
        pytest.param(
            Interest(("finding",), EventSeverity.CRITICAL, None),
            "finding",
            EventSeverity.EMERGENCY,
            None,
            True,
            id="severe",
        ),
        pytest.param(
            Interest((), EventSeverity.INFO, "team"), "prefix", EventSeverity.INFO, "team/a", True, id="below"
        ),
        pytest.param(
            Interest((), EventSeverity.INFO, "team"),
            "prefix",
            EventSeverity.INFO,
            "teams",
            False,
            id="sibling",
        ),
        pytest.param(
            Interest((), EventSeverity.INFO, "team"),
            "prefix",
            EventSeverity.INFO,
            None,
            False,
            id="ungrouped",
        ),
    ],
)
def test_is_wanted_by_kind_severity_and_group(
    interest: Interest, kind: str, severity: EventSeverity, group: str | None, wanted: bool
) -> None:
    assert is_wanted(interest, kind=kind, severity=severity, group=group) is wanted
