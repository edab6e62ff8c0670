"""Okta containment over the Management API, with plain httpx and PyJWT.

Why not the ``okta`` SDK: it is built on aiohttp with pydantic models, aenum,
jwcrypto, pycryptodomex and pydash for the whole API, and brings a second HTTP
stack and its own retry logic beside the project's httpx; Blastwall calls eight
endpoints. The authentication is Okta's documented daemon flow: an API service
app authenticates with ``private_key_jwt`` (an RS256 client assertion, PyJWT,
already a dependency) at ``{org}/oauth2/v1/token`` for a client-credentials
access token with ``okta.*`` scopes; DPoP is not required for such an app.
Throttling is Okta's 429 with ``X-Rate-Limit-Reset`` (epoch seconds), waited
out within a bound.
"""
