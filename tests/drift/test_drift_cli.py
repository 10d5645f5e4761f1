"""`telemetry-service drift` against the real service (the CLI runs in a worker thread so
the server keeps serving on the test's event loop)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from telemetry_service.cli import main
from telemetry_service.server import TelemetryApp
from tests.drift.conftest import running_app
from tests.drift.drift_rows import DAY, insert_selections, sample_counts


def iso(epoch_s: float) -> str:
    return dt.datetime.fromtimestamp(epoch_s, tz=dt.UTC).isoformat()


async def load_shift(app: TelemetryApp) -> float:
    """Ten days of the balanced tier; its top model changes on day 5."""
    assert app.store is not None
    rng = random.Random(5)
    start = (time.time() // DAY - 12) * DAY
    rows = []
    for day in range(10):
        shares = {"a/alpha": 0.8, "b/beta": 0.2} if day < 5 else {"c/gamma": 0.9, "b/beta": 0.1}
        rows += sample_counts(
            rng, start + day * DAY, start + (day + 1) * DAY, "balanced", shares, 60
        )
    await insert_selections(app.store, rows)
    return start


def drift_args(app: TelemetryApp, start: float, *extra: str) -> list[str]:
    return [
        "drift",
        "--addr",
        f"127.0.0.1:{app.port}",
        "--window",
        "1d",
        "--since",
        iso(start),
        "--until",
        iso(start + 10 * DAY),
        *extra,
    ]


async def test_table_report_names_the_shift(
    telemetry_app: TelemetryApp, capsys: pytest.CaptureFixture[str]
) -> None:
    start = await load_shift(telemetry_app)
    code = await asyncio.to_thread(main, drift_args(telemetry_app, start), {})
    out = capsys.readouterr().out
    assert code == 0
    assert "Drift events (3)" in out
    shift_line = next(line for line in out.splitlines() if "top model changed" in line)
    assert shift_line.startswith(iso(start + 5 * DAY)[:10])
    assert "c/gamma" in shift_line and "a/alpha 8" in shift_line
    assert "600 selections" in out


async def test_json_report_and_chart(
    telemetry_app: TelemetryApp, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    start = await load_shift(telemetry_app)
    chart = tmp_path / "out" / "drift.png"
    args = drift_args(telemetry_app, start, "--format", "json", "--plot", str(chart))
    code = await asyncio.to_thread(main, args, {})
    captured = capsys.readouterr()
    assert code == 0
    report = json.loads(captured.out)
    kinds = {e["kind"] for e in report["events"]}
    assert kinds == {
        "DRIFT_EVENT_KIND_TOP_MODEL_CHANGED",
        "DRIFT_EVENT_KIND_MODEL_APPEARED",
        "DRIFT_EVENT_KIND_MODEL_DISAPPEARED",
    }
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "1 tier panels" in captured.err


async def test_server_side_argument_error_names_the_flag(
    telemetry_app: TelemetryApp, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["drift", "--addr", f"127.0.0.1:{telemetry_app.port}", "--since", "1d", "--until", "2d"]
    code = await asyncio.to_thread(main, args, {})
    assert code == 2
    assert "--until: must be after filter.since" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        pytest.param(["--tier", "gold"], "--tier: unknown tier 'gold'", id="unknown-tier"),
        pytest.param(["--window", "0s"], "--window: must be at least 1s", id="window-0s"),
        pytest.param(["--window", "fortnight"], "--window: expected a duration", id="window-junk"),
        pytest.param(
            ["--since", "2999-01-01T00:00:00Z"],
            "--since: '2999-01-01T00:00:00Z' is in the future",
            id="since-future",
        ),
        pytest.param(["--since", "yesterday"], "--since: expected a duration", id="since-junk"),
        pytest.param(["--until", "soon"], "--until: expected a duration", id="until-junk"),
    ],
)
def test_bad_flags_are_refused_before_any_call(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Port 9 (discard) on loopback: nothing listens, and nothing is asked.
    code = main(["drift", "--addr", "127.0.0.1:9", *flags], {})
    assert code == 2
    assert message in capsys.readouterr().err


def test_unreachable_service_exits_1_and_points_at_addr(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["drift", "--addr", "127.0.0.1:9", "--timeout", "2"], {})
    assert code == 1
    assert "see --addr" in capsys.readouterr().err


@pytest.fixture
async def guarded_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[TelemetryApp]:
    """The service with a query token (TELEMETRY_QUERY_TOKEN) required."""
    monkeypatch.setenv("TELEMETRY_CATALOG_INTERVAL_S", "0")
    async with running_app(tmp_path, TELEMETRY_QUERY_TOKEN="drift-token") as app:
        yield app


@pytest.mark.parametrize(
    ("environ", "code"),
    [
        pytest.param({"TELEMETRY_QUERY_TOKEN": "drift-token"}, 0, id="token-sent"),
        pytest.param({}, 1, id="no-token-refused"),
    ],
)
async def test_query_token_comes_from_the_environment(
    guarded_app: TelemetryApp,
    environ: dict[str, str],
    code: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    environ = {**environ, "TELEMETRY_LISTEN_ADDR": f"127.0.0.1:{guarded_app.port}"}
    assert await asyncio.to_thread(main, ["drift"], environ) == code
    if code:
        assert "UNAUTHENTICATED" in capsys.readouterr().err
