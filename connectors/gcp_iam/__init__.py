"""Google Cloud IAM containment over the REST APIs (httpx), as a service account.

Plain httpx with PyJWT, not google-auth or the GAPIC clients: Blastwall needs
five IAM calls and two Resource Manager calls; google-cloud-iam brings gRPC and
protobuf, google-api-python-client and google-auth's token refresh are
synchronous (requests), and both hide the HTTP a request-level stand-in checks.
The service-account flow is small and documented (an RS256 JWT assertion
exchanged at the token endpoint), PyJWT already signs GitHub's App JWTs, and
httpx gives every connector one async stack with the same retry and failure
mapping (``connectors.http_errors``).
"""
