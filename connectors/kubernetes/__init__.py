"""Kubernetes containment through the API server, with kubernetes_asyncio.

Why the SDK and not plain httpx: kubernetes_asyncio is the maintained asynchronous
client generated from the API's own OpenAPI description, so the routes, the patch
content types (strategic merge for objects and the scale subresource) and the
DeleteOptions bodies are the API's, not ours. It brings aiohttp, which Blastwall
already depends on. Answers are turned into plain dicts at the client, so the
actions and snapshots do not depend on the SDK's model classes.
"""
