"""Alert intake: webhooks in, commands out."""
