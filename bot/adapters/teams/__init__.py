"""Microsoft Teams: Bot Framework activities in, Bot Connector and Graph calls out.

Every botbuilder type stays inside this package (botbuilder-python is archived
upstream), so a move to the Microsoft 365 Agents SDK stays local.
"""
