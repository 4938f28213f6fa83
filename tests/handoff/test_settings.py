"""Settings come from the environment, refuse malformed values by name, and never print a secret."""
from __future__ import annotations

import logging
import os

import pytest

from handoff import settings as settings_mod
from handoff.settings import Settings, SettingsError

SECRETS = {"REDIS_URL": "redis://:hunter2-redis-pass@10.0.0.5:6380/3",
           "CONTEXT_SECRET": "ctx-secret-5f1e9a", "METRICS_TOKEN": "metrics-token-77c2"}


def test_repr_and_str_mask_every_secret_but_keep_the_rest_readable() -> None:
    s = settings_mod.load(env=SECRETS)
    for shown in (repr(s), str(s), f"{s}", f"{s!r}"):
        for secret in ("hunter2-redis-pass", "ctx-secret-5f1e9a", "metrics-token-77c2"):
            assert secret not in shown
        assert "redis://:***@10.0.0.5:6380/3" in shown  # where Redis is stays visible for debugging
        assert "context_secret='***'" in shown and "metrics_token='***'" in shown


def test_a_logged_settings_object_leaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    s = settings_mod.load(env=SECRETS)
    with caplog.at_level(logging.INFO):
        logging.getLogger("tandem.test").info("starting with %s", s)
        logging.getLogger("tandem.test").info("settings: %r", s)
    assert "hunter2" not in caplog.text and "ctx-secret" not in caplog.text and "metrics-token" not in caplog.text


def test_empty_secrets_are_shown_as_empty_not_as_masked() -> None:
    shown = repr(Settings())
    assert "context_secret=''" in shown and "metrics_token=''" in shown and "redis_url=None" in shown


def test_the_secret_values_are_still_there_for_the_code_that_needs_them() -> None:
    s = settings_mod.load(env=SECRETS)
    assert s.context_secret == "ctx-secret-5f1e9a"
    assert s.redis_parts()["password"] == "hunter2-redis-pass"


def test_a_malformed_number_is_refused_with_the_key_named() -> None:
    with pytest.raises(SettingsError, match="PORT"):
        settings_mod.load(env={"PORT": "eighty"})


def test_tandem_dotenv_names_the_file_read_instead_of_the_project_root_env(tmp_path) -> None:
    """A test gateway (TANDEM_DOTENV=os.devnull) never reads the user's .env; another file can be named."""
    other = tmp_path / "other.env"
    other.write_text("BOT_TIMEOUT_S=7.5\n")
    assert settings_mod.load(env={"TANDEM_DOTENV": str(other)}).bot_timeout_s == 7.5
    assert settings_mod.load(env={"TANDEM_DOTENV": os.devnull}).bot_timeout_s == Settings().bot_timeout_s


def test_a_gateway_on_a_public_address_without_metrics_token_or_secure_cookie_is_warned_about() -> None:
    from handoff.settings import exposure_warnings

    public = Settings(host="0.0.0.0")
    warnings = exposure_warnings(public)
    assert any("METRICS_TOKEN" in w for w in warnings) and any("COOKIE_SECURE" in w for w in warnings)
    assert exposure_warnings(public.with_(metrics_token="t0ken", cookie_secure=True)) == []
    assert exposure_warnings(Settings(host="127.0.0.1")) == []  # loopback: only this machine reaches it
    assert exposure_warnings(Settings(host="::1")) == []
