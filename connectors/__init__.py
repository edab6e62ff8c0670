"""Connectors: one package per external system, each implementing bot.core.ports.Connector."""
