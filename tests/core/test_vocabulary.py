"""The fixed words of the ledger and parsing a choice among them."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest

from ipledger.core.errors import InvalidInputError
from ipledger.core.vocabulary import DEFAULT_ROLES, HolderKind, Status, parse_choice


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        pytest.param(Status, "active", Status.ACTIVE, id="status"),
        pytest.param(Status, "  Deprecated\n", Status.DEPRECATED, id="status-mixed-case-and-spaces"),
        pytest.param(HolderKind, "LOADBALANCER", HolderKind.LOADBALANCER, id="holder-upper-case"),
        pytest.param(HolderKind, "vm", HolderKind.VM, id="holder"),
    ],
)
def test_parse_choice_accepts_a_member_in_any_case(kind: type[StrEnum], text: str, expected: StrEnum) -> None:
    assert parse_choice(kind, text, what="value") is expected


@pytest.mark.parametrize(
    ("kind", "text", "what", "message"),
    [
        pytest.param(
            Status,
            "retired",
            "status",
            "unknown status 'retired': expected one of active, reserved, planned, deprecated",
            id="status",
        ),
        pytest.param(
            HolderKind,
            "",
            "holder kind",
            "unknown holder kind '': expected one of node, pod, service, loadbalancer, vm, server, gateway, other",
            id="holder-empty",
        ),
    ],
)
def test_parse_choice_rejects_an_unknown_value_listing_the_choices(
    kind: type[StrEnum], text: str, what: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=f"^{re.escape(message)}$"):
        parse_choice(kind, text, what=what)


def test_default_roles_are_distinct_lowercase_words() -> None:
    assert len(set(DEFAULT_ROLES)) == len(DEFAULT_ROLES)
    assert all(role == role.strip().lower() for role in DEFAULT_ROLES)
