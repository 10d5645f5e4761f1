"""docs/operations.md documents every variable and flag the services read, and nothing that
they do not: the reference is checked against the code, not kept by hand."""

from __future__ import annotations

import argparse
import re

import pytest

from openrouter_sim.cli import build_parser as sim_parser
from router_service.cli import build_parser as router_parser
from telemetry_service.cli import build_parser as telemetry_parser
from tests.deploy.deploy_manifests import PATTERN, REPO, env_vars_read, is_read, package_dir

OPERATIONS = REPO / "docs" / "operations.md"
OUR_PREFIXES = ("ROUTER_", "TELEMETRY_", "OPENROUTER_", "CLICKHOUSE_", "OTEL_")


def documented() -> str:
    return OPERATIONS.read_text(encoding="utf-8")


def code_variables() -> set[str]:
    return set(env_vars_read(package_dir("router_service"))) | set(
        env_vars_read(package_dir("telemetry_service"))
    )


def backticked_variables(text: str) -> set[str]:
    return {
        name
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", text)
        if name.startswith(OUR_PREFIXES) and "_" in name
    }


def test_every_variable_the_code_reads_is_documented() -> None:
    text = documented()
    missing = sorted(
        v for v in code_variables() if f"`{v}`" not in text and not v.startswith(PATTERN)
    )
    assert missing == [], f"add these to docs/operations.md: {missing}"


# Names the page mentions that are not our services' variables.
NOT_OUR_VARIABLES = {
    "OTEL_EXPORTER_OTLP_HEADERS": "read by the OTLP exporter library itself",
    "CLICKHOUSE_DB": "the ClickHouse server image's variable",
    "ROUTER_OVERLOADED": "an ErrorInfo reason",
    "QUERY_BUSY": "an ErrorInfo reason",
}


def test_every_documented_variable_is_read_by_the_code() -> None:
    read = code_variables()
    stale = {
        name
        for name in backticked_variables(documented())
        if not is_read(name, read) and name not in NOT_OUR_VARIABLES
    }
    assert sorted(stale) == []


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    flags: set[str] = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                flags |= _flags(sub)
        else:
            flags |= {o for o in action.option_strings if o.startswith("--") and o != "--help"}
    return flags


@pytest.mark.parametrize(
    "parser",
    [
        pytest.param(router_parser(), id="router-service"),
        pytest.param(telemetry_parser({}), id="telemetry-service"),
        pytest.param(sim_parser(), id="openrouter-sim"),
    ],
)
def test_every_command_line_flag_is_documented(parser: argparse.ArgumentParser) -> None:
    text = documented()
    missing = sorted(f for f in _flags(parser) if f not in text)
    assert missing == [], f"add these flags to docs/operations.md: {missing}"


def test_the_extraction_finds_variables_read_in_each_style() -> None:
    found = code_variables()
    # environ.get("X"), helper(environ, "X", ...), a local `name = "X"`, a module constant.
    assert {
        "ROUTER_LISTEN_ADDR",
        "ROUTER_WORKERS",
        "CLICKHOUSE_URL",
        "TELEMETRY_CATALOG_INTERVAL_S",
    } <= found
    # f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT" becomes a pattern.
    assert is_read("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", found)
    assert not is_read("OTEL_EXPORTER_OTLP_NOT_A_SETTING", found)
