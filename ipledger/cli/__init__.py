"""The ipledger command line; ``main`` is the console script's entry point."""

from ipledger.cli.app import main

__all__ = ["main"]
