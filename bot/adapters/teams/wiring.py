"""Builds the Teams pieces from plain settings, so the composition root never sees
a botbuilder type."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi import APIRouter

from bot.adapters.teams.auth import Verifier
from bot.adapters.teams.calls import Caller, TokenSource
from bot.adapters.teams.connector import CONNECTOR_SCOPE, BotConnector
from bot.adapters.teams.graph import GRAPH_SCOPE, Graph
from bot.adapters.teams.inbound import CardSource, TeamsInbound
from bot.adapters.teams.notifier import TeamsNotifier
from bot.adapters.teams.references import ConversationRefs
from bot.adapters.teams.route import teams_router
from bot.service.bus import CommandSink


@dataclass(frozen=True)
class TeamsConfig:
    app_id: str
    password: str
    tenant_id: str
    team_id: str
    metadata_url: str
    issuer: str
    login_url: str
    graph_url: str
    max_wait_s: float = 8.0
    invoke_budget_s: float = 4.0


def teams_notifier(config: TeamsConfig, refs: ConversationRefs) -> TeamsNotifier:
    caller = Caller(httpx.AsyncClient(timeout=15), config.max_wait_s)

    def tokens(scope: str) -> TokenSource:
        return TokenSource(
            caller, config.login_url, config.tenant_id, config.app_id, config.password, scope
        )

    connector = BotConnector(caller, tokens(CONNECTOR_SCOPE), config.app_id, config.tenant_id)
    graph = Graph(caller, tokens(GRAPH_SCOPE), config.graph_url)
    return TeamsNotifier(connector, graph, refs, config.team_id)


def teams_door(
    config: TeamsConfig, notifier: TeamsNotifier, bus: CommandSink, cards: CardSource
) -> APIRouter:
    verifier = Verifier(
        config.app_id, config.password, config.tenant_id or None, config.metadata_url, config.issuer
    )
    inbound = TeamsInbound(
        bus,
        notifier.refs,
        notifier.connector,
        cards,
        config.team_id or None,
        config.invoke_budget_s,
    )
    return teams_router(verifier, inbound)
