"""BLASTWALL_ORIGIN: domain-qualified, one per deployment, the key name of every note."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings, load_settings


def test_the_origin_is_set_or_taken_from_the_public_url() -> None:
    assert Settings(origin="ir.example.com").deployment_origin() == "ir.example.com"
    public = Settings(public_url="https://blastwall.example.com/")
    assert public.deployment_origin() == "blastwall.example.com"
    assert Settings().deployment_origin() == "blastwall.invalid"


def test_an_origin_with_spaces_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BLASTWALL_ORIGIN", "two words")
    with pytest.raises(ConfigError, match="BLASTWALL_ORIGIN"):
        load_settings()
