"""Finding secrets with detect-secrets' maintained plugins.

Forms that come from detect-secrets (v1.5) here:

- ``KeywordDetector``'s assignment expressions: ``password=``, ``secret:``,
  ``client_secret=`` (Azure), ``aws_secret_access_key=`` and
  ``AWS_SECRET_ACCESS_KEY:``, ``"password": "…"``, a GCP service account's
  ``"private_key": "…"`` (whose PEM block ``bot.secrets.forms`` also finds),
  ``pwd``, ``api_key``… in config, env and JSON forms;
- ``AWSKeyDetector``'s named, quoted secret access key (its access key id
  pattern is *not* used: an ``AKIA…`` id is public and needed for containment);
- ``SlackDetector`` (``xox?-`` tokens with numeric parts, incoming webhooks),
  ``GitHubTokenDetector`` (``ghp_ gho_ ghu_ ghs_ ghr_``), ``JwtTokenDetector``
  (formally valid JWTs), ``OpenAIDetector`` (legacy ``sk-…T3BlbkFJ…``),
  ``BasicAuthDetector`` (``scheme://user:password@``), and the vendor plugins
  for GitLab, Stripe, SendGrid, PyPI, npm, Square, Discord, Mailchimp and Azure
  storage account keys.

The high-entropy plugins are left out on purpose: they would eat identity ids,
hashes and sealed credentials, which must stay readable.

Plugins are driven through their compiled patterns so each finding has a place
in the text (``analyze_string`` yields values only); each match is confirmed
with the plugin's own ``analyze_string``, so checks like the JWT's format
validation still apply.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from detect_secrets.plugins import keyword
from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.discord import DiscordBotTokenDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector

from bot.core.redaction import Finding


@dataclass(frozen=True)
class Plugin:
    """One detect-secrets plugin: our kind name, and the group that holds the secret."""

    detector: RegexBasedDetector
    kind: str
    group: int = 0
    patterns: tuple[re.Pattern[str], ...] = ()

    def regexes(self) -> Iterable[re.Pattern[str]]:
        return self.patterns or tuple(self.detector.denylist)


_AWS = AWSKeyDetector()
PLUGINS: tuple[Plugin, ...] = (
    Plugin(_AWS, "aws_secret_access_key", 1, (tuple(_AWS.denylist)[1],)),
    Plugin(SlackDetector(), "slack_token"),
    Plugin(GitHubTokenDetector(), "github_token"),
    Plugin(JwtTokenDetector(), "jwt"),
    Plugin(OpenAIDetector(), "api_key"),
    Plugin(BasicAuthDetector(), "url_password", 1),
    Plugin(GitLabTokenDetector(), "gitlab_token"),
    Plugin(StripeDetector(), "stripe_key"),
    Plugin(SendGridDetector(), "sendgrid_key"),
    Plugin(PypiTokenDetector(), "pypi_token"),
    Plugin(NpmDetector(), "npm_token", 1),
    Plugin(SquareOAuthDetector(), "square_secret"),
    Plugin(DiscordBotTokenDetector(), "discord_token"),
    Plugin(MailchimpDetector(), "mailchimp_key"),
    Plugin(AzureStorageKeyDetector(), "azure_storage_key"),
)
# The JWT pattern ends lazily and so stops before the signature; the finding is
# carried on over the rest of the token.
_JWT_TAIL = re.compile(r"[A-Za-z0-9_\-.+/=]*")


class DetectSecretsFinder:
    """The ``SecretFinder`` backed by detect-secrets' token plugins."""

    def find(self, text: str) -> Iterator[Finding]:
        for plugin in PLUGINS:
            for regex in plugin.regexes():
                for match in regex.finditer(text):
                    if not any(plugin.detector.analyze_string(match.group(0))):
                        continue
                    start, end = match.span(plugin.group)
                    if plugin.kind == "jwt":
                        end = _JWT_TAIL.match(text, end).end()  # type: ignore[union-attr]
                    yield Finding(plugin.kind, start, end)


_KEYWORD_FORMS: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    {
        **keyword.CONFIG_DENYLIST_REGEX_TO_GROUP,
        **keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
    }.items()
)
_NAME = re.compile(r"([A-Za-z_][\w.-]*)[\"'\]\s]*(?:=>|:=|[:=!]=?|\()?\s*[\"'`@]*$")
_UNQUOTED_END = re.compile(r"[\s&;,<>]")
_NOT_SECRETS = frozenset({"null", "none", "true", "false", "nil", "undefined", "redacted"})


class KeywordFinder:
    """``name = value`` pairs whose name says secret (detect-secrets' KeywordDetector).

    The plugin's expressions take an unquoted value to the end of the line; in
    chat and alert text that would swallow the prose after it, so an unquoted
    value ends at whitespace or a separator. Names ending in ``id`` (such as a
    service account's ``private_key_id``) are identifiers, not secrets, and so
    is the last part of an identity key (``vault:secret:kv/payments``), where
    the keyword is a kind of identity between colons, not a field name.
    """

    def find(self, text: str) -> Iterator[Finding]:
        for regex, group in _KEYWORD_FORMS:
            for match in regex.finditer(text):
                found = self._finding(text, match, group)
                if found is not None:
                    yield found

    @staticmethod
    def _finding(text: str, match: re.Match[str], group: int) -> Finding | None:
        start, end = match.span(group)
        if start < 0:
            return None
        quoted = start > 0 and text[start - 1] in "\"'`"
        if not quoted:
            cut = _UNQUOTED_END.search(text, start, end)
            end = cut.start() if cut else end
        if _in_identity_key(text, match.start()):
            return None
        value = text[start:end]
        name = _name_before(text[max(0, match.start() - 40) : start])
        if not value or value.lower() in _NOT_SECRETS or re.search(r"(?i)id$", name):
            return None
        return Finding(kind_of(name), start, end)


def _in_identity_key(text: str, at: int) -> bool:
    while at > 0 and (text[at - 1].isalnum() or text[at - 1] in "_.-"):
        at -= 1
    return at > 0 and text[at - 1] == ":"


def _name_before(prefix: str) -> str:
    found = _NAME.search(prefix)
    return found.group(1) if found else prefix


def kind_of(name: str) -> str:
    """A marker kind from a field name: ``AWS_SECRET_ACCESS_KEY`` -> ``aws_secret_access_key``."""
    normal = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if "secretaccesskey" in normal.replace("_", ""):
        return "aws_secret_access_key"
    return normal[:40] or "secret"
