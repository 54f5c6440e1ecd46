"""Fixtures for the runner tests: a data folder with a fresh snapshot, and a tiny notebook
project.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cw_pophealth import snapshot
from helpers import copy_of_built_data, probe_notebook, tiny_notebook


@pytest.fixture(scope="module")
def data_settings(built_settings, tmp_path_factory):
    """Settings whose data folder holds this module's copy of the snapshot (reports go
    elsewhere): a module may damage or replace its tables without touching another's."""
    return copy_of_built_data(built_settings, tmp_path_factory.mktemp("module") / "data")


@pytest.fixture
def settings(data_settings, tmp_path):
    return data_settings.with_(reports_dir=tmp_path / "reports")


@pytest.fixture(scope="module")
def table(data_settings):
    return snapshot.load_indicators(data_settings)


@pytest.fixture
def project(tmp_path):
    """A notebooks folder with the tiny notebook and a helper writing a reports config."""
    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    tiny_notebook(nb_dir / "tiny.ipynb")

    def write_config(runs: list[dict]) -> Path:
        path = tmp_path / "reports.yaml"
        path.write_text(yaml.safe_dump({"notebooks_dir": "nbs", "reports": runs}))
        return path

    return write_config


@pytest.fixture
def probe(tmp_path):
    """The probe notebook. The kernel it runs in is kept for the next test, as a worker keeps
    it for the next report: every test starts with a used kernel."""
    return probe_notebook(tmp_path / "probe.ipynb")
