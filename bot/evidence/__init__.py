"""The evidence ledger: canonical entries, the hash chain, signed checkpoints, bundles."""
