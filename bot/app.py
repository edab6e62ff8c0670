"""The composition root: the only module that imports everything and wires it.

Importing it has no side effects; ``build`` does the wiring and ``create_app``
returns the ASGI app that uvicorn serves.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Protocol, runtime_checkable

from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import make_url
from starlette.middleware.sessions import SessionMiddleware

from bot.adapters.console.auth import SESSION_TTL, Directory, parse_users
from bot.adapters.console.browser_errors import install_browser_errors
from bot.adapters.console.headers import ConsoleHeaders
from bot.adapters.console.room import LocalNotifier
from bot.adapters.console.routes import Console, console_router
from bot.adapters.http.body_limit import BodyLimit
from bot.adapters.http.docs import install_offline_docs
from bot.adapters.http.health import health_router
from bot.adapters.http.openapi_answers import document_generic_answers
from bot.adapters.http.outage import install_one_line_outages, install_outage_handling
from bot.adapters.http.request_guards import RequestGuards
from bot.adapters.metrics.prometheus import OutboxGauges, PrometheusMetrics
from bot.config import Settings
from bot.core.log_context import IncidentCarrying, bind_incident
from bot.core.ports import Connector, Notifier, SecretAlertLookup
from bot.core.redaction import Redactor
from bot.evidence.anchoring import Anchoring
from bot.evidence.export import Exported, ExportError, export_incident
from bot.evidence.notes import NoteSigner
from bot.evidence.signing import (
    SigningKeyError,
    load_or_create_signing_key,
    load_signing_key,
    public_key_pem,
    redaction_key,
)
from bot.evidence.timestamps import Timestamper
from bot.intake.alert import Keys
from bot.intake.route import IntakeConfig, alerts_router
from bot.playbooks.loader import load_playbooks
from bot.secrets import build_redactor
from bot.secrets.logs import install_redaction
from bot.secrets.sealing import Sealer
from bot.service import views
from bot.service.backlog import Backlog
from bot.service.bus import MessageBus
from bot.service.connector_timing import timed
from bot.service.context import ActivitySettings, Services
from bot.service.handlers import build_bus
from bot.storage.clock import check_clock
from bot.storage.console_sessions import SqlConsoleSignIns
from bot.storage.migrate import MIGRATIONS, current_revision, upgrade
from bot.storage.outbox_backlog import outbox_backlog
from bot.storage.readiness import unready_reason
from bot.storage.unit_of_work import Database
from bot.timers.clock import EscalationClock
from bot.timers.system_clock import ClockReport, SystemClock
from connectors import registry
from connectors.threads import ConnectorThreads

log = logging.getLogger(__name__)
# Blocking clients (boto3) take a worker thread per call; asyncio's default pool
# (CPUs + 4) would let only 6 cloud calls run at once on two cores.
BLOCKING_THREADS = 32
CONSOLE_STATIC = Path(__file__).parent / "adapters" / "console" / "static"
OFF_WORDS = ("off", "false", "0", "no")


@dataclass
class Wired:
    settings: Settings
    database: Database
    services: Services
    bus: MessageBus
    redactor: Redactor
    sealer: Sealer
    directory: Directory
    session_secret: str
    public_pem: bytes
    anchoring: Anchoring
    github_alerts: SecretAlertLookup | None = None
    backlog: Backlog = field(default_factory=Backlog)
    connector_threads: ConnectorThreads | None = None
    metrics: PrometheusMetrics = field(default_factory=PrometheusMetrics)


@runtime_checkable
class Pooled(Protocol):
    """A chat client that holds pooled connections while the app runs."""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


def build(settings: Settings, environ: Mapping[str, str] | None = None) -> Wired:
    """Wire every port. Raises on an invalid playbook or an unusable signing key."""
    env = os.environ if environ is None else environ
    catalogue = registry.catalogue()
    playbooks = load_playbooks(settings.playbooks_dir(), catalogue)
    key = load_or_create_signing_key(settings.signing_key_path())
    redactor = build_redactor(redaction_key(key))
    sealer = Sealer(redaction_key(key))
    clock = SystemClock()
    database = Database(database_url(settings), redact=redactor.redact_body, clock=clock)
    notifiers: dict[str, Notifier] = {"console": LocalNotifier()}
    if settings.slack_enabled:
        notifiers["slack"] = _slack_notifier(settings)
    if settings.teams_enabled:
        notifiers["teams"] = _teams_notifier(settings, database)
    threads = ConnectorThreads(settings.bulk_concurrency)
    connectors: dict[str, Connector] = registry.build_connectors(
        env, sealer.unseal, redactor.fingerprint, threads
    )
    metrics = PrometheusMetrics()
    connectors = timed(connectors, metrics)  # connector call latency on /metrics
    services = Services(
        uow=database.uow,
        clock=clock,
        playbooks=playbooks,
        catalogue=catalogue,
        connectors=connectors,
        notifiers=notifiers,
        default_platform=_default_platform(settings),
        signer=NoteSigner(key, origin=settings.deployment_origin()),
        call_lease_s=settings.call_lease,
        automatic_on=partial(automatic_on, env),
        activity=ActivitySettings(
            enabled=settings.activity,
            lookback_s=settings.activity_lookback,
            max_events=settings.activity_max_events,
        ),
        redact=redactor.redact_body,
        bulk_concurrency=settings.bulk_concurrency,
        metrics=metrics,
    )
    timestamper = Timestamper(settings.tsa_url) if settings.tsa_url else None
    secret = redaction_key(key)
    directory = Directory(
        secret,
        parse_users(settings.console_users),
        SqlConsoleSignIns(database.engine),
        services.clock.now,
    )
    bus = build_bus(services)
    bus.screen_with(lambda command: bind_incident(redactor.redact_command(command)))
    backlog = Backlog()
    bus.defer_to(IncidentCarrying(backlog))  # what a door does not wait for runs there
    return Wired(
        settings,
        database,
        services,
        bus,
        redactor,
        sealer,
        directory,
        hashlib.sha256(b"console-session" + secret).hexdigest(),
        public_key_pem(key),
        Anchoring(database.uow, services, timestamper),
        registry.secret_alert_lookup(env),
        backlog,
        threads,
        metrics,
    )


def automatic_on(environ: Mapping[str, str]) -> bool:
    """The kill switch: ``BLASTWALL_AUTOMATIC=off`` stops automatic containment. Read
    at each decision (not once at start), so setting it takes effect without a restart."""
    return environ.get("BLASTWALL_AUTOMATIC", "on").strip().lower() not in OFF_WORDS


def database_url(settings: Settings) -> str:
    from bot.storage.database import default_database_url

    return settings.database_url or default_database_url()


async def _anchor_forever(anchoring: Anchoring, interval_s: float) -> None:
    """Sign, timestamp and witness what changed, every ``interval_s`` seconds."""
    while True:
        try:
            await anchoring.run()
        except Exception:
            log.exception("anchoring pass failed; retrying on the next one")
        await asyncio.sleep(interval_s)


def _slack_notifier(settings: Settings) -> Notifier:
    from bot.adapters.slack.notifier import SlackNotifier, make_client

    assert settings.slack_bot_token is not None
    return SlackNotifier(
        make_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_url),
        settings.slack_create_limit,
        settings.slack_create_window,
    )


def _default_platform(settings: Settings) -> str:
    if settings.slack_enabled:
        return "slack"
    return "teams" if settings.teams_enabled else "console"


# --- Microsoft Teams (issue 11): every Teams type stays in bot/adapters/teams ---
def _teams_config(settings: Settings):  # type: ignore[no-untyped-def]
    from bot.adapters.teams.wiring import TeamsConfig

    assert settings.teams_app_id and settings.teams_app_password
    return TeamsConfig(
        app_id=settings.teams_app_id,
        password=settings.teams_app_password.get_secret_value(),
        tenant_id=settings.teams_tenant_id or "",
        team_id=settings.teams_team_id or "",
        metadata_url=settings.teams_openid_metadata_url,
        issuer=settings.teams_token_issuer,
        login_url=settings.teams_login_url,
        graph_url=settings.graph_url,
    )


def _teams_notifier(settings: Settings, database: Database) -> Notifier:
    from bot.adapters.teams.wiring import teams_notifier
    from bot.storage.database import session_factory
    from bot.storage.teams_conversations import SqlConversationRefs

    refs = SqlConversationRefs(session_factory(database.engine), database.clock)
    return teams_notifier(_teams_config(settings), refs)


def _teams_router(wired: Wired):  # type: ignore[no-untyped-def]
    from bot.adapters.teams.notifier import TeamsNotifier
    from bot.adapters.teams.wiring import teams_door

    notifier = wired.services.notifiers["teams"]
    assert isinstance(notifier, TeamsNotifier)
    current_card = partial(views.card, wired.services)
    return teams_door(_teams_config(wired.settings), notifier, wired.bus, current_card)


# --- end Microsoft Teams ---


def create_app(
    wired: Wired, on_started: Callable[[Wired], Awaitable[None]] | None = None
) -> FastAPI:
    settings = wired.settings

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        install_redaction(wired.redactor)
        install_one_line_outages()
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(BLOCKING_THREADS, thread_name_prefix="blocking")
        )
        await upgrade(database_url(settings))
        await _warn_on_skew(wired)
        await _pools(wired, open_=True)
        wired.backlog.start()
        clock = EscalationClock(
            wired.bus,
            settings.timer_interval,
            reconcile_after_s=settings.reconcile_after,
            notice_retry_s=settings.notice_retry,
        )
        clock.start()
        log.info("escalation clock started as %s", clock.claimer)
        anchoring = asyncio.create_task(_anchor_forever(wired.anchoring, settings.anchor_interval))
        catching_up = asyncio.create_task(_catch_up_transcripts(wired))
        if on_started is not None:
            await on_started(wired)
        yield
        clock.shutdown()
        await wired.backlog.stop()  # the doors are closed: finish what they left
        anchoring.cancel()
        catching_up.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await anchoring
        with contextlib.suppress(asyncio.CancelledError):
            await catching_up
        clock.shutdown()
        await wired.bus.drain()  # automatic containment still under way finishes first
        await _pools(wired, open_=False)
        if wired.connector_threads is not None:
            wired.connector_threads.shutdown()
        await wired.database.dispose()

    app = FastAPI(
        title="Blastwall", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    install_outage_handling(app)
    install_offline_docs(app)
    install_browser_errors(app)
    app.add_middleware(RequestGuards)  # inside BodyLimit: it only ever reads a bounded body
    app.add_middleware(BodyLimit)
    https = settings.served_over_https
    app.add_middleware(
        SessionMiddleware,
        secret_key=wired.session_secret,
        session_cookie="blastwall_session",
        same_site="strict",
        https_only=https,  # the cookie's Secure flag
        max_age=int(SESSION_TTL.total_seconds()),
        path="/console",
    )
    app.add_middleware(ConsoleHeaders, https=https)
    app.mount("/console/static", StaticFiles(directory=CONSOLE_STATIC), name="console-static")
    app.include_router(
        console_router(Console(wired.bus, wired.services, wired.directory, wired.public_pem))
    )
    app.include_router(alerts_router(wired.bus, _intake(wired)))
    app.include_router(
        health_router(
            wired.database,
            lambda: _clock_check(wired),
            unready=lambda: unready_reason(wired.database.engine),
            extra_metrics=wired.metrics,
            outbox=lambda: _outbox_gauges(wired),
        )
    )
    if settings.slack_enabled:
        app.include_router(_slack_router(wired))
    if settings.teams_enabled:
        app.include_router(_teams_router(wired))
    document_generic_answers(app)
    return app


async def _outbox_gauges(wired: Wired) -> OutboxGauges:
    return OutboxGauges(*await outbox_backlog(wired.database.engine, wired.services.clock.now()))


async def _pools(wired: Wired, *, open_: bool) -> None:
    """One pooled HTTP session per chat client, for as long as the app runs."""
    for notifier in wired.services.notifiers.values():
        if isinstance(notifier, Pooled):
            await (notifier.start() if open_ else notifier.close())


def _intake(wired: Wired) -> IntakeConfig:
    """The alert doors' secrets, and the keys that seal and hash a leaked credential."""
    settings = wired.settings
    token, hook = settings.intake_token, settings.github_webhook_secret
    return IntakeConfig(
        token=token.get_secret_value() if token else None,
        github_secret=hook.get_secret_value() if hook else None,
        keys=Keys(seal=wired.sealer.seal, fingerprint=wired.redactor.fingerprint),
        github_alerts=wired.github_alerts,
    )


async def _clock_check(wired: Wired) -> ClockReport:
    return await check_clock(
        wired.database.read_engine, wired.services.clock, wired.settings.clock_tolerance
    )


async def _warn_on_skew(wired: Wired) -> None:
    """Say so at start when this replica's clock is off the database's; never block it."""
    try:
        report = await _clock_check(wired)
    except Exception:
        log.exception("could not compare this replica's clock with the database's")
        return
    if not report.ok:
        log.warning(
            "this replica's clock is %+.1fs off the database's (tolerance %.1fs): timers and "
            "call leases follow the database's clock, evidence times follow this one; fix NTP",
            report.skew_s,
            report.tolerance_s,
        )


async def _catch_up_transcripts(wired: Wired) -> None:
    """Read back what incident rooms said while no replica was listening (issue 13).
    In the background: a slow or unreachable Slack never holds up the start."""
    if not wired.settings.slack_enabled:
        return
    from bot.adapters.slack.backfill import catch_up
    from bot.adapters.slack.notifier import SlackNotifier
    from bot.service.incidents.transcript import rooms_to_catch_up

    notifier = wired.services.notifiers["slack"]
    assert isinstance(notifier, SlackNotifier)
    try:
        rooms = await rooms_to_catch_up(wired.services, "slack")
        handed = await catch_up(notifier.client, wired.bus, rooms)
    except Exception:
        log.exception("could not catch up on the incident rooms' transcripts")
        return
    log.info("caught up on %d room(s): %d message(s) read back", len(rooms), handed)


def _slack_router(wired: Wired):  # type: ignore[no-untyped-def]
    from bot.adapters.slack.app import build_slack_app
    from bot.adapters.slack.notifier import SlackNotifier
    from bot.adapters.slack.route import Doorman, refusals_to, slack_router
    from bot.adapters.slack.workspace import Workspace
    from bot.storage.database import session_factory
    from bot.storage.replays import SqlReplayLedger

    settings = wired.settings
    assert settings.slack_bot_token and settings.slack_signing_secret
    notifier = wired.services.notifiers["slack"]
    assert isinstance(notifier, SlackNotifier)
    secret = settings.slack_signing_secret.get_secret_value()
    slack_app = build_slack_app(
        signing_secret=secret,
        client=notifier.client,
        bus=wired.bus,
        playbooks=wired.services.playbooks,
    )
    doorman = Doorman(
        secret,
        SqlReplayLedger(session_factory(wired.database.engine), wired.services.clock),
        Workspace(settings.slack_team_id, settings.slack_enterprise_id),
        refusals_to(wired.bus),
    )
    return slack_router(slack_app, doorman, wired.metrics)


async def export_evidence(
    settings: Settings, incident_id: str, output: Path, fmt: str = "bundle"
) -> Exported:
    """``blastwall evidence export``: the configured database and key, read-only.
    Nothing is created: a missing database or key is an ``ExportError``.
    ``fmt``: the bundle, or a CSV or OCSF reading copy (redacted again on the way out)."""
    try:
        key = load_signing_key(settings.signing_key_path())
    except SigningKeyError as exc:
        raise ExportError(str(exc)) from exc
    url = database_url(settings)
    await _require_database(url)
    redactor = build_redactor(redaction_key(key))
    database = Database(url, redact=redactor.redact_body)
    try:
        return await export_incident(
            database.uow, key, incident_id, output, fmt, redactor.redact_body
        )
    finally:
        await database.dispose()


async def _require_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:" or not await asyncio.to_thread(Path(path).is_file):
            raise ExportError(f"no database at {path} (set BLASTWALL_DATABASE_URL)")
    try:
        revision = await current_revision(url)
    except Exception as exc:
        raise ExportError(f"cannot read the database: {type(exc).__name__}: {exc}") from exc
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    if revision is None:
        raise ExportError("the database holds no Blastwall tables")
    if revision != head:
        raise ExportError(f"the database is at revision {revision}; run: blastwall db upgrade")
