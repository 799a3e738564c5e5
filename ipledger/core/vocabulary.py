"""The fixed words of the ledger: statuses, holder kinds, address sources, and the default roles.

Roles are data (a table the user can extend); the defaults here seed it. Statuses and holder
kinds are fixed because other parts of the system act on them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from ipledger.core.errors import InvalidInputError

__all__ = ["DEFAULT_ROLES", "HolderKind", "Status", "parse_choice"]

_Choice = TypeVar("_Choice", bound=StrEnum)


class Status(StrEnum):
    ACTIVE = "active"
    RESERVED = "reserved"
    PLANNED = "planned"
    DEPRECATED = "deprecated"


class HolderKind(StrEnum):
    NODE = "node"
    POD = "pod"
    SERVICE = "service"
    LOADBALANCER = "loadbalancer"
    VM = "vm"
    SERVER = "server"
    GATEWAY = "gateway"
    OTHER = "other"


DEFAULT_ROLES = (
    "pod",
    "service",
    "node",
    "loadbalancer",
    "infrastructure",
    "expansion-reserve",
    "general",
)


def parse_choice(kind: type[_Choice], text: str, *, what: str) -> _Choice:
    """The member of ``kind`` named ``text``.

    Raises:
        InvalidInputError: unknown value; the message lists the accepted ones.
    """
    try:
        return kind(text)
    except ValueError:
        pass
    try:
        return kind(text.strip().lower())
    except ValueError as exc:
        choices = ", ".join(member.value for member in kind)
        raise InvalidInputError(
            f"unknown {what} {text!r}: expected one of {choices}", field=what.replace(" ", "_")
        ) from exc
