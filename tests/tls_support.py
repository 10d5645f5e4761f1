"""Throwaway self-signed TLS certificates for loopback servers (openssl CLI).

Tests that need one are skipped when the openssl command is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

# Long enough to outlast any test run; the files live in a temporary directory.
VALID_DAYS = 2
OPENSSL_TIMEOUT_S = 60


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """Write (cert.pem, key.pem) into `directory`, valid for IP 127.0.0.1 and DNS localhost."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
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
            str(VALID_DAYS),
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
        timeout=OPENSSL_TIMEOUT_S,
    )
    return cert, key


def self_signed_cert_pem(directory: Path) -> tuple[bytes, bytes]:
    """`self_signed_cert`, read back as (certificate PEM, private key PEM) bytes."""
    cert, key = self_signed_cert(directory)
    return cert.read_bytes(), key.read_bytes()
