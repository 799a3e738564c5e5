"""Service use cases, each run on SQLite and PostgreSQL through the ``ledger`` fixture."""
