"""load_settings: defaults, validation naming the variable, password never shown."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from telemetry_service.config import SettingsError, load_settings, redact_url


def test_defaults_use_an_absolute_embedded_path_under_the_working_directory() -> None:
    settings = load_settings({}, cwd="/srv/app")
    assert settings.listen_addr == "127.0.0.1:4317"
    assert settings.clickhouse_url == "chdb:///srv/app/.council-data/clickhouse"
    assert settings.query_enabled is True
    assert (settings.max_batch_rows, settings.max_buffer_rows) == (50_000, 500_000)


def test_data_dir_moves_the_embedded_engine() -> None:
    settings = load_settings({"TELEMETRY_DATA_DIR": "/var/lib/t"}, cwd="/srv")
    assert settings.clickhouse_url == "chdb:///var/lib/t/clickhouse"


def test_server_url_is_kept_and_redacted_for_logs() -> None:
    url = "https://user:hunter2@ch.example.com:8443/telemetry"
    settings = load_settings({"CLICKHOUSE_URL": url})
    assert settings.clickhouse_url == url
    assert settings.redacted_clickhouse_url() == "https://user:***@ch.example.com:8443/telemetry"


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        pytest.param({"TELEMETRY_LISTEN_ADDR": "nohost"}, "TELEMETRY_LISTEN_ADDR", id="listen"),
        pytest.param({"CLICKHOUSE_URL": "ftp://x"}, "CLICKHOUSE_URL", id="scheme"),
        pytest.param({"CLICKHOUSE_URL": "chdb://"}, "CLICKHOUSE_URL", id="chdb-no-path"),
        pytest.param({"TELEMETRY_QUERY_ENABLED": "maybe"}, "TELEMETRY_QUERY_ENABLED", id="bool"),
        pytest.param({"TELEMETRY_MAX_BATCH_ROWS": "ten"}, "TELEMETRY_MAX_BATCH_ROWS", id="int"),
        pytest.param({"TELEMETRY_MAX_BATCH_ROWS": "0"}, "TELEMETRY_MAX_BATCH_ROWS", id="range"),
        pytest.param(
            {"TELEMETRY_MAX_BATCH_ROWS": "100", "TELEMETRY_MAX_BUFFER_ROWS": "10"},
            "TELEMETRY_MAX_BUFFER_ROWS",
            id="buffer-below-batch",
        ),
        pytest.param(
            {"TELEMETRY_FLUSH_INTERVAL_MS": "-5"}, "TELEMETRY_FLUSH_INTERVAL_MS", id="interval"
        ),
        pytest.param({"TELEMETRY_LOG_FORMAT": "xml"}, "TELEMETRY_LOG_FORMAT", id="log-format"),
        pytest.param({"TELEMETRY_CLUSTER": "a b"}, "TELEMETRY_CLUSTER", id="cluster"),
        pytest.param(
            {"TELEMETRY_TLS_CERT_FILE": "/nope.pem"}, "TELEMETRY_TLS_KEY_FILE", id="tls-pair"
        ),
    ],
)
def test_bad_value_raises_naming_the_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    assert caught.value.variable == variable
    assert str(caught.value).startswith(variable)


def test_bad_url_message_hides_the_password() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"CLICKHOUSE_URL": "http://u:topsecret@:bad/db"})
    assert "topsecret" not in str(caught.value)


def test_redact_url_leaves_urls_without_password_alone() -> None:
    assert redact_url("chdb:///data/ch") == "chdb:///data/ch"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        pytest.param("TELEMETRY_MAX_BUFFER_ROWS", "lots", id="buffer"),
        pytest.param("TELEMETRY_CATALOG_INTERVAL_S", "-1", id="catalog-interval"),
    ],
)
async def test_serve_exits_2_naming_the_bad_variable(
    tmp_path: Path, variable: str, value: str
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "telemetry_service",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        str(tmp_path),
        env={"PATH": "/usr/bin:/bin", variable: value},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert variable in stderr.decode()
    assert "Traceback" not in stderr.decode()


async def test_serve_on_a_port_in_use_exits_2_naming_the_listen_variable(
    tmp_path: Path,
) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "telemetry_service",
            "serve",
            "--listen",
            f"127.0.0.1:{port}",
            "--data-dir",
            str(tmp_path),
            env={"PATH": "/usr/bin:/bin", "TELEMETRY_CATALOG_INTERVAL_S": "0"},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert "TELEMETRY_LISTEN_ADDR" in stderr.decode()


async def test_unreachable_clickhouse_server_exits_1_without_the_password() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "telemetry_service",
        "serve",
        "--listen",
        "127.0.0.1:0",
        env={
            "PATH": "/usr/bin:/bin",
            "CLICKHOUSE_URL": "http://writer:pa55word@127.0.0.1:1/telemetry",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    text = stderr.decode()
    assert process.returncode == 1
    assert "cannot open ClickHouse at http://writer:***@127.0.0.1:1/telemetry" in text
    assert "pa55word" not in text
