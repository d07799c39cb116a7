"""Storage: SQLAlchemy tables, the engine, queries and locking, Alembic migrations."""
