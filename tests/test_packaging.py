"""Tests that the project's environment files agree and the layout contract holds."""

from __future__ import annotations

import re

import tomllib
import yaml

from cw_pophealth.config import PROJECT_ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject():
    return tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())


def _conda_names() -> set[str]:
    env = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text())
    names = set()
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            names |= {_name(p) for p in dep["pip"] if not p.startswith("-e")}
        else:
            names.add(_name(dep))
    return names


class TestEnvironmentFilesAgree:
    def test_every_runtime_dependency_is_in_environment_yml(self):
        runtime = {_name(r) for r in _pyproject()["project"]["dependencies"]}
        assert runtime - _conda_names() == set()

    def test_every_dev_dependency_is_in_environment_yml(self):
        dev = {_name(r) for r in _pyproject()["project"]["optional-dependencies"]["dev"]}
        assert dev - _conda_names() == set()


class TestLayout:
    def test_required_folders_exist(self):
        required = ["notebooks", "src/cw_pophealth", "data/raw", "data/processed", "reports",
                    "tests", "benchmarks"]
        assert [d for d in required if not (PROJECT_ROOT / d).is_dir()] == []

    def test_ci_script_runs_the_readme_test_command(self):
        assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()
