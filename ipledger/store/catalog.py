"""Queries about spaces, groups, roles and the audit log: the ledger's catalog around the addresses."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from ipledger.store.models import Address, Change, Group, Prefix, Range, Role, Space, WebhookSubscription

__all__ = [
    "count_by_space",
    "find_role",
    "group_paths",
    "group_paths_by_id",
    "latest_change_id",
    "list_changes",
    "list_changes_after",
    "list_child_group_paths",
    "list_groups",
    "list_groups_below",
    "list_role_names",
    "list_roles",
    "list_spaces",
    "role_in_use",
    "space_names_by_id",
    "what_uses_group",
    "what_uses_space",
]

_HOLDERS = ((Prefix, "prefixes"), (Range, "ranges"), (Address, "addresses"))


def list_spaces(session: Session) -> Sequence[Space]:
    return session.scalars(select(Space).order_by(Space.name)).all()


def space_names_by_id(session: Session) -> dict[int, str]:
    return {space.id: space.name for space in list_spaces(session)}


def what_uses_space(session: Session, space_id: int) -> str | None:
    """The first kind of object ('prefixes', 'ranges', 'addresses') still in the space, if any."""
    for model, word in _HOLDERS:
        if session.scalar(select(exists().where(model.space_id == space_id))):
            return word
    return None


def count_by_space(session: Session) -> dict[int, tuple[int, int]]:
    """How many prefixes and addresses each space holds, by space id (spaces holding none are missing)."""
    found: dict[int, tuple[int, int]] = {}
    columns = (Prefix.space_id, Address.space_id)
    for index, column in enumerate(columns):
        for space_id, count in session.execute(select(column, func.count()).group_by(column)):
            counts = list(found.get(space_id, (0, 0)))
            counts[index] = count
            found[space_id] = (counts[0], counts[1])
    return found


def what_uses_group(session: Session, group_id: int) -> str | None:
    for model, word in (*_HOLDERS, (WebhookSubscription, "webhook subscriptions")):
        if session.scalar(select(exists().where(model.group_id == group_id))):
            return word
    return None


def list_groups(session: Session) -> list[Group]:
    """Every group in tree order: a group right before the groups below it."""
    return sorted(session.scalars(select(Group)), key=_tree_order)


def _tree_order(group: Group) -> list[str]:
    # Plain text order would put "k8s-lab" between "k8s" and "k8s/prod".
    return group.path.split("/")


def group_paths(session: Session) -> dict[str, int]:
    return {group.path: group.id for group in list_groups(session)}


def group_paths_by_id(session: Session, group_ids: Iterable[int]) -> dict[int, str]:
    rows = session.execute(select(Group.id, Group.path).where(Group.id.in_(list(group_ids))))
    return {row.id: row.path for row in rows}


def list_groups_below(session: Session, group: Group, *, include_self: bool) -> list[Group]:
    """The groups under ``group`` at any depth, in tree order."""
    below = Group.path.startswith(group.path + "/", autoescape=True)
    condition = or_(Group.id == group.id, below) if include_self else below
    return sorted(session.scalars(select(Group).where(condition)), key=_tree_order)


def list_child_group_paths(session: Session, group_id: int, *, limit: int) -> Sequence[str]:
    return session.scalars(
        select(Group.path).where(Group.parent_id == group_id).order_by(Group.path).limit(limit)
    ).all()


def find_role(session: Session, name: str) -> Role | None:
    return session.get(Role, name)


def list_roles(session: Session) -> Sequence[Role]:
    return session.scalars(select(Role).order_by(Role.name)).all()


def list_role_names(session: Session) -> list[str]:
    return [role.name for role in list_roles(session)]


def role_in_use(session: Session, name: str) -> bool:
    return bool(
        session.scalar(select(or_(exists().where(Prefix.role == name), exists().where(Range.role == name))))
    )


def list_changes_after(
    session: Session, after_id: int, *, hidden_kinds: Collection[str], limit: int
) -> Sequence[Change]:
    """Audit entries with an id above ``after_id``, oldest first, without ``hidden_kinds``."""
    query = select(Change).where(Change.id > after_id)
    if hidden_kinds:
        query = query.where(Change.object_kind.not_in(hidden_kinds))
    return session.scalars(query.order_by(Change.id).limit(limit)).all()


def latest_change_id(session: Session) -> int:
    """The id of the newest audit entry (0 when there is none)."""
    return session.scalar(select(func.max(Change.id))) or 0


def list_changes(
    session: Session,
    *,
    object_kind: str | None,
    object_id: int | None,
    label: str | None,
    actor: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
    offset: int,
    hidden_kinds: Collection[str] = (),
) -> tuple[Sequence[Change], int]:
    """Audit entries, newest first (``since`` inclusive, ``until`` exclusive), and how many match."""
    query = select(Change)
    if hidden_kinds:
        query = query.where(Change.object_kind.not_in(hidden_kinds))
    if object_kind is not None:
        query = query.where(Change.object_kind == object_kind)
    if object_id is not None:
        query = query.where(Change.object_id == object_id)
    if label is not None:
        query = query.where(Change.object_label.contains(label, autoescape=True))
    if actor is not None:
        query = query.where(Change.actor == actor)
    if since is not None:
        query = query.where(Change.at >= since)
    if until is not None:
        query = query.where(Change.at < until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    query = query.order_by(Change.id.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all(), total
