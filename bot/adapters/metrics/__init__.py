"""Metrics adapters: the ``Metrics`` port in Prometheus terms."""
