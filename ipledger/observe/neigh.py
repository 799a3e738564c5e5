"""Reader of a host's neighbour table as iproute2 prints it: ``ip neigh show``, ``ip -6 neigh``,
``ip -s neigh`` and the JSON of ``ip -j neigh``.

A text line is ``ADDRESS [dev DEV] [lladdr LLADDR] [router] [proxy] ... [ref N used A/B/C probes N]
STATE... [proto P]``, as ``print_neigh`` in iproute2's ip/ipneigh.c writes it. An entry counts as
seen when the kernel has heard from the neighbour: REACHABLE, STALE, DELAY or PROBE, or when an
administrator pinned it (PERMANENT). INCOMPLETE and FAILED entries are resolutions that got no
answer, NOARP entries (multicast, loopback, point-to-point links) are computed without asking
anyone, and an entry with no state is a proxy entry or a new one: all are skipped. The table has
no times, so every entry takes the ``seen_at`` given.

``lladdr`` is a MAC address on Ethernet-like links; a tunnel's is the remote endpoint's IP address
and InfiniBand's is 20 octets: neither is a MAC, so those entries have ``mac`` "".
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from ipledger.core.addresses import IPAddress, parse_address
from ipledger.core.errors import InvalidInputError
from ipledger.observe.seen import ObservationError, SeenAddress, check_text_size, merge_seen, parse_mac

__all__ = ["NEIGHBOUR_STATES", "SEEN_STATES", "read_ip_neigh"]

# The names print_neigh_state writes; NONE (0) is written as no state at all.
NEIGHBOUR_STATES = frozenset(
    ("INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE", "FAILED", "NOARP", "PERMANENT")
)
SEEN_STATES = frozenset(("REACHABLE", "STALE", "DELAY", "PROBE", "PERMANENT"))
# Words print_neigh writes followed by a value, and the flags it writes alone.
_KEYWORDS = frozenset(("dev", "lladdr", "ref", "used", "probes", "proto"))
_FLAGS = frozenset(("router", "proxy", "extern_learn", "offload", "managed", "extern_valid"))
# What ll_addr_n2a writes for most links: each octet as two hex digits, joined by colons.
_HEX_OCTETS = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2})*")

_T = TypeVar("_T")
# An entry as read: the address, its MAC ("" when none) and its states.
_Entry = tuple[IPAddress, str, tuple[str, ...]]


def read_ip_neigh(text: str, *, path: str, seen_at: datetime) -> list[SeenAddress]:
    """The neighbours seen in ``ip neigh`` output (text, or the JSON of ``ip -j neigh``).

    ``path`` names the input in messages; ``seen_at`` (timezone-aware) is when the table was
    taken. Both families; ``source`` is ``ip-neigh`` and ``state`` the entry's states joined by a
    space (``REACHABLE``).

    Raises:
        ObservationError: more than 256 MiB, JSON that is not a list of entry objects, or an entry
            with a malformed address, link-layer address, state or word (naming the line, or the
            entry of JSON, and the field).
        InvalidInputError: ``seen_at`` has no time zone.
    """
    check_text_size(text, path=path)
    if seen_at.utcoffset() is None:
        raise InvalidInputError(f"seen_at {seen_at.isoformat()} has no time zone", field="seen_at")
    when = seen_at.astimezone(UTC)
    entries = _json_entries(text, path) if text.lstrip().startswith(("[", "{")) else _text_entries(text, path)
    return merge_seen(
        SeenAddress(address=address, mac=mac, seen_at=when, source="ip-neigh", state=" ".join(states))
        for address, mac, states in entries
        if not SEEN_STATES.isdisjoint(states)
    )


def _text_entries(text: str, path: str) -> list[_Entry]:
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if words:
            entries.append(_text_entry(words, path=path, line=number))
    return entries


def _text_entry(words: list[str], *, path: str, line: int) -> _Entry:
    address = _parse(parse_address, words[0], path=path, line=line, field="address")
    lladdr = ""
    states: list[str] = []
    index = 1
    while index < len(words):
        word = words[index]
        if word in _KEYWORDS:
            if index + 1 == len(words):
                raise ObservationError(f"{word!r} without a value", path=path, line=line, field=word)
            if word == "lladdr":
                lladdr = words[index + 1]
            index += 2
            continue
        if word.isupper():
            states += _states([word], path=path, line=line, element=None)
        elif word not in _FLAGS:
            raise ObservationError(
                f"unexpected word {word!r}: not a line of `ip neigh show`", path=path, line=line
            )
        index += 1
    mac = _parse(_link_address, lladdr, path=path, line=line, field="lladdr")
    return address, mac, tuple(states)


def _json_entries(text: str, path: str) -> list[_Entry]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ObservationError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from exc
    except (ValueError, RecursionError) as exc:  # a number of thousands of digits, deep nesting
        raise ObservationError(f"not valid JSON: {exc or 'nested too deeply'}", path=path) from exc
    if not isinstance(document, list):
        raise ObservationError("expected a JSON list of neighbour entries (`ip -j neigh`)", path=path)
    return [
        _json_entry(entry, path=path, element=f"entry {number}") for number, entry in enumerate(document, 1)
    ]


def _json_entry(entry: object, *, path: str, element: str) -> _Entry:
    if not isinstance(entry, dict):
        raise ObservationError(
            "expected an object with dst, dev, lladdr and state", path=path, element=element
        )
    dst, lladdr, states = entry.get("dst"), entry.get("lladdr", ""), entry.get("state", [])
    if not isinstance(dst, str):
        raise ObservationError(
            f"expected an address string, got {dst!r}", path=path, element=element, field="dst"
        )
    if not isinstance(lladdr, str):
        raise ObservationError(
            f"expected a string, got {lladdr!r}", path=path, element=element, field="lladdr"
        )
    if not (isinstance(states, list) and all(isinstance(state, str) for state in states)):
        raise ObservationError(
            f"expected a list of state names, got {states!r}", path=path, element=element, field="state"
        )
    address = _parse(parse_address, dst, path=path, element=element, field="dst")
    mac = _parse(_link_address, lladdr, path=path, element=element, field="lladdr")
    return address, mac, tuple(_states(states, path=path, line=None, element=element))


def _states(words: list[str], *, path: str, line: int | None, element: str | None) -> list[str]:
    unknown = [word for word in words if word not in NEIGHBOUR_STATES]
    if unknown:
        raise ObservationError(
            f"unknown neighbour state {unknown[0]!r}; expected one of {', '.join(sorted(NEIGHBOUR_STATES))}",
            path=path,
            line=line,
            element=element,
            field="state",
        )
    return words


def _link_address(text: str) -> str:
    """The MAC address of an Ethernet-like ``lladdr``; "" for none or for another link's address.

    Raises:
        InvalidInputError: neither hexadecimal octets joined by colons nor an IP address.
    """
    if not text:
        return ""
    if _HEX_OCTETS.fullmatch(text.lower()):
        return parse_mac(text) if text.count(":") == 5 else ""
    try:
        parse_address(text)  # a tunnel's lladdr: the remote endpoint, which is not a MAC
    except InvalidInputError as exc:
        raise InvalidInputError(
            f"{text!r} is not a link-layer address (expected e.g. 52:54:00:12:34:56)", field="lladdr"
        ) from exc
    return ""


def _parse(
    parser: Callable[[str], _T],
    text: str,
    *,
    path: str,
    field: str,
    line: int | None = None,
    element: str | None = None,
) -> _T:
    """``parser`` applied to ``text``, its complaint placed in the file."""
    try:
        return parser(text)
    except InvalidInputError as exc:
        raise ObservationError(str(exc), path=path, line=line, element=element, field=field) from exc
