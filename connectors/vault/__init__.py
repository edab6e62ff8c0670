"""Vault / OpenBao containment over its HTTP API (httpx)."""
