"""Shared fixtures. Database fixtures live in tests/fixtures_db.py."""

from tests.fixtures_db import database, database_url, dialect

__all__ = ["database", "database_url", "dialect"]
