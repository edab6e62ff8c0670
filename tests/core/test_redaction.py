from __future__ import annotations

import pytest

from bot.core.redaction import Redactor

R = Redactor(b"k" * 32)
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION = "FwoGZXIvYXdzEBYaDExampleSessionTokenValue0123456789abcdefABCDEF/+=="
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
PAT = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"
SLACK = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudC03In0.c2lnbmF0dXJlLWJ5dGVz"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAexample\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("text", "secret", "kind"),
    [
        (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET, "aws_secret_access_key"),
        (f'{{"SecretAccessKey": "{AWS_SECRET}"}}', AWS_SECRET, "aws_secret_access_key"),
        (f"token {SESSION} leaked", SESSION, "aws_session_token"),
        (f"AWS_SESSION_TOKEN={SESSION}", SESSION, "aws_session_token"),
        (f"pushed {GITHUB} to main", GITHUB, "github_token"),
        (f"pat {PAT}", PAT, "github_token"),
        (f"bot token {SLACK}", SLACK, "slack_token"),
        (f"agent presented {JWT}", JWT, "jwt"),
        (f"key:\n{PEM}\nend", PEM, "pem_private_key"),
        ("Authorization: Bearer abcDEF123456.xyz", "abcDEF123456.xyz", "authorization"),
    ],
)
def test_each_kind_of_secret_is_redacted(text: str, secret: str, kind: str) -> None:
    redacted = R.redact_text(text)
    assert secret not in redacted
    assert f"[REDACTED:{kind}:{R.fingerprint(secret)}]" in redacted


def test_identifiers_and_digests_are_kept() -> None:
    text = (
        "key AKIAIOSFODNN7EXAMPLE of INC-20261122-0007, sha256 "
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert R.redact_text(text) == text


def test_two_mentions_of_one_secret_match_and_others_differ() -> None:
    one = R.redact_text(f"first {GITHUB}")
    two = R.redact_text(f"second {GITHUB}")
    assert one.split()[-1] == two.split()[-1]
    other = "ghp_" + "Z" * 36
    assert R.redact_text(other) != R.redact_text(GITHUB)
    assert Redactor(b"x" * 32).fingerprint(GITHUB) != R.fingerprint(GITHUB)


def test_nested_values_and_secret_named_fields() -> None:
    body = {
        "who": "UALICE",
        "details": {"password": "hunter2!", "notes": [f"saw {SLACK}"], "count": 3, "token": ""},
    }
    redacted = R.redact(body)
    assert redacted == {
        "who": "UALICE",
        "details": {
            "password": f"[REDACTED:password:{R.fingerprint('hunter2!')}]",
            "notes": [f"saw [REDACTED:slack_token:{R.fingerprint(SLACK)}]"],
            "count": 3,
            "token": "",
        },
    }


def test_redacting_twice_changes_nothing_more() -> None:
    once = R.redact({"token": "abc", "text": f"{GITHUB} and Bearer abcdefgh12345"})
    assert R.redact(once) == once


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        Redactor(b"short")
