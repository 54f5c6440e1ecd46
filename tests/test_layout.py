"""The layout keeps its shape: one concern per module, imports only run down the stages.

The stages, lowest first. A module may import from its own stage or any stage below, never from
a stage above (and so never in a circle between stages).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import cw_pophealth

PACKAGE = Path(cw_pophealth.__file__).resolve().parent
#: Stage of each top-level module or sub-package, lowest first.
STAGES = [
    {"errors"},
    {"config", "catalogue", "periods", "atomic", "fingerprint", "arrow_memory"},
    {"schema", "memo"},
    {"geography"},
    {"stats", "fingertips"},
    {"snapshot", "analysis", "sources", "neighbours"},
    {"plots"},
    {"runner"},
    {"report", "cli"},
]
LEVEL = {name: level for level, names in enumerate(STAGES) for name in names}
MAX_LINES = 600


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def stage_of(path: Path) -> str:
    part = path.relative_to(PACKAGE).parts[0]
    return part.removesuffix(".py")


def imported_stages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "cw_pophealth" and len(parts) > 1 and parts[1] in LEVEL:
                found.add(parts[1])
    return found


def test_every_module_belongs_to_a_stage():
    unknown = {stage_of(p) for p in modules()} - set(LEVEL) - {"__init__"}
    assert unknown == set()


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_only_run_down_the_stages(path):
    own = stage_of(path)
    if own == "__init__":
        return
    upward = {s for s in imported_stages(path) if LEVEL[s] > LEVEL[own]}
    assert upward == set(), f"{own} imports from the higher stage(s) {sorted(upward)}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_600_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_the_check_sees_an_upward_import():
    # A stage test that could never fail would prove nothing: a stats module importing the
    # runner is caught.
    sample = "from cw_pophealth.runner import run_reports\n"
    tree_stages = set()
    for node in ast.walk(ast.parse(sample)):
        if isinstance(node, ast.ImportFrom):
            tree_stages.add(node.module.split(".")[1])
    assert {s for s in tree_stages if LEVEL[s] > LEVEL["stats"]} == {"runner"}
