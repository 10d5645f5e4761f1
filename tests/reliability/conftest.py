"""Fixtures: groups of real service processes on loopback, and a self-signed TLS pair."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability_procs import ProcessGroup, TlsFiles, process_group


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
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return TlsFiles(cert, key)
