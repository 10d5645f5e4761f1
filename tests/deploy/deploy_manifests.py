"""Loading and small pure checks shared by the deployment tests (no network, no Docker)."""

from __future__ import annotations

import ast
import json
import re
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE_FILE = DEPLOY / "docker-compose.yaml"
DOCKERFILES = {
    "router": DEPLOY / "docker" / "router.Dockerfile",
    "telemetry": DEPLOY / "docker" / "telemetry.Dockerfile",
}
# Kubernetes version whose bundled schemas the manifests must satisfy (grpc probes are GA since
# 1.27, the preStop sleep action is on by default since 1.30).
K8S_VERSION = "1.30.0"

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")


def interpolate(text: str, environ: Mapping[str, str]) -> str:
    """Compose-style `${NAME}` / `${NAME:-default}` substitution (what `docker compose` does)."""

    def repl(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = environ.get(name, "")
        return value if value else (default or "")

    return _VAR.sub(repl, text)


def load_compose(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    text = interpolate(COMPOSE_FILE.read_text(encoding="utf-8"), environ or {})
    doc = yaml.safe_load(text)
    assert isinstance(doc, dict)
    return doc


def compose_schema() -> dict[str, Any]:
    """The Compose Specification JSON schema vendored inside the check-jsonschema package."""
    ref = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json")
    schema = json.loads(ref.read_text(encoding="utf-8"))
    assert isinstance(schema, dict)
    return schema


def k8s_files() -> list[Path]:
    return sorted(p for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def k8s_documents(paths: Iterable[Path] | None = None) -> list[tuple[Path, dict[str, Any]]]:
    docs: list[tuple[Path, dict[str, Any]]] = []
    for path in paths if paths is not None else k8s_files():
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                docs.append((path, doc))
    return docs


def k8s_object(kind: str, name: str) -> dict[str, Any]:
    for _path, doc in k8s_documents():
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    raise KeyError(f"{kind}/{name} not in deploy/k8s")


def containers(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]["template"]["spec"]
    return list(spec.get("containers", [])) + list(spec.get("initContainers", []))


def container_env(container: Mapping[str, Any]) -> dict[str, Any]:
    """name -> value (a string) or valueFrom (a dict)."""
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


@dataclass(frozen=True)
class Instruction:
    stage: int
    keyword: str
    args: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with line continuations joined and comments dropped; stage = FROM index."""
    logical: list[str] = []
    buffer = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buffer and (not line or line.startswith("#")):
            continue
        if buffer and line.startswith("#"):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        logical.append(buffer + line)
        buffer = ""
    if buffer:
        logical.append(buffer)
    out: list[Instruction] = []
    stage = -1
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        out.append(Instruction(stage, keyword, args.strip()))
    return out


def exec_form(args: str) -> list[str]:
    """`["a", "b"]` (exec form) or a shell string, as a list of words."""
    text = args.strip()
    if text.startswith("["):
        value = json.loads(text)
        assert isinstance(value, list)
        return [str(v) for v in value]
    return shlex.split(text)


def _is_pip(word: str) -> bool:
    return word.rsplit("/", 1)[-1] in ("pip", "pip3")


def pip_install_targets(run_args: str) -> list[list[str]]:
    """For each `pip install` in a RUN line, the non-option arguments it installs."""
    targets: list[list[str]] = []
    for command in re.split(r"&&|;|\|\|", run_args):
        words = shlex.split(command)
        for i in range(len(words) - 1):
            if _is_pip(words[i]) and words[i + 1] == "install":
                # Covers `pip install`, `/opt/venv/bin/pip install` and `python -m pip install`.
                targets.append(_positional(words[i + 2 :]))
    return targets


_OPTIONS_WITH_VALUE = {
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-t",
    "--target",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--prefix",
}


def _positional(words: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word in _OPTIONS_WITH_VALUE:
            # A requirements file is a second dependency list too: report it as a target.
            if word in ("-r", "--requirement", "-c", "--constraint"):
                out.append(word)
            skip = True
            continue
        if word.startswith("-"):
            continue
        out.append(word)
    return out


def dockerfile_env(instructions: Iterable[Instruction], stage: int) -> dict[str, str]:
    env: dict[str, str] = {}
    for ins in instructions:
        if ins.stage == stage and ins.keyword == "ENV":
            for word in shlex.split(ins.args):
                name, _, value = word.partition("=")
                env[name] = value
    return env


def _python_files(root: Path) -> Iterator[Path]:
    yield from (p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


@cache
def _source_text(root: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in _python_files(root))


def mentions(root: Path, name: str) -> bool:
    """`name` appears as a quoted string literal in the Python files under `root`."""
    text = _source_text(root)
    return f'"{name}"' in text or f"'{name}'" in text


def package_dir(module: str) -> Path:
    return Path(str(resources.files(module)))


_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def _mentions_environ(node: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.Name) and "environ" in n.id)
        or (isinstance(n, ast.Attribute) and n.attr in ("environ", "getenv"))
        or (isinstance(n, ast.Name) and n.id in ("env",))
        for n in ast.walk(node)
    )


@cache
def env_vars_read(root: Path) -> frozenset[str]:
    """Variable names the code under `root` looks up in an environment mapping.

    A call counts when one of its arguments (or the object it is called on) is an environ
    mapping and a string argument looks like a variable name; names bound to string constants
    and used as such arguments (INTERVAL_VARIABLE = "...", name = "...") are resolved.
    """
    found: set[str] = set()
    for path in _python_files(root):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        constants = {
            t.id: node.value.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
            for t in node.targets
            if isinstance(t, ast.Name)
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not _mentions_environ(node):
                continue
            for arg in node.args:
                value = None
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    value = arg.value
                elif isinstance(arg, ast.Name):
                    value = constants.get(arg.id)
                elif isinstance(arg, ast.JoinedStr):
                    value = _template(arg)
                if value and (_ENV_NAME.match(value) or value.startswith(PATTERN)):
                    found.add(value)
    return frozenset(found)


# Marks a name template (from an f-string) among plain names.
PATTERN = "pattern:"


def _template(node: ast.JoinedStr) -> str:
    """f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT" -> `pattern:^OTEL_EXPORTER_OTLP_[A-Z]+_ENDPOINT$`."""
    parts = []
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            parts.append(re.escape(value.value))
        else:
            parts.append("[A-Z]+")
    return PATTERN + "^" + "".join(parts) + "$"


def is_read(name: str, read: Iterable[str]) -> bool:
    """`name` is one of the names in `read`, or matches one of its f-string templates."""
    return any(
        r == name or (r.startswith(PATTERN) and re.match(r.removeprefix(PATTERN), name))
        for r in read
    )
