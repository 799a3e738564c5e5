"""Tags: free words on prefixes, ranges, addresses and groups; listed for clients that name a tag
by something other than its text (the NetBox API's tag ids)."""

from __future__ import annotations

from ipledger.service.ledger import Ledger
from ipledger.store import listing

__all__ = ["list_tags"]


def list_tags(ledger: Ledger) -> list[str]:
    """Every tag in use, sorted."""
    with ledger.reading() as session:
        return sorted({tag for tags in listing.list_tag_lists(session) for tag in tags})
