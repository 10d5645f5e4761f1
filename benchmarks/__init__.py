"""Benchmarks for the router and telemetry services (not part of the test suite).

Run everything with ``benchmarks/run.sh``; see docs/benchmarks.md.
"""
