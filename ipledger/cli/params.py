"""Argument types and the options several commands share.

Addresses, prefixes and ranges are parsed by the core parsers, whose ``InvalidInputError``
passes through unchanged (``10.0.0.1/24: host bits set; did you mean 10.0.0.0/24?``), so the
command line says exactly what the API and the web UI say.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import click

from ipledger.core.addresses import IPAddress, IPNetwork, parse_address, parse_prefix
from ipledger.core.ranges import IPRange, parse_range
from ipledger.core.thresholds import DEFAULT_THRESHOLDS, Thresholds
from ipledger.core.vocabulary import HolderKind, Status

__all__ = [
    "ADDRESS",
    "HOLDER_KINDS",
    "PARENT",
    "PREFIX",
    "RANGE",
    "STATUSES",
    "TIMESTAMP",
    "collect_changes",
    "format_option",
    "holder_options",
    "optional_space_option",
    "paging_options",
    "space_option",
    "tag_options",
    "thresholds_from",
    "version_option",
]

_F = TypeVar("_F", bound=Callable[..., Any])

STATUSES = ", ".join(member.value for member in Status)
HOLDER_KINDS = ", ".join(member.value for member in HolderKind)


class _PrefixType(click.ParamType[IPNetwork]):
    name = "CIDR"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> IPNetwork:
        return parse_prefix(str(value))


class _AddressType(click.ParamType[IPAddress]):
    name = "IP"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> IPAddress:
        return parse_address(str(value))


class _RangeType(click.ParamType[IPRange]):
    name = "START-END"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> IPRange:
        return parse_range(str(value))


class _ParentType(click.ParamType[IPNetwork | IPRange]):
    """A CIDR, or a START-END range; IPv6 addresses never contain a dash, so the dash decides."""

    name = "CIDR|START-END"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> IPNetwork | IPRange:
        return parse_range(str(value)) if "-" in value else parse_prefix(value)


class _TimestampType(click.ParamType[datetime]):
    """An ISO 8601 time; one without a zone is taken as UTC."""

    name = "ISO8601"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            stamp = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 time, e.g. 2024-05-01T12:00:00Z", param, ctx)
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp


PREFIX = _PrefixType()
ADDRESS = _AddressType()
RANGE = _RangeType()
PARENT = _ParentType()
TIMESTAMP = _TimestampType()


def space_option(help_text: str = "Space (routing domain, VRF) to work in.") -> Callable[[_F], _F]:
    return click.option("--space", default="global", show_default=True, help=help_text)


def optional_space_option(help_text: str) -> Callable[[_F], _F]:
    return click.option("--space", default=None, help=help_text)


def format_option(function: _F) -> _F:
    return click.option(
        "--format",
        "output",
        type=click.Choice(["table", "json"]),
        default="table",
        show_default=True,
        help="Output for people (table) or for programs (json).",
    )(function)


def paging_options(function: _F) -> _F:
    function = click.option(
        "--offset", type=click.IntRange(min=0), default=0, show_default=True, help="Skip this many first."
    )(function)
    return click.option("--limit", type=click.IntRange(min=1), default=None, help="Show at most this many.")(
        function
    )


def version_option(function: _F) -> _F:
    return click.option(
        "--version",
        "expected_version",
        type=int,
        default=None,
        help="Refuse the change unless the object is still at this version (as shown by show/list).",
    )(function)


def holder_options(function: _F) -> _F:
    """The fields of an address record, shared by `address create` and `allocate address`."""
    for decorator in reversed(
        [
            click.option("--status", default="active", show_default=True, help=f"One of {STATUSES}."),
            click.option(
                "--holder-kind", default="other", show_default=True, help=f"What holds it: {HOLDER_KINDS}."
            ),
            click.option("--holder", "holder_name", default="", help="Name of the holder, e.g. web-01."),
            click.option("--dns", "dns_name", default="", help="DNS name, e.g. web-01.example.net."),
            click.option("--mac", default="", help="MAC address, e.g. 52:54:00:12:34:56."),
            click.option("--source", default="manual", show_default=True, help="How it got into the ledger."),
            click.option(
                "--last-seen", type=TIMESTAMP, default=None, help="When it was last seen (UTC if no zone)."
            ),
            click.option("--group", default=None, help="Owning group path, e.g. dc1/servers."),
            click.option("--description", default="", help="Free text."),
            click.option("--tag", "tags", multiple=True, help="A tag; repeat for several."),
        ]
    ):
        function = decorator(function)
    return function


def thresholds_from(warning: float | None, critical: float | None, emergency: float | None) -> Thresholds:
    """Thresholds from the marks given, the defaults (70/85/95) filling those left out."""
    return Thresholds(
        DEFAULT_THRESHOLDS.warning if warning is None else warning,
        DEFAULT_THRESHOLDS.critical if critical is None else critical,
        DEFAULT_THRESHOLDS.emergency if emergency is None else emergency,
    )


def tag_options(function: _F) -> _F:
    """``--tag`` (repeatable, replaces the tags) and ``--clear-tags``, for update commands."""
    function = click.option("--clear-tags", is_flag=True, help="Remove every tag.")(function)
    return click.option(
        "--tag", "tags", multiple=True, help="Replace the tags with these; repeat for several."
    )(function)


def collect_changes(
    given: dict[str, Any], *, tags: tuple[str, ...], clear_tags: bool, cleared: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The fields an update command was given (None means not given); ``cleared`` names the
    fields to set to None (``--no-group``).

    Raises:
        click.UsageError: the update would change nothing, or asks to set and clear the tags.
    """
    changes = {name: value for name, value in given.items() if value is not None}
    for name in cleared:
        if changes.get(name) is not None:
            option = name.replace("_", "-")
            raise click.UsageError(f"give --{option} or --no-{option}, not both")
        changes[name] = None
    if tags and clear_tags:
        raise click.UsageError("give --tag or --clear-tags, not both")
    if tags or clear_tags:
        changes["tags"] = tags
    if not changes:
        raise click.UsageError("nothing to change: give at least one field option")
    return changes
