"""The house's layers (README, "Layout"): an app imports only apps below it, and no two apps
import each other. Read from the source with ``ast``, so an import inside a function counts
too; imports under ``if TYPE_CHECKING:`` (type hints only) do not."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. An app may import the apps of the layers below its own, never its own layer's
# other apps nor those above.
LAYERS: list[tuple[str, ...]] = [
    ("campaign",),  # the project package: settings, content, outbox, audit, request plumbing
    ("consent", "ledger"),  # records that signing writes in its own transaction
    ("signatures",),  # who signed: sign, confirm, withdraw, profiles, verification
    ("abuse", "optouts", "updates", "tracker"),  # features built on the signatures
    ("organise", "api", "pages"),  # the back office, the JSON API, the public pages
]
LAYER_OF = {app: level for level, apps in enumerate(LAYERS) for app in apps}

# The project's URLconf is the one place allowed to know every app.
MAY_NAME_EVERY_APP = {Path("campaign/urls.py")}


def local_apps() -> list[str]:
    return [app for app in settings.INSTALLED_APPS if "." not in app and (ROOT / app).is_dir()]


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, absolute module) of every import, but those only for type checkers."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def app_imports(app: str) -> dict[str, list[str]]:
    """{imported app: ["file:line", …]} for the other local apps ``app`` imports."""
    apps = set(local_apps())
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "migrations" in relative.parts or relative in MAY_NAME_EVERY_APP:
            continue
        for line, module in imported_modules(ast.parse(path.read_text(), str(path))):
            target = module.split(".")[0]
            if target in apps and target != app:
                found.setdefault(target, []).append(f"{relative}:{line}")
    return found


def test_every_app_has_a_layer():
    missing = [app for app in local_apps() if app not in LAYER_OF]
    assert not missing, f"Place these apps in tests/test_layers.py LAYERS: {missing}"


@pytest.mark.parametrize("app", [app for apps in LAYERS for app in apps])
def test_app_imports_only_the_layers_below(app):
    if app not in local_apps():
        pytest.skip(f"{app} is not installed")
    wrong = {
        target: places
        for target, places in app_imports(app).items()
        if LAYER_OF.get(target, len(LAYERS)) >= LAYER_OF[app]
    }
    assert not wrong, f"{app} (layer {LAYER_OF[app]}) imports apps at or above its layer: {wrong}"


def test_no_import_loop_between_apps():
    """Separately from the layers, so that a loop is named as such even if someone edits
    LAYERS to let it through."""
    graph = {app: set(app_imports(app)) for app in local_apps()}
    loops = []

    def walk(app: str, path: list[str]) -> None:
        for target in sorted(graph.get(app, ())):
            if target in path:
                loops.append(path[path.index(target) :] + [target])
            elif len(path) < len(graph):
                walk(target, path + [target])

    for app in graph:
        walk(app, [app])
    assert not loops, f"Import loops between apps: {sorted({' -> '.join(loop) for loop in loops})}"


def test_the_check_sees_a_violation(tmp_path):
    """The reader of imports finds what it must, and skips type-only imports."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "import signatures.models\n"
        "if TYPE_CHECKING:\n"
        "    from organise import roles\n"
        "def later():\n"
        "    from abuse.services import screen_signature\n"
    )
    modules = [module for _line, module in imported_modules(ast.parse(source))]
    assert modules == ["typing", "signatures.models", "abuse.services"]
