"""Configuration: the environment first, then an optional TOML file (BLASTWALL_CONFIG).

Field names map to the documented variables (``BLASTWALL_DATABASE_URL``,
``SLACK_BOT_TOKEN``, ...). Secrets are ``SecretStr`` so they never print.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

_REPO_PLAYBOOKS = Path(__file__).resolve().parent.parent / "playbooks"


def _env(name: str) -> Any:
    return Field(default=None, validation_alias=AliasChoices(name))


class ConfigError(Exception):
    """A setting that would make Blastwall unsafe or unable to start."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str | None = _env("BLASTWALL_DATABASE_URL")
    playbooks: Path | None = _env("BLASTWALL_PLAYBOOKS")
    intake_token: SecretStr | None = _env("BLASTWALL_INTAKE_TOKEN")
    # --- vendor alert intake (issue 12 §1) ---
    github_webhook_secret: SecretStr | None = _env("BLASTWALL_GITHUB_WEBHOOK_SECRET")
    # --- end vendor alert intake ---
    signing_key: Path | None = _env("BLASTWALL_SIGNING_KEY")
    slack_bot_token: SecretStr | None = _env("SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = _env("SLACK_SIGNING_SECRET")
    slack_api_url: str | None = _env("SLACK_API_URL")
    slack_team_id: str | None = _env("SLACK_TEAM_ID")
    slack_enterprise_id: str | None = _env("SLACK_ENTERPRISE_ID")
    # --- Microsoft Teams (issue 11) ---
    teams_app_id: str | None = _env("TEAMS_APP_ID")
    teams_app_password: SecretStr | None = _env("TEAMS_APP_PASSWORD")
    teams_tenant_id: str | None = _env("TEAMS_TENANT_ID")
    teams_team_id: str | None = _env("TEAMS_TEAM_ID")
    teams_openid_metadata_url: str = Field(
        default="https://login.botframework.com/v1/.well-known/openidconfiguration",
        validation_alias=AliasChoices("BLASTWALL_TEAMS_OPENID_METADATA_URL"),
    )
    teams_token_issuer: str = Field(
        default="https://api.botframework.com",
        validation_alias=AliasChoices("BLASTWALL_TEAMS_TOKEN_ISSUER"),
    )
    teams_login_url: str = Field(
        default="https://login.microsoftonline.com",
        validation_alias=AliasChoices("BLASTWALL_TEAMS_LOGIN_URL"),
    )
    graph_url: str = Field(
        default="https://graph.microsoft.com/v1.0",
        validation_alias=AliasChoices("BLASTWALL_GRAPH_URL"),
    )
    # --- end Microsoft Teams ---
    console_users: str | None = _env("BLASTWALL_CONSOLE_USERS")
    public_url: str | None = _env("BLASTWALL_PUBLIC_URL")
    reconcile_after: float = Field(
        default=300.0, gt=0, validation_alias=AliasChoices("BLASTWALL_RECONCILE_AFTER")
    )
    call_lease: float = Field(
        default=30.0, gt=0, validation_alias=AliasChoices("BLASTWALL_CALL_LEASE")
    )
    clock_tolerance: float = Field(
        default=5.0, ge=0, validation_alias=AliasChoices("BLASTWALL_CLOCK_TOLERANCE")
    )
    timer_interval: float = Field(
        default=1.0, gt=0, le=60, validation_alias=AliasChoices("BLASTWALL_TIMER_INTERVAL")
    )
    # targets a bulk action runs at once; also the size of the connectors' thread pool
    bulk_concurrency: int = Field(
        default=8, ge=1, le=256, validation_alias=AliasChoices("BLASTWALL_BULK_CONCURRENCY")
    )
    # a notice (a room to open, an escalation) not sent this long after it committed is
    # sent again; also how often that is looked for
    notice_retry: float = Field(
        default=60.0, gt=0, le=3600, validation_alias=AliasChoices("BLASTWALL_NOTICE_RETRY")
    )
    # evidence anchoring (issue 9): who signs, who timestamps, how often to catch up
    origin: str | None = _env("BLASTWALL_ORIGIN")
    tsa_url: str | None = _env("BLASTWALL_TSA_URL")
    anchor_interval: float = Field(
        default=5.0, gt=0, le=3600, validation_alias=AliasChoices("BLASTWALL_ANCHOR_INTERVAL")
    )
    # Slack's conversations.create is Web API tier 2: at most this many per window
    slack_create_limit: int = Field(
        default=20, ge=2, le=10000, validation_alias=AliasChoices("BLASTWALL_SLACK_CREATE_LIMIT")
    )
    slack_create_window: float = Field(
        default=60.0, gt=0, le=3600, validation_alias=AliasChoices("BLASTWALL_SLACK_CREATE_WINDOW")
    )

    # identity activity (issue 13): read from the vendor at declaration and at close
    activity: bool = Field(default=True, validation_alias=AliasChoices("BLASTWALL_ACTIVITY"))
    activity_lookback: float = Field(
        default=86400.0,
        gt=0,
        le=90 * 86400,
        validation_alias=AliasChoices("BLASTWALL_ACTIVITY_LOOKBACK"),
    )
    activity_max_events: int = Field(
        default=100, ge=1, le=1000, validation_alias=AliasChoices("BLASTWALL_ACTIVITY_MAX_EVENTS")
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_file = os.environ.get("BLASTWALL_CONFIG")
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_file)))
        return tuple(sources)

    @model_validator(mode="after")
    def _slack_needs_its_secret(self) -> Settings:
        secret = self.slack_signing_secret
        if secret is not None and not secret.get_secret_value().strip():
            raise ValueError(
                "SLACK_SIGNING_SECRET is empty or only whitespace: set it to the signing "
                "secret from your Slack app's Basic Information page"
            )
        if self.slack_bot_token and not secret:
            raise ValueError(
                "SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not: Blastwall will not "
                "accept Slack requests it cannot verify"
            )
        return self

    @model_validator(mode="after")
    def _origin_is_one_line(self) -> Settings:
        origin = self.origin
        if origin is not None and (not origin or any(c.isspace() for c in origin)):
            raise ValueError("BLASTWALL_ORIGIN must be one word without spaces")
        return self

    def deployment_origin(self) -> str:
        """The checkpoint origin: BLASTWALL_ORIGIN, else BLASTWALL_PUBLIC_URL without its
        scheme, else ``blastwall.invalid`` (fine on one machine; any deployment whose
        evidence leaves it should name a domain it owns)."""
        from bot.evidence.notes import DEFAULT_ORIGIN, origin_from_url

        if self.origin:
            return self.origin
        if self.public_url:
            try:
                return origin_from_url(self.public_url)
            except ValueError as exc:
                raise ConfigError(f"BLASTWALL_PUBLIC_URL: {exc}; set BLASTWALL_ORIGIN") from exc
        return DEFAULT_ORIGIN

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def teams_enabled(self) -> bool:
        return bool(self.teams_app_id)

    @property
    def served_over_https(self) -> bool:
        """Behind https (BLASTWALL_PUBLIC_URL), the console's cookie is Secure."""
        return (self.public_url or "").strip().lower().startswith("https://")

    def playbooks_dir(self) -> Path:
        if self.playbooks is not None:
            return self.playbooks
        return _REPO_PLAYBOOKS if _REPO_PLAYBOOKS.is_dir() else Path.cwd() / "playbooks"

    def signing_key_path(self) -> Path:
        return self.signing_key or Path.cwd() / "blastwall-signing-key.pem"


def load_settings() -> Settings:
    """Read the settings, turning validation errors into one clear ConfigError that
    names the variable to change (not pydantic's field name)."""
    from pydantic import ValidationError

    config = os.environ.get("BLASTWALL_CONFIG")
    if config and not Path(config).is_file():
        raise ConfigError(
            f"BLASTWALL_CONFIG names {config}, which is not a file: "
            "create it or unset BLASTWALL_CONFIG"
        )
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError("; ".join(_reason(e) for e in exc.errors())) from exc
    except (OSError, ValueError) as exc:  # an unreadable or malformed TOML file
        raise ConfigError(f"BLASTWALL_CONFIG={config}: cannot be read: {exc}") from exc


def _reason(error: Any) -> str:
    message = str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:
        return message
    field = Settings.model_fields.get(str(error["loc"][0]))
    alias = field.validation_alias if field is not None else None
    name = alias.choices[0] if isinstance(alias, AliasChoices) else str(error["loc"][0])
    given = "" if "secret" in str(name).lower() else f"={error.get('input')!s}"
    return f"{name}{given}: {message.lower()}"
