"""GitHub containment over the REST API (httpx), authenticated as a GitHub App."""
