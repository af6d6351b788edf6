"""The README's CLI and API references, tested against the Typer app and the OpenAPI spec.

As in Datasette's ``test_docs.py``: the tables are written by hand, so they must not drift.
Every command of the app is in a ``| command |`` table, every command and option a table names
exists; every API path is in the README, every ``/api/…`` path it names exists, and every filter
a row of the API table names is a parameter of one of that row's paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from ebpm.cli import app
from ebpm.web.app import create_app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
PROSE = re.sub(r"^```.*?^```", "", README, flags=re.S | re.M)  # fences would pair backticks wrongly
_CODE = re.compile(r"`([^`]+)`")


def _commands() -> dict[tuple[str, ...], Any]:
    """Every leaf command of the app by its path (``("research", "import")``)."""
    found: dict[tuple[str, ...], Any] = {}

    def walk(command: Any, path: tuple[str, ...]) -> None:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                walk(child, (*path, name))
        else:
            found[path] = command

    walk(get_command(app), ())
    return found


def _table_rows(header: str) -> Iterator[list[str]]:
    """The cells of every row of every README table whose first header cell is ``header``."""
    inside = False
    for line in README.splitlines():
        if line.startswith(f"| {header} |"):
            inside = True
            continue
        if not line.startswith("|"):
            inside = False
            continue
        if inside and not line.startswith("|---"):
            # a `\|` inside a cell is an escaped bar, not a cell border
            yield [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", line)[1:-1]]


def _documented_commands() -> Iterator[tuple[str, tuple[str, ...], set[str]]]:
    """(text, command path, options) for every ``ebpm …`` written in a command table's first column.

    Alternatives written ``list|add|remove`` as a word of the path stand for one command each.
    """
    commands = _commands()
    for cells in _table_rows("command"):
        for text in _CODE.findall(cells[0]):
            words = text.split()
            if not words or words[0] != "ebpm":
                continue
            options = set(re.findall(r"--[a-z][a-z-]*", text))
            paths: list[tuple[str, ...]] = [()]
            for word in words[1:]:
                extended = [(*p, alt) for p in paths for alt in word.split("|")]
                if any(tuple(c[: len(e)]) == e for e in extended for c in commands):
                    paths = extended
                else:
                    break
            for path in paths:
                yield text, path, options


def test_every_command_is_documented() -> None:
    documented = {path for _, path, _ in _documented_commands()}
    missing = [" ".join(("ebpm", *path)) for path in _commands() if path not in documented]
    assert not missing, f"commands missing from the README's command tables: {missing}"


def test_documented_commands_and_options_exist() -> None:
    commands = _commands()
    problems = []
    for text, path, options in _documented_commands():
        command = commands.get(path)
        if command is None:
            problems.append(f"{text}: no command {' '.join(path) or '(none)'}")
            continue
        known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
        problems += [f"{text}: {' '.join(path)} has no option {opt}" for opt in sorted(options - known)]
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("docs")
    application = create_app(
        folder / "kb.sqlite", monitoring_db=folder / "mon.sqlite", research_db=folder / "r.duckdb"
    )
    spec: dict[str, Any] = application.openapi()
    return spec


def _shape(path: str) -> str:
    """A path with its parameters unnamed: ``/api/sections/{id}`` and ``{section_id}`` are one."""
    return re.sub(r"\{[^}]+\}", "{}", path.split("?")[0])


def _readme_paths() -> set[str]:
    # `PUT /api/…` and `GET /api/…` name their path last
    last = (code.split()[-1] for code in _CODE.findall(PROSE) if code.strip())
    return {_shape(word) for word in last if word.startswith("/api/")}


def test_every_api_path_is_documented(spec: dict[str, Any]) -> None:
    documented = _readme_paths()
    missing = sorted(p for p in spec["paths"] if _shape(p) not in documented and p != "/api/openapi.json")
    assert not missing, f"API paths missing from the README: {missing}"


def _body_fields(spec: dict[str, Any], operation: dict[str, Any]) -> set[str]:
    """The fields of an operation's JSON body: a PUT's row names them as a GET's names its filters."""
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = content.get("schema", {}).get("$ref", "")
    schema = spec["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}) if ref else {}
    return set(schema.get("properties", {}))


def test_documented_api_paths_and_filters_exist(spec: dict[str, Any]) -> None:
    real = {_shape(p): p for p in spec["paths"]}
    real |= {"/api/": "/api/", "/api/openapi.json": "/api/openapi.json"}  # the prefix; the spec itself
    problems = [f"README names {p}, which the API does not have" for p in _readme_paths() - real.keys()]
    for cells in _table_rows("path"):
        paths = [_shape(c.split()[-1]) for c in _CODE.findall(cells[0]) if "/api/" in c]
        if not paths or len(cells) < 2:
            continue
        operations = [
            operation
            for shape in paths
            if real.get(shape) in spec["paths"]
            for operation in spec["paths"][real[shape]].values()
        ]
        parameters = {param["name"] for operation in operations for param in operation.get("parameters", ())}
        parameters |= {name for operation in operations for name in _body_fields(spec, operation)}
        for code in _CODE.findall(cells[1]):
            name = code.split("=")[0]
            if re.fullmatch(r"[a-z][a-z_]*", name) and name not in parameters:
                problems.append(f"{cells[0]}: no parameter {name!r}")
    assert not problems, "\n".join(problems)
