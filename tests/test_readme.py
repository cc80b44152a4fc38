"""The README stays true: every command and option, setting, sources.yaml field, signal name and
exit code it should explain is in it (sqlite-utils's and datasette's docs tests)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from pydantic import BaseModel

from scraper.cli import cli
from scraper.errors import EXIT_CODES
from scraper.settings import ENV_VARS
from scraper.sources.config import Source

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        out.append((full, command))
        if isinstance(command, click.Group):
            out.extend(_commands(command, full + " "))
    return out


COMMANDS = _commands(cli)


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_and_option_is_in_the_readme(name: str, command: click.Command) -> None:
    assert f"scraper {name}" in README, f"`scraper {name}` is not in the README"
    for param in command.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt not in ("--help",):
                assert opt in README, f"{opt} of `scraper {name}` is not in the README"


def test_group_options_are_in_the_readme() -> None:
    for param in cli.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt not in ("--help", "--version"):
                assert opt in README


@pytest.mark.parametrize("var", sorted(v for v, _ in ENV_VARS.values()))
def test_every_environment_variable_is_in_the_readme(var: str) -> None:
    assert var in README


def _fields(model: type[BaseModel], prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, info in model.model_fields.items():
        out.append(prefix + name)
        kind = info.annotation
        for candidate in getattr(kind, "__args__", (kind,)):
            inner = getattr(candidate, "__origin__", None) or candidate
            if isinstance(inner, type) and issubclass(inner, BaseModel) and inner.__name__ in (
                    "Extraction", "Paywall", "ArticleUrl", "Politeness"):
                out.extend(_fields(inner, prefix + name + "."))
    return out


@pytest.mark.parametrize("field", _fields(Source))
def test_every_sources_yaml_field_is_in_the_reference(field: str) -> None:
    section = README[README.index("## `sources.yaml` reference"):README.index("## How to add a source")]
    leaf = field.rsplit(".", 1)[-1]
    assert f"`{field}`" in section or f"`{leaf}`" in section or f"/ `{leaf}`" in section, field


def _signal_names() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "scraper" / "paywall").glob("*.py"):
        for match in re.finditer(r'Signal\(\s*f?"([a-z]+:[A-Za-z_-]+)', path.read_text(encoding="utf-8")):
            names.add(match.group(1))
    return names


@pytest.mark.parametrize("signal", sorted(_signal_names()))
def test_every_signal_is_explained(signal: str) -> None:
    family = signal.split(":")[0]
    assert signal in README or f"`{family}:" in README, signal


def test_signal_scan_finds_the_known_families() -> None:
    assert {"haspart:selector-missing", "length:below-wordcount", "dom:paywall-box"} <= _signal_names()


@pytest.mark.parametrize("code", sorted(set(EXIT_CODES.values())))
def test_every_exit_code_is_documented(code: int) -> None:
    table = README[README.index("### Exit codes"):README.index("## Python API")]
    assert f"| {code} |" in table


def test_the_two_setup_commands_are_shown() -> None:
    assert "make demo" in README and "make test" in README
