"""Tracing: OpenTelemetry set up for the process."""
