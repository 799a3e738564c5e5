"""Groups: a tree of any depth (e.g. Kubernetes/prod/eu-west/cluster-a) that owns address space.

A group is named by its path. Moving or renaming a group rewrites the stored paths of its whole
subtree in the same transaction, so a path lookup is always one indexed query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ipledger.core.errors import ConflictError, InvalidInputError
from ipledger.service.convert import group_record, names, snapshot
from ipledger.service.fields import clean_tags, refuse_unknown_fields, require_version
from ipledger.service.ledger import Actor, Ledger, Transaction
from ipledger.service.lookup import load_group, normalise_path
from ipledger.service.records import GroupRecord
from ipledger.store import catalog, queries, watch
from ipledger.store.database import Session
from ipledger.store.models import Group

__all__ = [
    "GroupNode",
    "create_group",
    "delete_group",
    "ensure_group",
    "group_tree",
    "list_groups",
    "move_group",
    "rename_group",
    "show_group",
    "update_group",
]

_FIELDS = {"description", "owner", "environment", "tags"}


@dataclass(frozen=True, slots=True)
class GroupNode:
    group: GroupRecord
    children: tuple[GroupNode, ...]


def create_group(
    ledger: Ledger,
    path: str,
    *,
    actor: Actor,
    parents: bool = False,
    description: str = "",
    owner: str = "",
    environment: str = "",
    tags: tuple[str, ...] = (),
) -> GroupRecord:
    """Create the group at ``path``; with ``parents``, also any missing groups above it.

    Raises:
        ConflictError: the group exists.
        NotFoundError: the parent group is missing and ``parents`` is false.
    """
    cleaned = normalise_path(path)
    with ledger.transaction(actor) as tx:
        found = queries.find_group_by_path(tx.session, cleaned)
        if found is not None:
            raise ConflictError(f"group {cleaned} already exists", existing=group_record(found))
        parent_path, _, name = cleaned.rpartition("/")
        parent = _ensure_parent(tx, parent_path, create=parents)
        group = _insert(tx, parent, name)
        group.description, group.owner, group.environment = description, owner, environment
        group.tags = clean_tags(tags)
        tx.session.flush()
        tx.record("create", "group", group.id, group.path, after=snapshot(group, names(tx.session)))
        return group_record(group)


def ensure_group(tx: Transaction, path: str) -> Group:
    """The group at ``path`` inside an open transaction, created (with every missing group above
    it, each with its audit entry) when it does not exist."""
    found = _ensure_parent(tx, path, create=True)
    assert found is not None  # a path is never empty here
    return found


def _ensure_parent(tx: Transaction, parent_path: str, *, create: bool) -> Group | None:
    if not parent_path:
        return None
    found = queries.find_group_by_path(tx.session, parent_path)
    if found is not None:
        return found
    if not create:
        return load_group(tx.session, parent_path)
    grandparent_path, _, name = parent_path.rpartition("/")
    group = _insert(tx, _ensure_parent(tx, grandparent_path, create=True), name)
    tx.record("create", "group", group.id, group.path, after=snapshot(group, names(tx.session)))
    return group


def _insert(tx: Transaction, parent: Group | None, name: str) -> Group:
    path = name if parent is None else f"{parent.path}/{name}"
    group = Group(
        parent_id=None if parent is None else parent.id,
        name=name,
        path=path,
        description="",
        owner="",
        environment="",
        tags=[],
        created_at=tx.now,
        updated_at=tx.now,
        version=1,
    )
    tx.session.add(group)
    tx.session.flush()
    return group


def update_group(
    ledger: Ledger, path: str, *, actor: Actor, changes: dict[str, Any], expected_version: int | None = None
) -> GroupRecord:
    """Change a group's description, owner, environment or tags."""
    refuse_unknown_fields("group", changes, _FIELDS)
    with ledger.transaction(actor) as tx:
        group = load_group(tx.session, path)
        require_version(
            f"group {group.path}",
            expected=expected_version,
            actual=group.version,
            current=lambda: group_record(group),
        )
        before = snapshot(group, names(tx.session))
        for text_field in ("description", "owner", "environment"):
            if text_field in changes:
                setattr(group, text_field, str(changes[text_field]))
        if "tags" in changes:
            group.tags = clean_tags(changes["tags"])
        group.version += 1
        group.updated_at = tx.now
        tx.session.flush()
        tx.record(
            "update", "group", group.id, group.path, before=before, after=snapshot(group, names(tx.session))
        )
        return group_record(group)


def move_group(ledger: Ledger, path: str, *, actor: Actor, new_parent: str | None) -> GroupRecord:
    """Move a group and its whole subtree under ``new_parent`` (None: to the top).

    Raises:
        InvalidInputError: the new parent is the group itself or inside it.
        ConflictError: the new parent already has a group of that name.
    """
    with ledger.transaction(actor) as tx:
        group = load_group(tx.session, path)
        parent = None if new_parent is None else load_group(tx.session, new_parent)
        if parent is not None and (parent.id == group.id or parent.path.startswith(group.path + "/")):
            raise InvalidInputError(f"cannot move group {group.path} into itself ({parent.path})")
        new_path = group.name if parent is None else f"{parent.path}/{group.name}"
        return _repath(tx, group, parent, new_path)


def rename_group(ledger: Ledger, path: str, *, actor: Actor, new_name: str) -> GroupRecord:
    """Give a group a new name; its subtree follows."""
    cleaned = new_name.strip()
    if not cleaned or "/" in cleaned:
        raise InvalidInputError(f"group name {new_name!r} must be non-empty and without slashes")
    with ledger.transaction(actor) as tx:
        group = load_group(tx.session, path)
        parent = None if group.parent_id is None else tx.session.get(Group, group.parent_id)
        new_path = cleaned if parent is None else f"{parent.path}/{cleaned}"
        group.name = cleaned
        return _repath(tx, group, parent, new_path)


def _repath(tx: Transaction, group: Group, parent: Group | None, new_path: str) -> GroupRecord:
    session = tx.session
    if new_path != group.path and queries.find_group_by_path(session, new_path) is not None:
        raise ConflictError(f"group {new_path} already exists")
    before = snapshot(group, names(session))
    old_path = group.path
    for member in catalog.list_groups_below(session, group, include_self=False):
        member.path = new_path + member.path[len(old_path) :]
    group.path = new_path
    group.parent_id = None if parent is None else parent.id
    group.version += 1
    group.updated_at = tx.now
    session.flush()
    tx.record(
        "move",
        "group",
        group.id,
        f"{old_path} -> {new_path}",
        before=before,
        after=snapshot(group, names(session)),
    )
    return group_record(group)


def delete_group(ledger: Ledger, path: str, *, actor: Actor) -> GroupRecord:
    """Delete a group that has no child groups and holds nothing.

    Raises:
        ConflictError: it has child groups, or prefixes, ranges or addresses belong to it.
    """
    with ledger.transaction(actor) as tx:
        session = tx.session
        group = load_group(session, path)
        _refuse_if_used(session, group)
        record = group_record(group)
        tx.record("delete", "group", group.id, group.path, before=snapshot(group, names(session)))
        watch.forget_group(session, group.id)
        session.delete(group)
        return record


def _refuse_if_used(session: Session, group: Group) -> None:
    children = catalog.list_child_group_paths(session, group.id, limit=3)
    if children:
        raise ConflictError(f"group {group.path} is not empty: it has child groups ({', '.join(children)})")
    holding = catalog.what_uses_group(session, group.id)
    if holding is not None:
        raise ConflictError(
            f"group {group.path} is not empty: {holding} belong to it; move or delete them first"
        )


def list_groups(ledger: Ledger, *, under: str | None = None) -> list[GroupRecord]:
    """Groups in tree order; with ``under``, that group and everything below it."""
    with ledger.reading() as session:
        if under is None:
            return [group_record(group) for group in catalog.list_groups(session)]
        top = load_group(session, under)
        return [group_record(group) for group in catalog.list_groups_below(session, top, include_self=True)]


def show_group(ledger: Ledger, path: str) -> GroupNode:
    """One group with the whole subtree below it."""
    records = list_groups(ledger, under=path)
    by_parent: dict[str | None, list[GroupRecord]] = {}
    for record in records[1:]:
        by_parent.setdefault(record.parent_path, []).append(record)

    def build(record: GroupRecord) -> GroupNode:
        return GroupNode(record, tuple(build(child) for child in by_parent.get(record.path, [])))

    return build(records[0])


def group_tree(ledger: Ledger) -> list[GroupNode]:
    """The groups as a forest, children in name order."""
    records = list_groups(ledger)
    by_parent: dict[str | None, list[GroupRecord]] = {}
    for record in records:
        by_parent.setdefault(record.parent_path, []).append(record)

    def build(parent: str | None) -> tuple[GroupNode, ...]:
        return tuple(GroupNode(record, build(record.path)) for record in by_parent.get(parent, []))

    return list(build(None))
