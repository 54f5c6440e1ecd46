"""Tests that the project's environment files agree and the layout contract holds."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata

import pytest
import tomllib
import yaml

import cw_pophealth
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


class TestProjectHabits:
    def test_the_licence_is_an_spdx_string_with_its_file(self):
        project = _pyproject()["project"]
        assert project["license"] == "MIT" and (PROJECT_ROOT / "LICENSE").is_file()

    def test_the_version_is_read_from_the_package(self):
        assert _pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {
            "attr": "cw_pophealth.__version__"} and "version" in _pyproject()["project"]["dynamic"]

    def test_the_installed_metadata_has_the_package_version(self):
        assert metadata.version("cw-pophealth") == cw_pophealth.__version__

    def test_the_changelog_has_an_entry_for_this_version(self):
        text = (PROJECT_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
        assert f"({cw_pophealth.__version__})" in text or f"[{cw_pophealth.__version__}]" in text

    def test_the_cli_prints_the_version(self):
        result = subprocess.run([sys.executable, "-m", "cw_pophealth.cli", "--version"],
                                capture_output=True, text=True, check=True)
        assert result.stdout.strip() == f"cw-pophealth {cw_pophealth.__version__}"

    def test_ci_lints_notebooks_and_type_checks_the_package(self):
        ci = (PROJECT_ROOT / ".ci" / "run").read_text()
        assert "ruff check src tests benchmarks notebooks" in ci and "mypy" in ci


class TestLayout:
    def test_required_folders_exist(self):
        required = ["notebooks", "src/cw_pophealth", "data/raw", "data/processed", "reports",
                    "tests", "benchmarks"]
        assert [d for d in required if not (PROJECT_ROOT / d).is_dir()] == []

    def test_ci_script_runs_the_readme_test_command(self):
        assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()


def _closure(requirements: list[str]) -> set[str]:
    """Names of every installed distribution that ``requirements`` pull in, extras included."""
    from packaging.requirements import Requirement

    seen: set[str] = set()
    todo = [(Requirement(r), frozenset(Requirement(r).extras)) for r in requirements]
    while todo:
        req, extras = todo.pop()
        name = req.name.lower().replace("_", "-")
        key = f"{name}[{','.join(sorted(extras))}]"
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue
        for text in dist.requires or []:
            child = Requirement(text)
            env_extras = [""] + sorted(extras)
            if child.marker is None or any(child.marker.evaluate({"extra": e})
                                           for e in env_extras):
                todo.append((child, frozenset(child.extras)))
    return {k.split("[")[0] for k in seen}


class TestLeanInstall:
    def test_jupyterlab_is_only_in_the_lab_extra(self):
        project = _pyproject()["project"]
        everywhere = project["dependencies"] + project["optional-dependencies"]["dev"]
        assert "jupyterlab" not in {_name(r) for r in everywhere}
        assert "jupyterlab" in {_name(r) for r in project["optional-dependencies"]["lab"]}

    def test_nothing_in_the_runtime_or_dev_install_pulls_in_jupyterlab(self):
        project = _pyproject()["project"]
        pulled = _closure(project["dependencies"] + project["optional-dependencies"]["dev"])
        assert {"jupyterlab", "jupyter-server", "jupyter-events", "rfc3987-syntax"} & pulled \
            == set()

    def test_the_closure_walk_finds_what_the_lab_extra_pulls_in(self):
        # The check above cannot pass vacuously: the same walk finds them through jupyterlab.
        pulled = _closure(["jupyterlab>=4"])
        if "jupyterlab" not in pulled or "jupyter-server" not in pulled:
            pytest.skip("jupyterlab is not installed here")
        assert "jupyter-events" in pulled
