"""``python -m ipledger``: the command line."""

from ipledger.cli import main

main(prog_name="ipledger")
