"""Chat adapters. They translate payloads to commands and cards to messages; no rules."""
