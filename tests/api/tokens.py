"""The API token the test clients act with (a module of its own: pytest may load conftest.py
twice, as a plugin and as an import, and both copies must see the same token)."""

from __future__ import annotations

__all__ = ["current"]

# user name -> token, set by the `api_base` fixture for the test that runs
current: dict[str, str] = {}
