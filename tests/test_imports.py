"""Imports point one way (see STYLE.md): a small walk over the package keeps the arrows honest."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "scraper"

# module prefix -> packages it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "scraper.decode": ("scraper.extract", "scraper.paywall", "scraper.net", "scraper.archive",
                       "scraper.sources", "scraper.pipeline", "scraper.cli", "scraper.poll"),
    "scraper.extract": ("scraper.net", "scraper.archive", "scraper.sources", "scraper.pipeline",
                        "scraper.cli", "scraper.poll", "scraper.daemon"),
    "scraper.paywall": ("scraper.net", "scraper.archive", "scraper.sources", "scraper.pipeline",
                        "scraper.cli", "scraper.poll", "scraper.daemon"),
    "scraper.archive": ("scraper.extract", "scraper.paywall", "scraper.net", "scraper.sources",
                        "scraper.pipeline", "scraper.cli", "scraper.poll", "scraper.daemon",
                        "scraper.search", "scraper.web"),
    "scraper.net": ("scraper.extract", "scraper.paywall", "scraper.archive", "scraper.pipeline",
                    "scraper.cli", "scraper.poll", "scraper.daemon"),
    "scraper.models": ("scraper.",),
    "scraper.errors": ("scraper.",),
    "scraper.pipeline": ("scraper.cli", "scraper.poll", "scraper.daemon"),
    "scraper.poll": ("scraper.cli", "scraper.daemon", "scraper.decode", "scraper.extract", "scraper.paywall",
                     "scraper.archive.store", "scraper.archive.db", "scraper.net.fetch", "scraper.net.robots",
                     "scraper.pipeline.steps", "scraper.workers"),
    "scraper.conditional": ("scraper.net", "scraper.archive", "scraper.pipeline", "scraper.poll",
                            "scraper.decode", "scraper.extract", "scraper.sources", "scraper.discover"),
    "scraper.schedule": ("scraper.",),
    # search follows the archive; the web view reads the archive and the index; neither fetches
    "scraper.search": ("scraper.cli", "scraper.web", "scraper.net", "scraper.pipeline",
                       "scraper.poll", "scraper.daemon", "scraper.extract", "scraper.paywall"),
    "scraper.web": ("scraper.cli", "scraper.net", "scraper.pipeline", "scraper.poll",
                    "scraper.daemon", "scraper.extract", "scraper.paywall"),
    # the lake publishes what the archive holds: it knows the archive, never how pages are fetched
    "scraper.lake": ("scraper.extract", "scraper.paywall", "scraper.net", "scraper.sources",
                     "scraper.pipeline", "scraper.cli", "scraper.poll", "scraper.daemon"),
}

# the table writers under the one write path: only archive/ calls them (everyone else hands a
# WriteRecord to scraper.archive.record.store or to the writer thread)
STORE_WRITERS = frozenset({"store_captures", "store_capture", "log_fetches", "record_skips",
                           "save_feed_states", "schedule_rechecks", "record_poll", "bulk_insert"})


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_only(tree: ast.AST) -> set[ast.AST]:
    """Nodes under ``if TYPE_CHECKING:``: imports for annotations, no arrow at run time."""
    out: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.body:
                out.update(ast.walk(child))
    return out


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    skip = _type_only(tree)
    for node in ast.walk(tree):
        if node in skip:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _imported_names(path: Path) -> set[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {(node.module, alias.name) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module for alias in node.names}


MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_only_the_archive_calls_its_table_writers(path: Path) -> None:
    name = _module_name(path)
    if name.startswith("scraper.archive"):
        return
    for module, imported in _imported_names(path):
        if module.startswith("scraper.archive") and imported in STORE_WRITERS:
            pytest.fail(f"{name} imports {module}.{imported}: store through scraper.archive.record")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_imports_point_one_way(path: Path) -> None:
    name = _module_name(path)
    rules = [bad for prefix, bad in FORBIDDEN.items() if name == prefix or name.startswith(prefix + ".")]
    if not rules:
        return
    for imported in _imports(path):
        for bad in (b for group in rules for b in group):
            if imported == bad.rstrip(".") or imported.startswith(bad if bad.endswith(".") else bad + "."):
                if imported.startswith(("scraper.models", "scraper.errors", "scraper.settings")) and \
                        not name.startswith(("scraper.models", "scraper.errors")):
                    continue
                pytest.fail(f"{name} imports {imported}, against the layering in STYLE.md")
