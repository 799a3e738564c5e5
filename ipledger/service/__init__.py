"""Use cases of the ledger: one transaction each, with its audit entry. API, CLI and web call only this."""
