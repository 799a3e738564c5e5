"""Spaces, roles and groups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from ipledger.api.deps import ActorDep, LedgerDep
from ipledger.api.params import check_if_match, refuse_stale, set_etag
from ipledger.api.schemas import (
    GroupCreate,
    GroupNodeRead,
    GroupRead,
    GroupUpdate,
    RoleCreate,
    RoleRead,
    SpaceCreate,
    SpaceRead,
)
from ipledger.service import groups, roles, spaces
from ipledger.service.search import get_group, get_space

router = APIRouter()


@router.get("/spaces", response_model=list[SpaceRead], tags=["spaces"], summary="List spaces (VRFs)")
def list_spaces(ledger: LedgerDep) -> list[SpaceRead]:
    return [SpaceRead.of(record) for record in spaces.list_spaces(ledger)]


@router.post("/spaces", status_code=201, response_model=SpaceRead, tags=["spaces"], summary="Create a space")
def create_space(body: SpaceCreate, ledger: LedgerDep, actor: ActorDep) -> SpaceRead:
    return SpaceRead.of(spaces.create_space(ledger, body.name, actor=actor, description=body.description))


@router.get("/spaces/{space_id}", response_model=SpaceRead, tags=["spaces"], summary="Get a space")
def read_space(space_id: int, ledger: LedgerDep) -> SpaceRead:
    return SpaceRead.of(get_space(ledger, space_id))


@router.delete("/spaces/{space_id}", status_code=204, tags=["spaces"], summary="Delete an empty space")
def delete_space(space_id: int, ledger: LedgerDep, actor: ActorDep) -> Response:
    spaces.delete_space(ledger, get_space(ledger, space_id).name, actor=actor)
    return Response(status_code=204)


@router.get(
    "/roles", response_model=list[RoleRead], tags=["roles"], summary="List the roles prefixes can have"
)
def list_roles(ledger: LedgerDep) -> list[RoleRead]:
    return [RoleRead(name=name, description=text) for name, text in roles.list_roles(ledger)]


@router.post("/roles", status_code=201, response_model=RoleRead, tags=["roles"], summary="Add a role")
def create_role(body: RoleCreate, ledger: LedgerDep, actor: ActorDep) -> RoleRead:
    name = roles.create_role(ledger, body.name, actor=actor, description=body.description)
    return RoleRead(name=name, description=body.description)


@router.delete(
    "/roles/{name}", status_code=204, tags=["roles"], summary="Delete a role no prefix or range uses"
)
def delete_role(name: str, ledger: LedgerDep, actor: ActorDep) -> Response:
    roles.delete_role(ledger, name, actor=actor)
    return Response(status_code=204)


@router.get(
    "/groups", response_model=list[GroupRead], tags=["groups"], summary="List groups (flat, tree order)"
)
def list_groups(
    ledger: LedgerDep,
    under: Annotated[str | None, Query(description="Only this group and those below it.")] = None,
) -> list[GroupRead]:
    return [GroupRead.of(record) for record in groups.list_groups(ledger, under=under)]


@router.get(
    "/groups/tree", response_model=list[GroupNodeRead], tags=["groups"], summary="The groups as a tree"
)
def group_tree(ledger: LedgerDep) -> list[GroupNodeRead]:
    def node(item: groups.GroupNode) -> GroupNodeRead:
        return GroupNodeRead(
            group=GroupRead.of(item.group), children=[node(child) for child in item.children]
        )

    return [node(item) for item in groups.group_tree(ledger)]


@router.post("/groups", status_code=201, response_model=GroupRead, tags=["groups"], summary="Create a group")
def create_group(body: GroupCreate, ledger: LedgerDep, actor: ActorDep, response: Response) -> GroupRead:
    record = groups.create_group(
        ledger,
        body.path,
        actor=actor,
        parents=body.parents,
        description=body.description,
        owner=body.owner,
        environment=body.environment,
        tags=tuple(body.tags),
    )
    set_etag(response, "group", record.id, record.version)
    return GroupRead.of(record)


@router.get("/groups/{group_id}", response_model=GroupRead, tags=["groups"], summary="Get a group")
def read_group(group_id: int, ledger: LedgerDep, response: Response) -> GroupRead:
    record = get_group(ledger, group_id)
    set_etag(response, "group", record.id, record.version)
    return GroupRead.of(record)


@router.patch(
    "/groups/{group_id}", response_model=GroupRead, tags=["groups"], summary="Change, rename or move"
)
def update_group(
    group_id: int,
    body: GroupUpdate,
    ledger: LedgerDep,
    actor: ActorDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> GroupRead:
    record = get_group(ledger, group_id)
    expected = check_if_match(if_match, "group", group_id)
    refuse_stale(expected, record, what=f"group {record.path}")
    changes = body.model_dump(exclude_unset=True, include={"description", "owner", "environment", "tags"})
    if changes:
        record = groups.update_group(
            ledger, record.path, actor=actor, changes=changes, expected_version=expected
        )
    if "name" in body.model_fields_set and body.name is not None:
        record = groups.rename_group(ledger, record.path, actor=actor, new_name=body.name)
    if "parent" in body.model_fields_set:
        record = groups.move_group(ledger, record.path, actor=actor, new_parent=body.parent)
    set_etag(response, "group", record.id, record.version)
    return GroupRead.of(record)


@router.delete("/groups/{group_id}", status_code=204, tags=["groups"], summary="Delete an empty group")
def delete_group(group_id: int, ledger: LedgerDep, actor: ActorDep) -> Response:
    groups.delete_group(ledger, get_group(ledger, group_id).path, actor=actor)
    return Response(status_code=204)
