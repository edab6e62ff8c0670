"""The redactor finds every seeded form, keeps identifiers and prose, and walks commands."""

from __future__ import annotations

import pytest

from bot.core.actors import Actor
from bot.core.commands import DeclareIncident, RequestAction
from bot.core.identities import AffectedIdentity, IdentityKind
from bot.core.incidents import Severity
from bot.core.redaction import Redactor
from bot.secrets import build_redactor
from bot.secrets.detection import DetectSecretsFinder, KeywordFinder
from bot.secrets.sealing import Sealer
from tests.secrets.seeds import (
    AWS,
    AWS_ID_1,
    CORPUS,
    GITHUB,
    JWT,
    NEEDLES,
    SEEDS,
    SLACK_BOT,
    Seed,
)

R = build_redactor(b"k" * 32)


@pytest.mark.parametrize("seed", SEEDS, ids=[s.name for s in SEEDS])
def test_every_seeded_form_is_redacted(seed: Seed) -> None:
    redacted = R.redact_text(seed.text)
    assert [n for n in seed.needles if n in redacted] == []
    assert "[REDACTED:" in redacted


def test_all_forms_together_leave_nothing() -> None:
    redacted = R.redact_text(CORPUS)
    assert [n for n in NEEDLES if n in redacted] == []


@pytest.mark.parametrize(
    ("text", "secret", "kind"),
    [
        (f"aws_secret_access_key = {AWS[0]}", AWS[0], "aws_secret_access_key"),
        (f'{{"SecretAccessKey": "{AWS[0]}"}}', AWS[0], "aws_secret_access_key"),
        (f"{AWS_ID_1},{AWS[0]}", AWS[0], "aws_secret_access_key"),
        (f"pushed {GITHUB['ghp']} to main", GITHUB["ghp"], "github_token"),
        (f"bot token {SLACK_BOT}", SLACK_BOT, "slack_token"),
        (f"agent presented {JWT}", JWT, "jwt"),
        ("Authorization: Bearer abcDEF123456.xyz", "abcDEF123456.xyz", "authorization"),
        ('{"password": "hunter2!"}', "hunter2!", "password"),
    ],
)
def test_the_marker_names_the_kind_and_a_keyed_hash(text: str, secret: str, kind: str) -> None:
    assert f"[REDACTED:{kind}:{R.fingerprint(secret)}]" in R.redact_text(text)


def test_detect_secrets_plugins_do_the_finding_they_cover() -> None:
    """The maintained plugins, not our patterns, find these forms."""
    plugins, keywords = DetectSecretsFinder(), KeywordFinder()
    for secret in (GITHUB["ghp"], SLACK_BOT, JWT):
        text = f"x {secret} y"
        assert {text[f.start : f.end] for f in plugins.find(text)} == {secret}
    assert [f.kind for f in keywords.find("password=hunter2!")] == ["password"]


@pytest.mark.parametrize(
    "text",
    [
        "key AKIAIOSFODNN7EXAMPLE of INC-20261122-0007 was used from Tor",
        "ASIAQSEEDED000000003 assumed role deploy at 2026-11-22T10:00:00Z",
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "Leaked secret access key for ci-deployer; the password was rotated yesterday.",
        "Rotate the token and restart the app; see the runbook at https://wiki.example/ir",
        "vault accessor 0xKf3nTl9dY8mA2pQ7rW5sZ1v revoked by UALICE",
        '{"private_key_id": "4f2c0c3e8a1b9d7e6f5a4b3c2d1e0f9a8b7c6d5e"}',
        "vault:token:Kx3nTl9dY8mA2pQ7rW5sZ1vB and vault:secret:kv/data/payments",
        "aws:access_key:AKIAIOSFODNN7EXAMPLE",
    ],
)
def test_identifiers_digests_and_prose_are_kept(text: str) -> None:
    assert R.redact_text(text) == text


def test_two_mentions_of_one_secret_match_and_others_differ() -> None:
    token = GITHUB["ghp"]
    one, two = R.redact_text(f"first {token}"), R.redact_text(f"second {token}")
    assert one.split()[-1] == two.split()[-1]
    assert R.redact_text(GITHUB["gho"]) != R.redact_text(token)
    assert build_redactor(b"x" * 32).fingerprint(token) != R.fingerprint(token)


def test_a_secret_seen_once_is_also_replaced_where_it_repeats_bare() -> None:
    redacted = R.redact_text(f"aws_secret_access_key={AWS[0]} (again: {AWS[0]})")
    assert AWS[0] not in redacted and redacted.count(R.fingerprint(AWS[0])) == 2


def test_nested_values_and_secret_named_fields() -> None:
    body = {
        "who": "UALICE",
        "details": {"password": "hunter2!", "notes": [f"saw {SLACK_BOT}"], "count": 3, "token": ""},
    }
    assert R.redact(body) == {
        "who": "UALICE",
        "details": {
            "password": f"[REDACTED:password:{R.fingerprint('hunter2!')}]",
            "notes": [f"saw [REDACTED:slack_token:{R.fingerprint(SLACK_BOT)}]"],
            "count": 3,
            "token": "",
        },
    }


def test_redacting_twice_changes_nothing_more() -> None:
    once = R.redact({"token": "abc", "text": f"{GITHUB['ghp']} and Bearer abcdefgh12345"})
    assert R.redact(once) == once
    assert R.redact_text(R.redact_text(CORPUS)) == R.redact_text(CORPUS)


def test_a_command_is_redacted_field_by_field_and_keeps_its_types() -> None:
    sealed = Sealer(b"k" * 32).seal(GITHUB["ghp"])  # the same key, as bot.app wires it
    identity = AffectedIdentity(
        system="aws",
        kind=IdentityKind.ACCESS_KEY,
        external_id=AWS_ID_1,
        owner=f"owner {SLACK_BOT}",
        attributes=(("credential_sealed", sealed), ("note", JWT), ("password", "pw12")),
    )
    command = DeclareIncident(
        title=f"leak {GITHUB['ghs']}",
        source="scanner",
        declared_by=Actor("slack", "UALICE", display=f"alice {GITHUB['ghu']}"),
        identities=(identity,),
        severity=Severity.SEV2,
        summary=CORPUS,
        details={"raw": [CORPUS, {"secret": "s3cr3t-value"}], "count": 2},
    )
    redacted = R.redact_command(command)
    assert type(redacted) is DeclareIncident and redacted.severity is Severity.SEV2
    assert [n for n in NEEDLES if n in repr(redacted)] == []
    assert "s3cr3t-value" not in repr(redacted) and "pw12" not in repr(redacted)
    kept = redacted.identities[0]
    assert kept.external_id == AWS_ID_1 and kept.kind is IdentityKind.ACCESS_KEY
    assert kept.attribute("credential_sealed") == sealed
    assert redacted.declared_by.user_id == "UALICE" and redacted.details["count"] == 2


def test_identifiers_in_commands_stay_usable_for_containment() -> None:
    """Public handles (an access key id, a Vault token accessor) survive the bus; a
    token used as an id is replaced the same way in the id and in the key built from it."""
    actor = Actor("slack", "UALICE")
    accessor = RequestAction(
        "INC-20261122-0001", "vault.revoke", "vault:token:Kx3nTl9dY8mA2", actor
    )
    assert R.redact_command(accessor) == accessor
    token = GITHUB["ghp"]
    leaked = AffectedIdentity("github", IdentityKind.TOKEN, token)
    request = RequestAction("INC-20261122-0001", "github.revoke", leaked.key, actor)
    assert R.redact_command(request).target_key == R.redact_command(leaked).key
    assert token not in R.redact_command(request).target_key


def test_a_field_that_only_claims_to_be_sealed_is_redacted() -> None:
    foreign = Sealer(b"other-deployment-key").seal("hunter2-in-clear")
    for claimed in ("hunter2-in-clear", foreign):
        redacted = R.redact_command(
            DeclareIncident("t", "s", Actor("slack", "U1"), details={"x_sealed": claimed})
        )
        assert redacted.details["x_sealed"] == f"[REDACTED:unsealed:{R.fingerprint(claimed)}]"


def test_without_finders_only_secret_named_fields_are_redacted() -> None:
    bare = Redactor(b"k" * 32)
    assert bare.redact_text(SLACK_BOT) == SLACK_BOT
    assert bare.redact({"password": "pw"}) == {
        "password": f"[REDACTED:password:{bare.fingerprint('pw')}]"
    }


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        Redactor(b"short")
