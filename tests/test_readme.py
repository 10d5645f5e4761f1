"""The README tells the truth: its commands are the ones the project runs and tests."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.grpcurl.grpcurl_recipes import read_recipes

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def sh_lines(text: str) -> list[str]:
    """Every command line of the document's `sh` blocks (comments stripped)."""
    blocks = re.findall(r"^```sh\n(.*?)^```", text, re.M | re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line]


def test_readme_grpcurl_commands_are_recipes_that_tests_run() -> None:
    tested = set(read_recipes().values())
    in_readme = [line for line in sh_lines(README) if line.startswith("grpcurl ")]
    assert len(in_readme) >= 5
    assert [line for line in in_readme if line not in tested] == []


def test_readme_gives_the_two_set_up_commands_and_ci_runs_the_test_one() -> None:
    set_up = [line for line in sh_lines(README) if line.startswith("./dev ")][:2]
    assert set_up == ["./dev demo", "./dev test"]
    assert "./dev test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_dev_script_lists_the_commands_the_readme_names() -> None:
    shown = subprocess.run(
        ["bash", str(ROOT / "dev"), "help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("./dev demo", "./dev test", "./dev check", "./dev gen"):
        assert command in shown


def test_readme_error_table_is_the_routers() -> None:
    errors = (ROOT / "router_service" / "ERRORS.md").read_text(encoding="utf-8")
    start = errors.index("| cause")
    table = errors[start : errors.index("\n\n", start)].splitlines()
    assert len(table) > 15
    assert [line for line in table if line not in README.splitlines()] == []
