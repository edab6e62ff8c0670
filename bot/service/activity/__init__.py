"""Identity activity: queued with a declaration or a close, collected off the request path."""
