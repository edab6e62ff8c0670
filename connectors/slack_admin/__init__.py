"""Slack containment when a leaked Slack token is the incident, over the Web API (httpx).

Plain httpx, not slack_sdk's AsyncWebClient (which the chat adapter uses): this
connector sends three methods, one of them with a token it must hold only for
that one request (the leaked token, unsealed for ``auth.test``/``auth.revoke``
and never kept in a client), and it answers with the connectors' shared failure
type and bounded retries. AsyncWebClient would add an aiohttp session per token
and its own error type, and give nothing these three calls need.
"""
