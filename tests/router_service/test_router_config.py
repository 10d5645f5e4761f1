"""Environment parsing: defaults, every bad value named, secrets kept out of repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from router_service.config import ConfigError, Secret, load_settings

KEY = {"OPENROUTER_API_KEY": "sk-test-key"}


def test_defaults_match_the_design() -> None:
    settings = load_settings(KEY, cpu_count=3)
    assert settings.listen_addr == "127.0.0.1:50051"
    assert settings.base_url == "https://openrouter.ai/api/v1"
    assert settings.upstream_host == "openrouter.ai"
    assert settings.workers == 3
    assert settings.max_attempts == 3
    assert settings.auth_token is None and not settings.tls_enabled
    assert settings.capture_content is False
    assert settings.log_format == "text"
    assert settings.http_client == "aiohttp"


def test_values_are_read() -> None:
    settings = load_settings(
        {
            **KEY,
            "ROUTER_LISTEN_ADDR": "[::1]:0",
            "OPENROUTER_BASE_URL": "http://127.0.0.1:9999/api/v1/",
            "ROUTER_WORKERS": "4",
            "ROUTER_MAX_CONCURRENCY": "7",
            "ROUTER_AUTH_TOKEN": "tok",
            "ROUTER_MAX_MESSAGE_BYTES": "2048",
            "ROUTER_DRAIN_SECONDS": "0.5",
            "ROUTER_MAX_ATTEMPTS": "5",
            "ROUTER_CAPTURE_CONTENT": "true",
            "ROUTER_APP_URL": "https://example.org",
            "ROUTER_APP_TITLE": "Council",
            "ROUTER_LOG_FORMAT": "JSON",
            "ROUTER_HTTP_CLIENT": "HTTPX",
            "ROUTER_EVENT_LOOP": "uvloop",
        }
    )
    assert (settings.listen_host, settings.listen_port) == ("::1", 0)
    assert settings.listen_addr == "[::1]:0"
    assert settings.base_url == "http://127.0.0.1:9999/api/v1"
    assert settings.workers == 4 and settings.max_concurrency == 7
    assert settings.auth_token == Secret("tok")
    assert settings.max_message_bytes == 2048 and settings.drain_seconds == 0.5
    assert settings.max_attempts == 5 and settings.capture_content
    assert (settings.app_url, settings.app_title) == ("https://example.org", "Council")
    assert settings.log_format == "json"
    assert settings.http_client == "httpx"
    assert settings.event_loop == "uvloop"


@pytest.mark.parametrize("value", ["uvloop", "asyncio", " UVLOOP ", ""])
def test_event_loop_takes_uvloop_or_asyncio(value: str) -> None:
    settings = load_settings({**KEY, "ROUTER_EVENT_LOOP": value})
    assert settings.event_loop == (value.strip().lower() or "asyncio")


@pytest.mark.parametrize("value", ["aiohttp", "httpx", " Aiohttp ", ""])
def test_http_client_takes_either_library(value: str) -> None:
    settings = load_settings({**KEY, "ROUTER_HTTP_CLIENT": value})
    assert settings.http_client == (value.strip().lower() or "aiohttp")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        pytest.param("ROUTER_LISTEN_ADDR", "nohostport", id="listen-no-port"),
        pytest.param("ROUTER_LISTEN_ADDR", "127.0.0.1:http", id="listen-port-text"),
        pytest.param("ROUTER_LISTEN_ADDR", "127.0.0.1:70000", id="listen-port-range"),
        pytest.param("OPENROUTER_BASE_URL", "ftp://x", id="base-url-scheme"),
        pytest.param("OPENROUTER_BASE_URL", "not a url", id="base-url-text"),
        pytest.param("ROUTER_WORKERS", "0", id="workers-zero"),
        pytest.param("ROUTER_WORKERS", "many", id="workers-text"),
        pytest.param("ROUTER_MAX_CONCURRENCY", "-1", id="concurrency-negative"),
        pytest.param("ROUTER_MAX_MESSAGE_BYTES", "10", id="message-bytes-small"),
        pytest.param("ROUTER_DRAIN_SECONDS", "nan", id="drain-nan"),
        pytest.param("ROUTER_DRAIN_SECONDS", "-1", id="drain-negative"),
        pytest.param("ROUTER_MAX_ATTEMPTS", "0", id="attempts-zero"),
        pytest.param("ROUTER_MAX_ATTEMPTS", "99", id="attempts-above-cap"),
        pytest.param("ROUTER_CAPTURE_CONTENT", "maybe", id="capture-not-bool"),
        pytest.param("ROUTER_LOG_FORMAT", "xml", id="log-format"),
        pytest.param("ROUTER_HTTP_CLIENT", "requests", id="http-client"),
        pytest.param("ROUTER_EVENT_LOOP", "trio", id="event-loop"),
        pytest.param("ROUTER_AUTH_TOKEN", "a b", id="auth-token-space"),
        pytest.param("ROUTER_CONFIG_DIR", "/nonexistent/dir", id="config-dir-missing"),
        pytest.param("ROUTER_TLS_CERT_FILE", "/tmp/cert.pem", id="tls-cert-without-key"),
        pytest.param("ROUTER_APP_TITLE", "bad\ntitle", id="title-not-header-safe"),
        pytest.param("OPENROUTER_API_KEY_FILE", "/nonexistent/key", id="key-file-missing"),
    ],
)
def test_bad_value_raises_config_error_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({**KEY, name: value} if name != "OPENROUTER_API_KEY_FILE" else {name: value})
    assert caught.value.name in (name, "ROUTER_TLS_KEY_FILE")
    assert str(caught.value).startswith(caught.value.name)


def test_missing_api_key_names_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({})
    assert caught.value.name == "OPENROUTER_API_KEY"


def test_api_key_file_is_read_and_trimmed(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("sk-from-file\n")
    settings = load_settings({"OPENROUTER_API_KEY_FILE": str(key_file)})
    assert settings.api_key.reveal() == "sk-from-file"


def test_empty_api_key_file_is_an_error(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("  \n")
    with pytest.raises(ConfigError) as caught:
        load_settings({"OPENROUTER_API_KEY_FILE": str(key_file)})
    assert caught.value.name == "OPENROUTER_API_KEY_FILE"


def test_key_and_key_file_together_are_an_error(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text("sk-2")
    with pytest.raises(ConfigError, match="OPENROUTER_API_KEY_FILE"):
        load_settings({**KEY, "OPENROUTER_API_KEY_FILE": str(key_file)})


def test_tls_files_are_loaded_as_a_pair(tmp_path: Path) -> None:
    (tmp_path / "c").write_bytes(b"CERT")
    (tmp_path / "k").write_bytes(b"KEY")
    settings = load_settings(
        {
            **KEY,
            "ROUTER_TLS_CERT_FILE": str(tmp_path / "c"),
            "ROUTER_TLS_KEY_FILE": str(tmp_path / "k"),
        }
    )
    assert settings.tls_enabled and settings.tls_cert == b"CERT" and settings.tls_key == b"KEY"


def test_secrets_never_show_in_repr() -> None:
    settings = load_settings({**KEY, "ROUTER_AUTH_TOKEN": "tok-secret"})
    assert "sk-test-key" not in repr(settings)
    assert "tok-secret" not in repr(settings)
    assert "sk-test-key" not in str(settings.api_key)
