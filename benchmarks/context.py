"""What every phase of a run shares: paths, tool locations and the request bodies."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunContext:
    root: Path
    """Repository root."""
    tools_dir: Path
    """Where the peers and ghz are installed (.tools/)."""
    work_dir: Path
    """Scratch space for this run (configs, data dirs, port files); removed afterwards."""
    out_dir: Path
    """Raw outputs and logs of this run, kept under benchmarks/results/."""
    bodies: dict[str, Path]
    profile: bool = False
    """Sample the router and telemetry with py-spy during their loads (slows them down)."""

    @property
    def ghz(self) -> Path:
        return self.tools_dir / "bin" / "ghz"

    @property
    def log_dir(self) -> Path:
        return self.out_dir / "logs"
