"""Request and response bodies of browser sessions: the login and who is signed in."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from ipledger.api.schemas import Strict
from ipledger.core.permissions import MAX_PASSWORD_LENGTH, Grant

__all__ = ["GrantRead", "SessionCreate", "SessionRead"]


class SessionCreate(Strict):
    name: str = Field(max_length=100, examples=["alice"])
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)


class GrantRead(BaseModel):
    role: str
    group: str | None = Field(description="The group path whose subtree the role covers; null: everywhere.")

    @classmethod
    def of(cls, given: Grant) -> GrantRead:
        return cls(role=given.role.value, group=given.group)


class SessionRead(BaseModel):
    """The signed-in user, and the CSRF token every change must send as ``X-CSRF-Token``."""

    user: str
    grants: list[GrantRead]
    csrf_token: str
    expires_at: datetime = Field(description="The session's absolute end; two idle hours end it sooner.")

    @classmethod
    def of(
        cls, user: str, grants: tuple[Grant, ...], *, csrf_token: str, expires_at: datetime
    ) -> SessionRead:
        return cls(
            user=user,
            grants=[GrantRead.of(given) for given in grants],
            csrf_token=csrf_token,
            expires_at=expires_at,
        )
