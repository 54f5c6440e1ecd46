"""Tests for cw_pophealth.reporting: config, parameter checks, stamps, atomic swaps, papermill runs.

Runner tests use two tiny notebooks written here (one can be told to fail) so they are fast;
the end-to-end tests (marked ``slow``, still in the default run) execute the real notebooks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import papermill  # noqa: E402
import pytest  # noqa: E402
import yaml  # noqa: E402
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook  # noqa: E402

from cw_pophealth import catalogue, plots, reporting, snapshot  # noqa: E402
from cw_pophealth.config import get_settings  # noqa: E402
from cw_pophealth.errors import (  # noqa: E402
    ConfigError,
    InvalidAreaCodeError,
    ParameterError,
    UnknownAreaError,
    UnknownIndicatorError,
)

COV, WARKS, ENG = catalogue.COVENTRY, catalogue.WARWICKSHIRE, catalogue.ENGLAND
REPO_NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@pytest.fixture(scope="module")
def data_settings(tmp_path_factory):
    """Settings whose data folder holds a freshly built snapshot (reports go elsewhere)."""
    settings = get_settings(data_dir=tmp_path_factory.mktemp("data"))
    if settings.extracts_dir is None or not settings.extracts_dir.is_dir():
        pytest.skip("the real extracts folder is absent (set CW_POPHEALTH_EXTRACTS)")
    snapshot.build_snapshot(settings)
    return settings


@pytest.fixture
def settings(data_settings, tmp_path):
    return data_settings.with_(reports_dir=tmp_path / "reports")


@pytest.fixture(scope="module")
def table(data_settings):
    return snapshot.load_indicators(data_settings)


def _tiny_notebook(path: Path) -> Path:
    """A notebook with a parameters cell that saves one table and can be told to fail."""
    nb = new_notebook(cells=[
        new_markdown_cell("# Tiny report"),
        new_code_cell('message: str = "hello"  # text to save\n'
                      "fail: bool = False  # raise an error in the next cell\n"
                      'output_dir: str = ""  # where to save; empty means do not save',
                      metadata={"tags": ["parameters"]}),
        new_code_cell("import pandas as pd\nfrom cw_pophealth import reporting"),
        new_code_cell('assert not fail, "asked to fail"'),
        new_code_cell('reporting.save_table(pd.DataFrame({"message": [message]}), "message", '
                      "output_dir=output_dir)"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}})
    nbformat.write(nb, path)
    return path


@pytest.fixture
def project(tmp_path):
    """A notebooks folder with the tiny notebook and a helper writing a reports config."""
    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    _tiny_notebook(nb_dir / "tiny.ipynb")

    def write_config(runs: list[dict]) -> Path:
        path = tmp_path / "reports.yaml"
        path.write_text(yaml.safe_dump({"notebooks_dir": "nbs", "reports": runs}))
        return path

    return write_config


def _tiny(name="tiny", **params):
    return {"name": name, "notebook": "tiny.ipynb", "parameters": params}


# ---------------------------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------------------------
class TestSaveFigure:
    def test_writes_png_and_svg_under_figures(self, tmp_path):
        fig, ax = plt.subplots()
        paths = reporting.save_figure(fig, "chart", output_dir=tmp_path)
        assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
            "figures/chart.png", "figures/chart.svg"]

    def test_an_empty_output_dir_saves_nothing(self, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        fig, ax = plt.subplots()
        assert reporting.save_figure(fig, "chart", output_dir="") == []
        assert list(tmp_path.iterdir()) == []

    def test_records_title_and_period_for_the_index(self, tmp_path):
        won = pd.DataFrame({
            "area_code": [COV], "area_name": ["Coventry"], "role": ["focus"], "sex": ["Male"],
            "period": ["2021 - 23"], "le": [77.3], "le_lower": [None], "le_upper": [None],
            "hle": [58.5], "hle_lower": [55.7], "hle_upper": [61.2], "gap": [18.8],
            "status": ["OK"], "le_source_ref": ["a.csv"], "hle_source_ref": ["b.csv"],
            "le_source": ["a"], "hle_source": ["b"]})
        ax = plots.window_of_need_bars(won)
        reporting.save_figure(ax.figure, "won", output_dir=tmp_path)
        record = json.loads((tmp_path / reporting.OUTPUTS_FILE).read_text())[0]
        assert (record["period"], record["title"].startswith("Life expectancy")) == (
            "2021 - 23", True)


class TestSaveTable:
    def test_writes_csv_under_tables(self, tmp_path):
        path = reporting.save_table(pd.DataFrame({"a": [1]}), "numbers", output_dir=tmp_path)
        assert path == tmp_path / "tables" / "numbers.csv" and path.read_text() == "a\n1\n"

    def test_an_empty_output_dir_saves_nothing(self):
        assert reporting.save_table(pd.DataFrame({"a": [1]}), "x", output_dir="") is None

    def test_a_full_path_is_used_as_given(self, tmp_path):
        target = tmp_path / "out.csv"
        assert reporting.save_table(pd.DataFrame({"a": [1]}), target) == target


# ---------------------------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------------------------
class TestLoadReportConfig:
    def test_the_project_config_lists_the_three_notebooks(self, data_settings):
        runs = reporting.load_report_config(data_settings.reports_config, settings=data_settings)
        assert {r.notebook.name for r in runs} == {"window_of_need.ipynb", "risk_factors.ipynb",
                                                   "area_profile.ipynb"}

    def test_fan_out_makes_one_run_per_value(self, project, data_settings):
        path = project([{"name": "tiny", "notebook": "tiny.ipynb",
                         "fan_out": {"parameter": "message", "values": ["a", "b"]}}])
        runs = reporting.load_report_config(path, settings=data_settings)
        assert [(r.name, r.parameters["message"], r.group) for r in runs] == [
            ("tiny-a", "a", "tiny"), ("tiny-b", "b", "tiny")]

    def test_fan_out_over_all_upper_tier_areas(self, project, data_settings):
        path = project([{"name": "p", "notebook": "tiny.ipynb",
                         "fan_out": {"parameter": "area_code", "values": "all upper-tier"}}])
        runs = reporting.load_report_config(path, settings=data_settings)
        assert len(runs) == 153 and f"p-{COV}" in {r.name for r in runs}

    def test_duplicate_names_are_rejected(self, project, data_settings):
        path = project([_tiny(), _tiny()])
        with pytest.raises(ConfigError, match="more than once"):
            reporting.load_report_config(path, settings=data_settings)

    def test_a_missing_notebook_is_named(self, project, data_settings):
        path = project([{"name": "x", "notebook": "nope.ipynb"}])
        with pytest.raises(ConfigError, match="nope.ipynb"):
            reporting.load_report_config(path, settings=data_settings)

    def test_a_missing_file_says_what_to_do(self, tmp_path, data_settings):
        with pytest.raises(ConfigError, match="not found"):
            reporting.load_report_config(tmp_path / "none.yaml", settings=data_settings)


# ---------------------------------------------------------------------------------------------
# Parameter validation
# ---------------------------------------------------------------------------------------------
class TestValidateParameters:
    def check(self, notebook, table, settings, **params):
        return reporting.validate_parameters(notebook, params, table=table, settings=settings)

    def test_valid_parameters_come_back_normalised(self, table, data_settings):
        out = self.check("area_profile", table, data_settings, area_code="e08000026")
        assert out["area_code"] == COV

    def test_a_malformed_area_code_names_area_code(self, table, data_settings):
        with pytest.raises(InvalidAreaCodeError, match=r"^area_code='Coventry'"):
            self.check("area_profile", table, data_settings, area_code="Coventry")

    def test_an_unknown_area_code_names_area_code(self, table, data_settings):
        with pytest.raises(UnknownAreaError, match=r"^area_code='E06999999'"):
            self.check("area_profile", table, data_settings, area_code="E06999999")

    def test_a_bad_code_in_a_list_names_its_position(self, table, data_settings):
        with pytest.raises(InvalidAreaCodeError, match=r"area_codes\[1\]"):
            self.check("window_of_need", table, data_settings, area_codes=[COV, "x"])

    def test_an_unknown_indicator_names_indicator_keys(self, table, data_settings):
        with pytest.raises(UnknownIndicatorError, match=r"^indicator_keys\[1\]='smokin'"):
            self.check("risk_factors", table, data_settings,
                       indicator_keys=["obesity", "smokin"])

    def test_a_period_without_data_names_period(self, table, data_settings):
        with pytest.raises(ParameterError, match=r"^period='2031 - 33': no data"):
            self.check("window_of_need", table, data_settings, area_codes=[COV],
                       period="2031 - 33")

    def test_a_period_with_data_passes(self, table, data_settings):
        out = self.check("window_of_need", table, data_settings, area_codes=[COV],
                         period="2021 - 23")
        assert out["period"] == "2021 - 23"

    def test_an_area_without_any_data_is_rejected(self, table, data_settings):
        without = table.loc[table["area_code"] != "E06000001"]
        with pytest.raises(ParameterError, match=r"^area_code='E06000001'.*no data"):
            self.check("area_profile", without, data_settings, area_code="E06000001")

    def test_an_unknown_parameter_is_named(self, table, data_settings):
        with pytest.raises(ParameterError, match=r"^areacode: not a parameter"):
            self.check("area_profile", table, data_settings, areacode=COV)

    def test_a_wrongly_typed_value_is_named(self, table, data_settings):
        with pytest.raises(ParameterError, match=r"^area_codes='E08000026' should be a list"):
            self.check("window_of_need", table, data_settings, area_codes=COV)


# ---------------------------------------------------------------------------------------------
# Cached notebook inspection (no papermill import when nothing changed)
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def nb_settings(tmp_path):
    """Settings whose reports (and so the inspection cache) live under ``tmp_path``."""
    return get_settings(reports_dir=tmp_path / "reports")


@pytest.fixture
def tiny_nb(tmp_path):
    return _tiny_notebook(tmp_path / "tiny.ipynb")


def _refuse(*args, **kwargs):
    raise AssertionError("the notebook was inspected again instead of served from the cache")


def _add_parameter(path: Path, line: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source += "\n" + line
    nbformat.write(nb, path)


class TestNotebookInspectionCache:
    def test_an_unchanged_notebook_is_not_inspected_twice(self, tiny_nb, nb_settings,
                                                          monkeypatch):
        first = reporting.notebook_parameters(tiny_nb, settings=nb_settings)
        monkeypatch.setattr(papermill, "inspect_notebook", _refuse)
        assert reporting.notebook_parameters(tiny_nb, settings=nb_settings) == first
        assert set(first) == {"message", "fail", "output_dir"}

    def test_the_cache_is_one_json_file_in_the_reports_state_folder(self, tiny_nb,
                                                                     nb_settings):
        reporting.notebook_parameters(tiny_nb, settings=nb_settings)
        cache = nb_settings.reports_dir / ".state" / "_notebook_inspection.json"
        entries = json.loads(cache.read_text())["entries"]
        assert list(entries) == [reporting.file_sha256(tiny_nb)]
        assert entries[reporting.file_sha256(tiny_nb)]["papermill"] == papermill.__version__

    def test_the_cached_result_equals_papermills_own(self, tiny_nb, nb_settings):
        reporting.notebook_parameters(tiny_nb, settings=nb_settings)
        assert reporting.notebook_parameters(tiny_nb, settings=nb_settings) == dict(
            papermill.inspect_notebook(str(tiny_nb)))

    def test_editing_the_notebook_inspects_it_again(self, tiny_nb, nb_settings):
        reporting.notebook_parameters(tiny_nb, settings=nb_settings)
        _add_parameter(tiny_nb, "repeat: int = 2  # times to repeat the message")
        params = reporting.notebook_parameters(tiny_nb, settings=nb_settings)
        assert params["repeat"]["inferred_type_name"] == "int"
        entries = json.loads(reporting._inspection_cache_path(nb_settings).read_text())
        assert list(entries["entries"]) == [reporting.file_sha256(tiny_nb)]

    def test_a_corrupt_cache_file_is_ignored_and_rewritten(self, tiny_nb, nb_settings,
                                                          monkeypatch):
        cache = reporting._inspection_cache_path(nb_settings)
        cache.parent.mkdir(parents=True)
        cache.write_text('{"format": 1, "entries": {"trunc')
        params = reporting.notebook_parameters(tiny_nb, settings=nb_settings)
        assert set(params) == {"message", "fail", "output_dir"}
        monkeypatch.setattr(papermill, "inspect_notebook", _refuse)
        assert reporting.notebook_parameters(tiny_nb, settings=nb_settings) == params

    def test_an_entry_from_another_papermill_version_is_not_used(self, tiny_nb, nb_settings):
        cache = reporting._inspection_cache_path(nb_settings)
        cache.parent.mkdir(parents=True)
        forged = {"papermill": "0.0.1", "nbformat": nbformat.__version__,
                  "parameters": {"bogus": {"inferred_type_name": "str"}}}
        cache.write_text(json.dumps({"format": 1, "entries": {
            reporting.file_sha256(tiny_nb): forged}}))
        assert set(reporting.notebook_parameters(tiny_nb, settings=nb_settings)) == {
            "message", "fail", "output_dir"}

    def test_a_malformed_entry_is_not_used(self, tiny_nb, nb_settings):
        cache = reporting._inspection_cache_path(nb_settings)
        cache.parent.mkdir(parents=True)
        versions = {"papermill": papermill.__version__, "nbformat": nbformat.__version__}
        cache.write_text(json.dumps({"format": 1, "entries": {
            reporting.file_sha256(tiny_nb): {**versions, "parameters": ["message"]}}}))
        assert set(reporting.notebook_parameters(tiny_nb, settings=nb_settings)) == {
            "message", "fail", "output_dir"}

    def test_notebook_indicators_are_cached_too(self, tiny_nb, nb_settings, monkeypatch):
        nb = nbformat.read(tiny_nb, as_version=4)
        nb.metadata["cw_pophealth"] = {"indicators": ["obesity", "smoking"]}
        nbformat.write(nb, tiny_nb)
        assert reporting.notebook_indicators(tiny_nb, settings=nb_settings) == [
            "obesity", "smoking"]
        monkeypatch.setattr(nbformat, "read", _refuse)
        assert reporting.notebook_indicators(tiny_nb, settings=nb_settings) == [
            "obesity", "smoking"]

    def test_an_unknown_parameter_is_still_named_when_served_from_the_cache(
            self, tiny_nb, nb_settings, monkeypatch):
        reporting.notebook_parameters(tiny_nb, settings=nb_settings)
        monkeypatch.setattr(papermill, "inspect_notebook", _refuse)
        with pytest.raises(ParameterError, match=r"^mesage: not a parameter of tiny\.ipynb\. "
                                                 r"Its parameters are fail, message, output_dir"):
            reporting.validate_parameters(tiny_nb, {"mesage": "typo"}, settings=nb_settings)

    def test_a_wrong_type_is_still_named_when_served_from_the_cache(self, tiny_nb, nb_settings,
                                                                   monkeypatch):
        reporting.notebook_parameters(tiny_nb, settings=nb_settings)
        monkeypatch.setattr(papermill, "inspect_notebook", _refuse)
        with pytest.raises(ParameterError, match=r"^fail='yes' should be a bool"):
            reporting.validate_parameters(tiny_nb, {"fail": "yes"}, settings=nb_settings)

    def test_an_unwritable_state_folder_only_costs_the_cache(self, tiny_nb, tmp_path):
        blocker = tmp_path / "not_a_folder"
        blocker.write_text("a file where the reports folder should be")
        settings = get_settings(reports_dir=blocker)
        assert set(reporting.notebook_parameters(tiny_nb, settings=settings)) == {
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
        config = project([_tiny(), {"name": "area", "notebook": "area.ipynb",
                                    "parameters": {"area_code": COV, "period": "latest"}}])
        assert sorted(reporting.run_reports(config, settings=settings, jobs=1).executed) == [
            "area", "tiny"]
        script = (
            "import json, sys\n"
            "from pathlib import Path\n"
            "from cw_pophealth import reporting\n"
            "from cw_pophealth.config import get_settings\n"
            f"settings = get_settings(data_dir=Path({str(settings.data_dir)!r}),\n"
            f"                        reports_dir=Path({str(settings.reports_dir)!r}))\n"
            f"summary = reporting.run_reports({str(config)!r}, settings=settings, jobs=1)\n"
            "heavy = ('papermill', 'nbformat', 'nbconvert', 'nbclient', 'jupyter_client')\n"
            "print(json.dumps({'skipped': summary.skipped,\n"
            "                  'imported': [m for m in heavy if m in sys.modules]}))\n")
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              check=True, timeout=120)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result == {"skipped": ["tiny", "area"], "imported": []}


# ---------------------------------------------------------------------------------------------
# The runner
# ---------------------------------------------------------------------------------------------
class TestRunReports:
    def test_a_run_writes_its_report_folder_and_the_index(self, project, settings):
        summary = reporting.run_reports(project([_tiny()]), settings=settings, jobs=1)
        folder = settings.reports_dir / "tiny"
        assert summary.executed == ["tiny"]
        assert {"tiny.ipynb", "tiny.html", "manifest.json", "outputs.json", "tables"} <= {
            p.name for p in folder.iterdir()}
        assert 'href="tiny/tiny.html"' in (settings.reports_dir / "index.html").read_text()

    def test_the_executed_notebook_records_its_parameters(self, project, settings):
        reporting.run_reports(project([_tiny(message="bonjour")]), settings=settings, jobs=1)
        nb = nbformat.read(settings.reports_dir / "tiny" / "tiny.ipynb", as_version=4)
        assert nb.metadata.papermill.parameters["message"] == "bonjour"

    def test_the_html_hides_the_code(self, project, settings):
        reporting.run_reports(project([_tiny()]), settings=settings, jobs=1)
        html = (settings.reports_dir / "tiny" / "tiny.html").read_text()
        assert "assert not fail" not in html

    def test_an_unchanged_run_is_skipped(self, project, settings):
        config = project([_tiny()])
        reporting.run_reports(config, settings=settings, jobs=1)
        assert reporting.run_reports(config, settings=settings, jobs=1).skipped == ["tiny"]

    def test_changed_parameters_re_run(self, project, settings):
        reporting.run_reports(project([_tiny()]), settings=settings, jobs=1)
        summary = reporting.run_reports(project([_tiny(message="changed")]), settings=settings,
                                        jobs=1)
        assert summary.executed == ["tiny"]

    def test_a_changed_input_table_re_runs(self, project, settings, tmp_path):
        config = project([_tiny()])
        run = reporting.load_report_config(config, settings=settings)[0]
        first = reporting.run_stamp(run, input_sha256="a" * 64)
        assert reporting.run_stamp(run, input_sha256="b" * 64)["hash"] != first["hash"]

    def test_a_changed_notebook_re_runs(self, project, settings):
        config = project([_tiny()])
        reporting.run_reports(config, settings=settings, jobs=1)
        nb_path = config.parent / "nbs" / "tiny.ipynb"
        nb = nbformat.read(nb_path, as_version=4)
        nb.cells[0].source += "\n\nEdited."
        nbformat.write(nb, nb_path)
        assert reporting.run_reports(config, settings=settings, jobs=1).executed == ["tiny"]

    def test_force_re_runs(self, project, settings):
        config = project([_tiny()])
        reporting.run_reports(config, settings=settings, jobs=1)
        summary = reporting.run_reports(config, settings=settings, jobs=1, force=True)
        assert summary.executed == ["tiny"]

    def test_a_failing_run_leaves_the_earlier_report_untouched(self, project, settings):
        reporting.run_reports(project([_tiny()]), settings=settings, jobs=1)
        folder = settings.reports_dir / "tiny"
        before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*")
                  if p.is_file()}
        with pytest.raises(reporting.ReportRunError) as info:
            reporting.run_reports(project([_tiny(fail=True)]), settings=settings, jobs=1)
        after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        assert after == before
        assert info.value.summary.failed == ["tiny"]

    def test_a_failure_names_the_notebook_and_cell(self, project, settings):
        summary = reporting.run_reports(project([_tiny(fail=True)]), settings=settings, jobs=1,
                                        raise_on_failure=False)
        message = summary.outcomes[0].message
        assert "tiny.ipynb failed in cell" in message and "asked to fail" in message

    def test_a_failure_keeps_the_partial_notebook_for_debugging(self, project, settings):
        reporting.run_reports(project([_tiny(fail=True)]), settings=settings, jobs=1,
                              raise_on_failure=False)
        assert (settings.reports_dir / reporting.FAILED_DIR / "tiny" / "tiny.ipynb").is_file()
        assert not (settings.reports_dir / "tiny").exists()

    def test_bad_parameters_stop_everything_before_any_run(self, project, settings):
        config = project([_tiny(), {"name": "p", "notebook": "tiny.ipynb",
                                    "parameters": {"mesage": "typo"}}])
        with pytest.raises(ParameterError, match=r"Report 'p' \(tiny.ipynb\): mesage"):
            reporting.run_reports(config, settings=settings, jobs=1)
        assert not (settings.reports_dir / "tiny").exists()

    def test_only_selects_runs_by_name_or_group(self, project, settings):
        config = project([_tiny("a"), {"name": "b", "notebook": "tiny.ipynb",
                                       "fan_out": {"parameter": "message", "values": ["x"]}}])
        summary = reporting.run_reports(config, settings=settings, jobs=1, only=["b"])
        assert [o.name for o in summary.outcomes] == ["b-x"]

    def test_runs_in_parallel_worker_processes(self, project, settings):
        config = project([_tiny("one"), _tiny("two", message="second")])
        summary = reporting.run_reports(config, settings=settings, jobs=2)
        assert sorted(summary.executed) == ["one", "two"]
        assert (settings.reports_dir / "two" / "tables" / "message.csv").read_text() == (
            "message\nsecond\n")

    def test_runs_on_a_dask_local_cluster(self, project, settings):
        pytest.importorskip("dask.distributed")
        config = project([_tiny("one"), _tiny("two", message="on dask")])
        summary = reporting.run_reports(config, settings=settings, jobs=2, executor="dask")
        assert (settings.reports_dir / "two" / "tables" / "message.csv").read_text() == (
            "message\non dask\n") and sorted(summary.executed) == ["one", "two"]

    def test_an_unknown_executor_is_named(self, project, settings):
        with pytest.raises(ParameterError, match="executor='threads'"):
            reporting.run_reports(project([_tiny()]), settings=settings, executor="threads")

    def test_no_staging_folders_are_left_behind(self, project, settings):
        reporting.run_reports(project([_tiny()]), settings=settings, jobs=1)
        assert not (settings.reports_dir / reporting.STAGING_DIR).exists()


# ---------------------------------------------------------------------------------------------
# End to end with the real notebooks
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
class TestRealNotebooks:
    def test_papermill_runs_area_profile_for_another_upper_tier_area(self, data_settings,
                                                                     tmp_path, monkeypatch):
        monkeypatch.setenv("CW_POPHEALTH_DATA", str(data_settings.data_dir))
        out = tmp_path / "out"
        nb = papermill.execute_notebook(
            str(REPO_NOTEBOOKS / "area_profile.ipynb"), str(tmp_path / "profile.ipynb"),
            parameters={"area_code": "E06000001", "output_dir": str(out)},
            kernel_name="python3", cwd=str(tmp_path), progress_bar=False)
        assert nb.metadata.papermill.parameters["area_code"] == "E06000001"
        assert (out / "figures" / "area_profile_E06000001.png").is_file()

    def test_papermill_stops_on_a_bad_area_code_naming_it(self, data_settings, tmp_path,
                                                          monkeypatch):
        monkeypatch.setenv("CW_POPHEALTH_DATA", str(data_settings.data_dir))
        with pytest.raises(papermill.PapermillExecutionError, match="area_code='E0600000'"):
            papermill.execute_notebook(
                str(REPO_NOTEBOOKS / "area_profile.ipynb"), str(tmp_path / "bad.ipynb"),
                parameters={"area_code": "E0600000"}, kernel_name="python3",
                cwd=str(tmp_path), progress_bar=False)

    def test_window_of_need_report_has_the_coventry_2021_23_gaps(self, settings):
        summary = reporting.run_reports(settings.reports_config, settings=settings, jobs=1,
                                        only=["window_of_need"])
        assert summary.executed == ["window_of_need"]
        csv = settings.reports_dir / "window_of_need" / "tables" / (
            "window_of_need_all_periods.csv")
        won = pd.read_csv(csv)
        cov = won.loc[(won["area_code"] == COV) & (won["period"] == "2021 - 23")]
        assert cov.set_index("sex")["gap"].round(1).to_dict() == {"Male": 18.8, "Female": 23.6}
        index = (settings.reports_dir / "index.html").read_text()
        assert "window_of_need/figures/window_of_need_latest.png" in index
        assert os.path.getsize(settings.reports_dir / "window_of_need" /
                               "window_of_need.html") > 10_000
