"""The ``blastwall`` command: serve, evidence export/verify/prove, playbooks validate, db upgrade.

Exit codes: 0 success; 1 the thing checked is bad (a bundle that does not
verify, an invalid playbook); 2 the request itself is wrong (unknown incident,
missing file, bad configuration).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.adapters.logs.json_lines import log_to_stderr
from bot.config import ConfigError, Settings, load_settings
from bot.core.incidents import is_incident_id

log = logging.getLogger("blastwall")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        log_to_stderr(_log_format())
    except ValueError as exc:
        print(f"blastwall: configuration error: {exc}", file=sys.stderr)
        return 2
    for chatty in ("apscheduler", "alembic.runtime.plugins"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        code: int = args.run(args)
    except ConfigError as exc:
        print(f"blastwall: configuration error: {exc}", file=sys.stderr)
        return 2
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="blastwall", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the web process (Slack, alerts, console)")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    serve.add_argument("--port", type=_port, default=8080, help="the port to listen on")
    serve.set_defaults(run=_serve)

    demo = sub.add_parser("demo", help="serve a seeded local sandbox (AWS emulated by moto)")
    demo.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    demo.add_argument("--port", type=int, default=8080, help="the port to listen on")
    demo.set_defaults(run=_demo)

    evidence = sub.add_parser("evidence", help="export or verify an incident's evidence")
    ev = evidence.add_subparsers(required=True, metavar="ACTION")
    export = ev.add_parser("export", help="write the evidence bundle of one incident")
    export.add_argument("incident_id", help="the incident, e.g. INC-20260101-0001")
    export.add_argument("-o", "--output", required=True, type=Path, help="the file to write")
    export.add_argument(
        "--format",
        choices=("bundle", "csv", "ocsf"),
        default="bundle",
        help="bundle (the verifiable zip), csv, or ocsf (Incident Finding events, JSON Lines)",
    )
    export.set_defaults(run=_export)
    _audit_parsers(ev)
    public = ev.add_parser("public-key", help="print the signing public key (PEM)")
    public.set_defaults(run=_public_key)

    playbooks = sub.add_parser("playbooks", help="check playbooks")
    pb = playbooks.add_subparsers(required=True, metavar="ACTION")
    validate = pb.add_parser("validate", help="validate a playbook directory")
    validate.add_argument(
        "directory", nargs="?", type=Path, help="the playbook directory (default: configured)"
    )
    validate.set_defaults(run=_validate)

    console = sub.add_parser("console", help="console sign-in")
    cs = console.add_subparsers(required=True, metavar="ACTION")
    link = cs.add_parser("link", help="print a one-time sign-in link for a console user")
    link.add_argument("user", help="a user named in BLASTWALL_CONSOLE_USERS")
    link.set_defaults(run=_console_link)

    db = sub.add_parser("db", help="database maintenance")
    dbs = db.add_subparsers(required=True, metavar="ACTION")
    up = dbs.add_parser("upgrade", help="apply every pending migration")
    up.set_defaults(run=_upgrade)
    grant = dbs.add_parser(
        "grant-runtime", help="let a PostgreSQL role run serve: INSERT/SELECT on evidence only"
    )
    grant.add_argument("role", help="the existing PostgreSQL role serve connects as")
    grant.set_defaults(run=_grant_runtime)
    _teams_parsers(sub)
    for each in _every_parser(parser):  # option help shows each default
        each.formatter_class = _ShowDefaults
    return parser


class _ShowDefaults(argparse.ArgumentDefaultsHelpFormatter):
    """Shows a default only where there is one to show (not "None" on a required option)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.required or action.default in (None, [], False):
            return action.help
        return super()._get_help_string(action)


def _every_parser(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """``parser`` and each of its subcommands' parsers, depth first."""
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += _every_parser(child)
    return found


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("blastwall")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


# --- Microsoft Teams (issue 11) ---
def _teams_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    teams = sub.add_parser("teams", help="Microsoft Teams app")
    ts = teams.add_subparsers(required=True, metavar="ACTION")
    package = ts.add_parser("package", help="zip teams-app/ with TEAMS_APP_ID filled in")
    package.add_argument("--app-id", help="the bot's app id (default: TEAMS_APP_ID)")
    package.add_argument("--source", type=Path, help="the app folder (default: teams-app/)")
    package.add_argument(
        "-o", "--output", type=Path, default=Path("blastwall-teams.zip"), help="the zip to write"
    )
    package.set_defaults(run=_teams_package)


def _teams_package(args: argparse.Namespace) -> int:
    import uuid

    from bot.adapters.teams.package import build_package

    app_id = args.app_id or load_settings().teams_app_id
    try:
        uuid.UUID(str(app_id))
    except ValueError:
        raise ConfigError(
            f"TEAMS_APP_ID={app_id}: not an app id: give the bot's Microsoft Entra "
            "application (client) id, a GUID, or pass --app-id"
        ) from None
    source = args.source or _teams_app_dir()
    if not (source / "manifest.json").is_file():
        print(f"blastwall: no manifest.json in {source}", file=sys.stderr)
        return 2
    build_package(source, str(app_id), args.output)
    print(f"wrote {args.output} for app {app_id}")
    return 0


def _teams_app_dir() -> Path:
    shipped = Path(__file__).resolve().parent.parent / "teams-app"
    return shipped if shipped.is_dir() else Path.cwd() / "teams-app"


# --- end Microsoft Teams ---


def _trace_if_asked() -> None:
    """OpenTelemetry traces to ``BLASTWALL_OTLP_ENDPOINT`` when it is set."""
    import os

    from bot.adapters.tracing.otel import ENDPOINT, install_tracing

    if install_tracing(os.environ):
        log.info("sending traces to %s", os.environ[ENDPOINT])


def _log_format() -> str:
    import os

    return os.environ.get("BLASTWALL_LOG_FORMAT", "text").strip().lower() or "text"


def _port(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give 1-65535")
    return int(text)


def _serve(args: argparse.Namespace) -> int:
    """Every startup problem ends in one line naming the setting (exit 2), or the
    list of playbook problems (exit 1); never a traceback."""
    import uvicorn

    from bot.app import Wired, build, create_app, database_url
    from bot.evidence.signing import SigningKeyError
    from bot.playbooks.loader import PlaybookError
    from bot.preflight import bind, preflight
    from connectors.registry import ConnectorSettingsError

    settings = load_settings()
    preflight(settings, database_url(settings))
    _trace_if_asked()
    try:
        wired = build(settings)
    except PlaybookError as exc:
        print("blastwall: refusing to start: invalid playbooks:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    except SigningKeyError as exc:
        raise ConfigError(f"BLASTWALL_SIGNING_KEY: {exc}") from exc
    except ConnectorSettingsError as exc:
        raise ConfigError(str(exc)) from exc
    sock = bind(args.host, args.port)
    enabled = (("Slack", settings.slack_enabled), ("Teams", settings.teams_enabled))
    chats = [name for name, on in enabled if on]
    where = " and ".join([*chats, "the console"])
    log.info("serving %s on http://%s:%d", where, args.host, args.port)

    async def admin_link(ready: Wired) -> None:  # once the database is migrated
        token = await ready.directory.mint("admin")
        print(
            f"Sign in to the console (one-time link, 15 minutes):\n"
            f"    {_console_base(ready.settings, args)}/console/login?token={token}",
            flush=True,
        )

    # in JSON, uvicorn's own lines go through the root's JSON handler (log_config=None)
    app = create_app(wired, on_started=admin_link)
    if _log_format() == "json":  # uvicorn's lines through the root's JSON handler instead
        config = uvicorn.Config(app, log_level="info", log_config=None)
    else:
        config = uvicorn.Config(app, log_level="info")
    uvicorn.Server(config).run(sockets=[sock])
    return 0


def _console_base(settings: Settings, args: argparse.Namespace | None) -> str:
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if args is not None:
        return f"http://{args.host}:{args.port}"
    return "http://127.0.0.1:8080"


def _console_link(args: argparse.Namespace) -> int:
    """A link minted straight into the database: any running replica honours it once."""
    from bot.app import build
    from bot.storage.migrate import upgrade

    settings = load_settings()
    wired = build(settings)

    async def mint() -> str:
        try:
            await upgrade(wired.database.url)
            return await wired.directory.mint(args.user)
        finally:
            await wired.database.dispose()

    try:
        token = asyncio.run(mint())
    except LookupError:
        known = "see BLASTWALL_CONSOLE_USERS"
        print(f"blastwall: no console user {args.user!r} ({known})", file=sys.stderr)
        return 2
    print(f"{_console_base(settings, None)}/console/login?token={token}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import os

    import uvicorn

    from bot.app import Wired, build, create_app
    from bot.config import Settings
    from bot.demo.sandbox import DemoUnavailable, fresh_database, start_sandbox

    try:
        sandbox = start_sandbox()
    except DemoUnavailable as exc:
        print(f"blastwall: {exc}", file=sys.stderr)
        return 2
    env = {**os.environ, **sandbox.environ()}
    settings = Settings(
        database_url=fresh_database(Path.cwd()),
        playbooks=Path(env["BLASTWALL_PLAYBOOKS"]),
        console_users=env["BLASTWALL_CONSOLE_USERS"],
        signing_key=Path.cwd() / "blastwall-demo-signing-key.pem",
    )
    wired = build(settings, environ=env)

    base = f"http://{args.host}:{args.port}/console/login?token="

    async def seed(ready: Wired) -> None:
        await ready.bus.handle(sandbox.alert())
        print(
            f"Blastwall demo. AWS is emulated by moto at {sandbox.endpoint}; the leaked key is "
            f"{sandbox.key_id} of IAM user {sandbox.user}.",
            flush=True,
        )
        for name, role in (
            ("admin", "administrator, makes sign-in links on the Playbooks page"),
            ("alice", "commander, may deactivate keys and export evidence"),
            ("bob", "approver, may export evidence"),
            ("carol", "no rights"),
        ):
            print(f"  {name} ({role}): {base}{await ready.directory.mint(name)}", flush=True)

    try:
        uvicorn.run(create_app(wired, on_started=seed), host=args.host, port=args.port)
    finally:
        sandbox.stop()
    return 0


def _validate(args: argparse.Namespace) -> int:
    from bot.playbooks.loader import validate_directory
    from connectors.registry import catalogue

    directory = args.directory or load_settings().playbooks_dir()
    problems = validate_directory(directory, catalogue())
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    print(f"playbooks in {directory}: valid")
    return 0


def _upgrade(args: argparse.Namespace) -> int:
    from bot.app import database_url
    from bot.storage.migrate import upgrade

    url = database_url(load_settings())
    asyncio.run(upgrade(url))
    print("database is up to date")
    return 0


def _grant_runtime(args: argparse.Namespace) -> int:
    from bot.app import database_url
    from bot.storage.runtime_role import RoleError, grant_runtime

    try:
        asyncio.run(grant_runtime(database_url(load_settings()), args.role))
    except RoleError as exc:
        print(f"blastwall: {exc}", file=sys.stderr)
        return 2
    print(f"{args.role} may now run blastwall serve; evidence: INSERT and SELECT only")
    return 0


def _export(args: argparse.Namespace) -> int:
    """Reads only: a missing database, key or incident is a one-line error (exit 2);
    a ledger that no longer matches its signed checkpoint is refused (exit 1)."""
    from bot.app import export_evidence
    from bot.evidence.export import ExportError, ExportRefused

    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)  # reads only
    if not is_incident_id(args.incident_id):
        print(f"blastwall: not an incident id: {args.incident_id!r}", file=sys.stderr)
        return 2
    try:
        done = asyncio.run(
            export_evidence(load_settings(), args.incident_id, args.output, args.format)
        )
    except ExportRefused as exc:
        print(f"blastwall: EVIDENCE ALARM: {exc}", file=sys.stderr)
        return 1
    except ExportError as exc:
        print(f"blastwall: {exc}", file=sys.stderr)
        return 2
    if args.format != "bundle":
        print(f"wrote {args.output}: {done.entries} entries of {args.incident_id} as {args.format}")
    else:
        print(
            f"wrote {args.output}: {done.entries} entries of {args.incident_id}, "
            f"{done.checkpoints} signed checkpoints, {done.timestamps} timestamped"
        )
    if done.unsigned:
        print(
            f"note: {done.unsigned} newer entries are not signed yet and are not in this bundle",
            file=sys.stderr,
        )
    return 0


def _public_key(args: argparse.Namespace) -> int:
    """The PEM on stdout (so ``> public-key.pem`` gives a clean file), the
    fingerprint on stderr, for comparing out of band with what verify prints."""
    from bot.evidence.signing import SigningKeyError, fingerprint, load_signing_key, public_key_pem

    try:
        key = load_signing_key(load_settings().signing_key_path())
    except SigningKeyError as exc:
        print(f"blastwall: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(public_key_pem(key).decode("ascii"))
    print(f"fingerprint {fingerprint(key.public_key())}", file=sys.stderr)
    return 0


def _audit_parsers(ev: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``evidence verify``, ``prove`` and ``verify-proof`` (handlers: bot.evidence.audit)."""
    from bot.evidence.audit import run_prove, run_verify, run_verify_proof

    trusted = "the public key to trust (PEM); without it: signer not checked"
    witness = "a witness key (C2SP vkey name+keyid+base64, or PEM); repeatable"
    verify = ev.add_parser("verify", help="verify a bundle offline")
    verify.add_argument("bundle", type=Path, help="the bundle (zip) to verify")
    verify.add_argument("--key", type=Path, help=trusted)
    verify.add_argument(
        "--prior", type=Path, help="an earlier bundle or checkpoint note this one must extend"
    )
    verify.add_argument("--witness-key", type=Path, action="append", default=[], help=witness)
    verify.add_argument("--witness-log", type=Path, help="lines copied from the incident's channel")
    verify.add_argument(
        "--tsa-cert", type=Path, help="the TSA root certificate its timestamps must chain to"
    )
    verify.set_defaults(run=run_verify)
    prove = ev.add_parser("prove", help="write a C2SP tlog-proof for one entry")
    prove.add_argument("bundle", type=Path, help="the bundle (zip) holding the entry")
    prove.add_argument("seq", type=int, help="the entry's sequence number")
    prove.add_argument("-o", "--output", type=Path, help="where to write it (default: stdout)")
    prove.add_argument("--key", type=Path, help=trusted)
    prove.set_defaults(run=run_prove)
    check = ev.add_parser("verify-proof", help="verify a tlog-proof of one entry")
    check.add_argument("proof", type=Path, help="the tlog-proof file")
    check.add_argument("--entry", type=Path, help="the entry's line (default: the one it carries)")
    check.add_argument("--key", type=Path, help=trusted)
    check.add_argument("--witness-key", type=Path, action="append", default=[], help=witness)
    check.set_defaults(run=run_verify_proof)


if __name__ == "__main__":
    raise SystemExit(main())
