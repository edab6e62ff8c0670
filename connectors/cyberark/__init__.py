"""CyberArk PAM (self-hosted PVWA or Privilege Cloud): live PSM sessions, over plain httpx.

Why httpx and not an SDK: CyberArk's official ``ark-sdk-python`` is synchronous and
brings the whole Identity Security Platform client (and its dependencies) for the
four REST calls used here; the community ``aiobastion`` is asynchronous but not the
vendor's. The PVWA routes are small and documented, so a thin client owns them.
"""
