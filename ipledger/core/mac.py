"""MAC addresses: the one normal form the ledger stores and every reader returns."""

from __future__ import annotations

import re

from ipledger.core.errors import InvalidInputError

__all__ = ["parse_mac"]

# The form iproute2 writes and this returns, matched first: a neighbour table or a scan holds
# tens of thousands of MACs.
_CANONICAL = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){5}")
_HEX_DIGITS = frozenset("0123456789abcdef")


def parse_mac(text: str) -> str:
    """A MAC address as six lower-case pairs joined by colons; "" stays "".

    Accepted: ``52:54:00:12:34:56`` (either case), ``52-54-00-12-34-56``, ``5254.0012.3456`` and
    ``525400123456``.

    Raises:
        InvalidInputError: anything else (``field`` is ``mac``).
    """
    cleaned = text.strip().lower()
    if not cleaned or _CANONICAL.fullmatch(cleaned):
        return cleaned
    separator = ":" if ":" in cleaned or "-" in cleaned else "."
    groups = cleaned.replace("-", ":").split(separator)
    sizes = {1: [12], 3: [4, 4, 4], 6: [2, 2, 2, 2, 2, 2]}.get(len(groups))
    digits = "".join(groups)
    if sizes != [len(group) for group in groups] or not set(digits) <= _HEX_DIGITS:
        raise InvalidInputError(
            f"{text!r} is not a MAC address (expected e.g. 52:54:00:12:34:56)", field="mac"
        )
    return ":".join(digits[index : index + 2] for index in range(0, 12, 2))
