"""Persistence: the schema, its migrations and the queries. The only package that imports SQLAlchemy."""
