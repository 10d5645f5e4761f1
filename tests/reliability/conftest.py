"""Fixtures: groups of real service processes on loopback, and a self-signed TLS pair."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.reliability_procs import ProcessGroup, TlsFiles, process_group
from tests.tls_support import self_signed_cert


@pytest.fixture
def group(tmp_path: Path) -> Iterator[ProcessGroup]:
    """Processes started by one test; all stopped (SIGTERM, then SIGKILL) at its end."""
    with process_group(tmp_path) as started:
        yield started


@pytest.fixture(scope="module")
def module_group(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessGroup]:
    """Processes shared by the tests of one module."""
    with process_group(tmp_path_factory.mktemp("procs")) as started:
        yield started


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1 / localhost, made with the openssl CLI."""
    cert, key = self_signed_cert(tmp_path_factory.mktemp("tls"))
    return TlsFiles(cert, key)
