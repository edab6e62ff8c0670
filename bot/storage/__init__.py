"""Storage: SQLAlchemy 2 async models, the store, the unit of work, Alembic migrations."""
