"""Starting the project's own services (router, telemetry) as their CLIs do in production."""

from __future__ import annotations

from pathlib import Path

from benchmarks import processes

ROUTER_API_KEY = "sk-bench-not-a-secret"


def venv_bin(root: Path, name: str) -> str:
    return str(root / ".venv" / "bin" / name)


def start_router(
    root: Path,
    run_dir: Path,
    log_dir: Path,
    *,
    name: str,
    base_url: str,
    workers: int,
    otlp_endpoint: str | None,
    extra_env: dict[str, str] | None = None,
) -> tuple[processes.Service, int]:
    """``router-service serve`` on 127.0.0.1; tracing off unless an OTLP endpoint is given."""
    port = processes.free_port()
    port_file = run_dir / f"{name}.port"
    port_file.unlink(missing_ok=True)
    env = {
        "OPENROUTER_BASE_URL": base_url,
        "OPENROUTER_API_KEY": ROUTER_API_KEY,
        "ROUTER_LOG_LEVEL": "warning",
    }
    if otlp_endpoint is None:
        env["OTEL_SDK_DISABLED"] = "true"
    else:
        env["OTEL_SDK_DISABLED"] = "false"
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp_endpoint
        env["OTEL_EXPORTER_OTLP_INSECURE"] = "true"
    env.update(extra_env or {})
    argv = [
        venv_bin(root, "router-service"),
        "serve",
        "--listen",
        f"127.0.0.1:{port}",
        "--port-file",
        str(port_file),
        "--workers",
        str(workers),
    ]
    service = processes.start(name, argv, log_dir, env=env, cwd=root)
    bound = processes.wait_for_port_file(port_file, 60, service.proc)
    processes.wait_for_port(bound, 30, service.proc)
    return service, bound


def start_telemetry(
    root: Path,
    run_dir: Path,
    log_dir: Path,
    *,
    name: str,
    data_dir: Path,
    extra_env: dict[str, str] | None = None,
) -> tuple[processes.Service, int]:
    """``telemetry-service serve`` on 127.0.0.1 with its embedded engine under ``data_dir``."""
    port = processes.free_port()
    port_file = run_dir / f"{name}.port"
    port_file.unlink(missing_ok=True)
    env = {
        "TELEMETRY_LOG_LEVEL": "warning",
        # No catalog polling: the run stays on 127.0.0.1 and the poller's HTTP calls would
        # compete with the load for CPU.
        "TELEMETRY_CATALOG_INTERVAL_S": "0",
    }
    env.update(extra_env or {})
    argv = [
        venv_bin(root, "telemetry-service"),
        "serve",
        "--listen",
        f"127.0.0.1:{port}",
        "--data-dir",
        str(data_dir),
        "--port-file",
        str(port_file),
    ]
    service = processes.start(name, argv, log_dir, env=env, cwd=root)
    bound = processes.wait_for_port_file(port_file, 120, service.proc)
    processes.wait_for_port(bound, 30, service.proc)
    return service, bound
