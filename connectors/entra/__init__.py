"""Microsoft Entra ID containment over Microsoft Graph v1.0, with plain httpx.

Why not msgraph-sdk: its wheel is about 29 MB and pulls in the kiota stack
(abstractions, HTTP, serialisation, authentication) plus azure-identity, to
generate typed builders for thousands of endpoints; Blastwall calls seven.
httpx is already the project's client, shares the bounded retry in
``connectors.http_errors`` (honouring Graph's ``Retry-After``), and keeps the
test stand-in at the HTTP level where the vendor's contract lives. The token
is the documented daemon flow: OAuth 2.0 client credentials (client secret)
against ``{login}/{tenant}/oauth2/v2.0/token`` with the scope
``https://graph.microsoft.com/.default``; msal would add a sync HTTP stack for
one form POST.
"""
