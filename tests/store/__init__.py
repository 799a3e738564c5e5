"""Store: the schema the migrations build, on SQLite and PostgreSQL."""
