"""Running h2load (nghttp2) and reading its results.

h2load prints throughput and HTTP status counts but no percentiles; ``--log-file`` gives one
line per request (start time in us since the epoch, HTTP status, duration in us), from which
the percentiles here are computed.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """One endpoint to load: a URL, its protocol, the body to POST and extra headers."""

    name: str
    url: str
    body_file: Path
    headers: tuple[str, ...]
    http1: bool


@dataclass
class LoadResult:
    target: str
    clients: int
    requests: int
    succeeded: int
    failed: int
    errored: int
    timeout: int
    status_2xx: int
    status_other: int
    seconds: float
    req_per_s: float
    latency_ms_p50: float
    latency_ms_p90: float
    latency_ms_p99: float
    latency_ms_max: float
    latency_ms_mean: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


_REQUESTS = re.compile(
    r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
    r"(\d+) errored, (\d+) timeout"
)
_STATUS = re.compile(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx")
_FINISHED = re.compile(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s")


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of an already sorted sequence."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * q // 100))
    return float(sorted_values[min(len(sorted_values), int(rank)) - 1])


def read_latencies_ms(log_file: Path) -> list[float]:
    """Per-request durations in ms from an h2load --log-file, sorted ascending."""
    values: list[float] = []
    for line in log_file.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[2].strip().isdigit():
            values.append(int(parts[2]) / 1000.0)
    values.sort()
    return values


def parse_summary(text: str) -> dict[str, float]:
    """The totals h2load prints at the end of a run."""
    req = _REQUESTS.search(text)
    status = _STATUS.search(text)
    finished = _FINISHED.search(text)
    if not (req and status and finished):
        raise ValueError(f"unexpected h2load output:\n{text[-2000:]}")
    seconds = float(finished.group(1)) / (1000.0 if finished.group(2) == "ms" else 1.0)
    return {
        "requests": int(req.group(1)),
        "succeeded": int(req.group(4)),
        "failed": int(req.group(5)),
        "errored": int(req.group(6)),
        "timeout": int(req.group(7)),
        "status_2xx": int(status.group(1)),
        "status_other": int(status.group(2)) + int(status.group(3)) + int(status.group(4)),
        "seconds": seconds,
        "req_per_s": float(finished.group(3)),
    }


def build_argv(
    target: Target, clients: int, requests: int, log_file: Path, duration_s: int = 0
) -> list[str]:
    """h2load arguments: ``requests`` in total, or as many as fit in ``duration_s`` seconds."""
    exe = shutil.which("h2load") or "/usr/bin/h2load"
    amount = ["-D", str(duration_s)] if duration_s else ["-n", str(requests)]
    argv = [exe, *amount, "-c", str(clients), "-m", "1", "-t", "1"]
    argv += ["-d", str(target.body_file), "--log-file", str(log_file)]
    # Inactivity timeout (s): a stuck gateway ends the run instead of hanging it.
    argv += ["-N", "30"]
    if target.http1:
        argv.append("--h1")
    for header in target.headers:
        argv += ["-H", header]
    argv.append(target.url)
    return argv


def run(
    target: Target, clients: int, requests: int, out_dir: Path, label: str, duration_s: int = 0
) -> LoadResult:
    """Run h2load once over ``clients`` connections, one request in flight on each.

    ``requests`` POSTs in total, or with ``duration_s`` as many as fit in that many seconds
    (a gateway's throughput run then takes the same time whatever its speed).
    """
    log_file = out_dir / f"h2load-{label}.tsv"
    log_file.unlink(missing_ok=True)
    argv = build_argv(target, clients, requests, log_file, duration_s)
    log.info("h2load %s: c=%d n=%d D=%ds", label, clients, requests, duration_s)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    (out_dir / f"h2load-{label}.out").write_text(done.stdout + done.stderr)
    summary = parse_summary(done.stdout)
    latencies = read_latencies_ms(log_file)
    return LoadResult(
        target=target.name,
        clients=clients,
        requests=int(summary["requests"]),
        succeeded=int(summary["succeeded"]),
        failed=int(summary["failed"]),
        errored=int(summary["errored"]),
        timeout=int(summary["timeout"]),
        status_2xx=int(summary["status_2xx"]),
        status_other=int(summary["status_other"]),
        seconds=round(summary["seconds"], 3),
        req_per_s=round(summary["req_per_s"], 1),
        latency_ms_p50=round(percentile(latencies, 50), 3),
        latency_ms_p90=round(percentile(latencies, 90), 3),
        latency_ms_p99=round(percentile(latencies, 99), 3),
        latency_ms_max=round(latencies[-1], 3) if latencies else float("nan"),
        latency_ms_mean=round(sum(latencies) / len(latencies), 3) if latencies else float("nan"),
    )
