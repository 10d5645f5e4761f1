"""Frontier-drift analysis: what the Pareto Router picks, how it changes, whether it pays off.

Pure parts (statistics, event detection, catalog frontier, filters) are importable and
testable without a database; `analysis` runs them over a `DriftStore`; `rpc`, `cli` and
`catalog` are the edges (gRPC, terminal, OpenRouter's /models).
"""

from telemetry_service.drift.confidence import Confidence, confidence_for
from telemetry_service.drift.stats import js_divergence

__all__ = ["Confidence", "confidence_for", "js_divergence"]
