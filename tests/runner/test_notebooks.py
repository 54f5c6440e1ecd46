"""Tests for cw_pophealth.runner.notebooks: the cache of notebook inspections."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat  # noqa: E402
import papermill  # noqa: E402
import pytest  # noqa: E402
from nbformat.v4 import new_code_cell, new_notebook  # noqa: E402

from cw_pophealth import catalogue, fingerprint, report, runner  # noqa: E402
from cw_pophealth.config import get_settings  # noqa: E402
from cw_pophealth.errors import (  # noqa: E402
    ParameterError,
)
from cw_pophealth.runner import notebooks
from helpers import tiny_notebook, tiny_run

COV, WARKS, ENG = catalogue.COVENTRY, catalogue.WARWICKSHIRE, catalogue.ENGLAND


@pytest.fixture
def nb_settings(tmp_path):
    """Settings whose reports (and so the inspection cache) live under ``tmp_path``."""
    return get_settings(reports_dir=tmp_path / "reports")


@pytest.fixture
def tiny_nb(tmp_path):
    return tiny_notebook(tmp_path / "tiny.ipynb")


def _refuse(*args, **kwargs):
    raise AssertionError("the notebook was inspected again instead of served from the cache")


def _add_parameter(path: Path, line: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source += "\n" + line
    nbformat.write(nb, path)


class TestNotebookInspectionCache:
    def test_an_unchanged_notebook_is_not_inspected_twice(self, tiny_nb, nb_settings,
                                                          monkeypatch):
        first = notebooks.notebook_parameters(tiny_nb, settings=nb_settings)
        monkeypatch.setattr(papermill, "inspect_notebook", _refuse)
        assert notebooks.notebook_parameters(tiny_nb, settings=nb_settings) == first
        assert set(first) == {"message", "fail", "output_dir"}

    def test_the_cache_is_one_json_file_in_the_reports_state_folder(self, tiny_nb,
                                                                     nb_settings):
        notebooks.notebook_parameters(tiny_nb, settings=nb_settings)
        cache = nb_settings.reports_dir / ".state" / "_notebook_inspection.json"
        entries = json.loads(cache.read_text())["entries"]
        assert list(entries) == [fingerprint.file_sha256(tiny_nb)]
        assert entries[fingerprint.file_sha256(tiny_nb)]["papermill"] == papermill.__version__

    def test_the_cached_result_equals_papermills_own(self, tiny_nb, nb_settings):
        notebooks.notebook_parameters(tiny_nb, settings=nb_settings)
        assert notebooks.notebook_parameters(tiny_nb, settings=nb_settings) == dict(
            papermill.inspect_notebook(str(tiny_nb)))

    def test_editing_the_notebook_inspects_it_again(self, tiny_nb, nb_settings):
        notebooks.notebook_parameters(tiny_nb, settings=nb_settings)
        _add_parameter(tiny_nb, "repeat: int = 2  # times to repeat the message")
        params = notebooks.notebook_parameters(tiny_nb, settings=nb_settings)
        assert params["repeat"]["inferred_type_name"] == "int"
        entries = json.loads(notebooks.inspection_cache_path(nb_settings).read_text())
        assert list(entries["entries"]) == [fingerprint.file_sha256(tiny_nb)]

    def test_a_corrupt_cache_file_is_ignored_and_rewritten(self, tiny_nb, nb_settings,
                                                          monkeypatch):
        cache = notebooks.inspection_cache_path(nb_settings)
        cache.parent.mkdir(parents=True)
        cache.write_text('{"format": 1, "entries": {"trunc')
        params = notebooks.notebook_parameters(tiny_nb, settings=nb_settings)
        assert set(params) == {"message", "fail", "output_dir"}
        monkeypatch.setattr(papermill, "inspect_notebook", _refuse)
        assert notebooks.notebook_parameters(tiny_nb, settings=nb_settings) == params

    def test_an_entry_from_another_papermill_version_is_not_used(self, tiny_nb, nb_settings):
        cache = notebooks.inspection_cache_path(nb_settings)
        cache.parent.mkdir(parents=True)
        forged = {"papermill": "0.0.1", "nbformat": nbformat.__version__,
                  "parameters": {"bogus": {"inferred_type_name": "str"}}}
        cache.write_text(json.dumps({"format": 1, "entries": {
            fingerprint.file_sha256(tiny_nb): forged}}))
        assert set(notebooks.notebook_parameters(tiny_nb, settings=nb_settings)) == {
            "message", "fail", "output_dir"}

    def test_a_malformed_entry_is_not_used(self, tiny_nb, nb_settings):
        cache = notebooks.inspection_cache_path(nb_settings)
        cache.parent.mkdir(parents=True)
        versions = {"papermill": papermill.__version__, "nbformat": nbformat.__version__}
        cache.write_text(json.dumps({"format": 1, "entries": {
            fingerprint.file_sha256(tiny_nb): {**versions, "parameters": ["message"]}}}))
        assert set(notebooks.notebook_parameters(tiny_nb, settings=nb_settings)) == {
            "message", "fail", "output_dir"}

    def test_notebook_indicators_are_cached_too(self, tiny_nb, nb_settings, monkeypatch):
        nb = nbformat.read(tiny_nb, as_version=4)
        nb.metadata["cw_pophealth"] = {"indicators": ["obesity", "smoking"]}
        nbformat.write(nb, tiny_nb)
        assert notebooks.notebook_indicators(tiny_nb, settings=nb_settings) == [
            "obesity", "smoking"]
        monkeypatch.setattr(nbformat, "read", _refuse)
        assert notebooks.notebook_indicators(tiny_nb, settings=nb_settings) == [
            "obesity", "smoking"]

    def test_an_unknown_parameter_is_still_named_when_served_from_the_cache(
            self, tiny_nb, nb_settings, monkeypatch):
        notebooks.notebook_parameters(tiny_nb, settings=nb_settings)
        monkeypatch.setattr(papermill, "inspect_notebook", _refuse)
        with pytest.raises(ParameterError, match=r"^mesage: not a parameter of tiny\.ipynb\. "
                                                 r"Its parameters are fail, message, output_dir"):
            report.validate_parameters(tiny_nb, {"mesage": "typo"}, settings=nb_settings)

    def test_a_wrong_type_is_still_named_when_served_from_the_cache(self, tiny_nb, nb_settings,
                                                                   monkeypatch):
        notebooks.notebook_parameters(tiny_nb, settings=nb_settings)
        monkeypatch.setattr(papermill, "inspect_notebook", _refuse)
        with pytest.raises(ParameterError, match=r"^fail='yes' should be a bool"):
            report.validate_parameters(tiny_nb, {"fail": "yes"}, settings=nb_settings)

    def test_an_unwritable_state_folder_only_costs_the_cache(self, tiny_nb, tmp_path):
        blocker = tmp_path / "not_a_folder"
        blocker.write_text("a file where the reports folder should be")
        settings = get_settings(reports_dir=blocker)
        assert set(notebooks.notebook_parameters(tiny_nb, settings=settings)) == {
            "message", "fail", "output_dir"}

    def test_a_no_change_run_imports_neither_papermill_nor_nbformat(self, project, settings):
        import subprocess
        import sys

        nb_dir = settings.reports_dir.parent / "nbs"
        area_nb = new_notebook(cells=[
            new_code_cell('area_code: str = "E08000026"\nperiod: str = "latest"\n'
                          'output_dir: str = ""', metadata={"tags": ["parameters"]}),
            new_code_cell("print(area_code, period)"),
        ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"},
                     "cw_pophealth": {"indicators": None}})
        nbformat.write(area_nb, nb_dir / "area.ipynb")
        config = project([tiny_run(), {"name": "area", "notebook": "area.ipynb",
                                    "parameters": {"area_code": COV, "period": "latest"}}])
        assert sorted(runner.run_reports(config, settings=settings, jobs=1).executed) == [
            "area", "tiny"]
        script = (
            "import json, sys\n"
            "from pathlib import Path\n"
            "from cw_pophealth import runner\n"
            "from cw_pophealth.config import get_settings\n"
            f"settings = get_settings(data_dir=Path({str(settings.data_dir)!r}),\n"
            f"                        reports_dir=Path({str(settings.reports_dir)!r}))\n"
            f"summary = runner.run_reports({str(config)!r}, settings=settings, jobs=1)\n"
            "heavy = ('papermill', 'nbformat', 'nbconvert', 'nbclient', 'jupyter_client')\n"
            "print(json.dumps({'skipped': summary.skipped,\n"
            "                  'imported': [m for m in heavy if m in sys.modules]}))\n")
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              check=True, timeout=120)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result == {"skipped": ["tiny", "area"], "imported": []}
