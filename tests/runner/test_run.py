"""Tests for cw_pophealth.runner.run: ``make reports`` end to end on real notebooks."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path

import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cw_pophealth import catalogue, runner  # noqa: E402
from cw_pophealth.config import PROJECT_ROOT  # noqa: E402
from cw_pophealth.errors import (  # noqa: E402
    ParameterError,
)
from cw_pophealth.runner import execute, state
from helpers import tiny_run

COV, WARKS, ENG = catalogue.COVENTRY, catalogue.WARWICKSHIRE, catalogue.ENGLAND

REPO_NOTEBOOKS = PROJECT_ROOT / "notebooks"


class TestRunReports:
    def test_a_run_writes_its_report_folder_and_the_index(self, project, settings):
        summary = runner.run_reports(project([tiny_run()]), settings=settings, jobs=1)
        folder = settings.reports_dir / "tiny"
        assert summary.executed == ["tiny"]
        assert {"tiny.ipynb", "tiny.html", "manifest.json", "outputs.json", "tables"} <= {
            p.name for p in folder.iterdir()}
        assert 'href="tiny/tiny.html"' in (settings.reports_dir / "index.html").read_text()

    def test_the_report_page_has_phone_and_print_styles(self, project, settings):
        runner.run_reports(project([tiny_run()]), settings=settings, jobs=1)
        html = (settings.reports_dir / "tiny" / "tiny.html").read_text()
        assert 'name="viewport"' in html and 'id="cw-pophealth-page"' in html

    def test_progress_is_logged_and_papermill_repeats_nothing(self, project, settings, caplog):
        with caplog.at_level(logging.INFO):
            runner.run_reports(project([tiny_run(), tiny_run("tiny2")]), settings=settings,
                               jobs=1)
        messages = [r.getMessage() for r in caplog.records]
        assert any(m.startswith("Report [2/2] tiny2 done in") for m in messages)
        assert [m for m in messages if "Input Notebook" in m] == []

    def test_the_executed_notebook_records_its_parameters(self, project, settings):
        runner.run_reports(project([tiny_run(message="bonjour")]), settings=settings, jobs=1)
        nb = nbformat.read(settings.reports_dir / "tiny" / "tiny.ipynb", as_version=4)
        assert nb.metadata.papermill.parameters["message"] == "bonjour"

    def test_the_html_hides_the_code(self, project, settings):
        runner.run_reports(project([tiny_run()]), settings=settings, jobs=1)
        html = (settings.reports_dir / "tiny" / "tiny.html").read_text()
        assert "assert not fail" not in html

    def test_an_unchanged_run_is_skipped(self, project, settings):
        config = project([tiny_run()])
        runner.run_reports(config, settings=settings, jobs=1)
        assert runner.run_reports(config, settings=settings, jobs=1).skipped == ["tiny"]

    def test_changed_parameters_re_run(self, project, settings):
        runner.run_reports(project([tiny_run()]), settings=settings, jobs=1)
        summary = runner.run_reports(project([tiny_run(message="changed")]), settings=settings,
                                        jobs=1)
        assert summary.executed == ["tiny"]

    def test_a_changed_input_table_re_runs(self, project, settings, tmp_path):
        config = project([tiny_run()])
        run = runner.load_report_config(config, settings=settings)[0]
        first = state.run_stamp(run, input_sha256="a" * 64)
        assert state.run_stamp(run, input_sha256="b" * 64)["hash"] != first["hash"]

    def test_turning_slides_off_re_runs(self, project, settings):
        on = runner.load_report_config(project([tiny_run()]), settings=settings)[0]
        off = dataclasses.replace(on, slides=False)
        assert state.run_stamp(off, input_sha256="a" * 64)["hash"] != state.run_stamp(
            on, input_sha256="a" * 64)["hash"]

    def test_a_changed_notebook_re_runs(self, project, settings):
        config = project([tiny_run()])
        runner.run_reports(config, settings=settings, jobs=1)
        nb_path = config.parent / "nbs" / "tiny.ipynb"
        nb = nbformat.read(nb_path, as_version=4)
        nb.cells[0].source += "\n\nEdited."
        nbformat.write(nb, nb_path)
        assert runner.run_reports(config, settings=settings, jobs=1).executed == ["tiny"]

    def test_force_re_runs(self, project, settings):
        config = project([tiny_run()])
        runner.run_reports(config, settings=settings, jobs=1)
        summary = runner.run_reports(config, settings=settings, jobs=1, force=True)
        assert summary.executed == ["tiny"]

    def test_a_failing_run_leaves_the_earlier_report_untouched(self, project, settings):
        runner.run_reports(project([tiny_run()]), settings=settings, jobs=1)
        folder = settings.reports_dir / "tiny"
        before = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*")
                  if p.is_file()}
        with pytest.raises(runner.ReportRunError) as info:
            runner.run_reports(project([tiny_run(fail=True)]), settings=settings, jobs=1)
        after = {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
        assert after == before
        assert info.value.summary.failed == ["tiny"]

    def test_a_failure_names_the_notebook_and_cell(self, project, settings):
        summary = runner.run_reports(project([tiny_run(fail=True)]), settings=settings, jobs=1,
                                        raise_on_failure=False)
        message = summary.outcomes[0].message
        assert "tiny.ipynb failed in cell" in message and "asked to fail" in message

    def test_a_failure_keeps_the_partial_notebook_for_debugging(self, project, settings):
        runner.run_reports(project([tiny_run(fail=True)]), settings=settings, jobs=1,
                              raise_on_failure=False)
        assert (settings.reports_dir / state.FAILED_DIR / "tiny" / "tiny.ipynb").is_file()
        assert not (settings.reports_dir / "tiny").exists()

    def test_bad_parameters_stop_everything_before_any_run(self, project, settings):
        config = project([tiny_run(), {"name": "p", "notebook": "tiny.ipynb",
                                    "parameters": {"mesage": "typo"}}])
        with pytest.raises(ParameterError, match=r"Report 'p' \(tiny.ipynb\): mesage"):
            runner.run_reports(config, settings=settings, jobs=1)
        assert not (settings.reports_dir / "tiny").exists()

    def test_only_selects_runs_by_name_or_group(self, project, settings):
        config = project([tiny_run("a"), {"name": "b", "notebook": "tiny.ipynb",
                                       "fan_out": {"parameter": "message", "values": ["x"]}}])
        summary = runner.run_reports(config, settings=settings, jobs=1, only=["b"])
        assert [o.name for o in summary.outcomes] == ["b-x"]

    def test_runs_in_parallel_worker_processes(self, project, settings):
        config = project([tiny_run("one"), tiny_run("two", message="second")])
        summary = runner.run_reports(config, settings=settings, jobs=2)
        assert sorted(summary.executed) == ["one", "two"]
        assert (settings.reports_dir / "two" / "tables" / "message.csv").read_text() == (
            "message\nsecond\n")

    def test_runs_on_a_dask_local_cluster(self, project, settings):
        pytest.importorskip("dask.distributed")
        config = project([tiny_run("one"), tiny_run("two", message="on dask")])
        summary = runner.run_reports(config, settings=settings, jobs=2, executor="dask")
        assert (settings.reports_dir / "two" / "tables" / "message.csv").read_text() == (
            "message\non dask\n") and sorted(summary.executed) == ["one", "two"]

    def test_an_unknown_executor_is_named(self, project, settings):
        with pytest.raises(ParameterError, match="executor='threads'"):
            runner.run_reports(project([tiny_run()]), settings=settings, executor="threads")

    def test_no_staging_folders_are_left_behind(self, project, settings):
        runner.run_reports(project([tiny_run()]), settings=settings, jobs=1)
        assert not (settings.reports_dir / state.STAGING_DIR).exists()


@pytest.mark.slow
class TestRealNotebooks:
    """The repository's notebooks run by papermill, as the runner runs them (in a warm kernel)."""

    @staticmethod
    def run(settings, tmp_path, notebook: str, parameters: dict) -> dict:
        job = {"name": Path(notebook).stem, "notebook": str(REPO_NOTEBOOKS / notebook),
               "parameters": parameters, "title": notebook, "timeout": 300, "labels": {},
               "env": execute.kernel_environment(settings), "staging": str(tmp_path / "out")}
        return {**execute.execute(job), "out": Path(job["staging"]),
                "notebook": Path(job["staging"]) / f"{job['name']}.ipynb"}

    def test_papermill_runs_area_profile_for_another_upper_tier_area(self, data_settings,
                                                                     tmp_path):
        result = self.run(data_settings, tmp_path, "area_profile.ipynb",
                          {"area_code": "E06000001"})
        assert result["ok"], result["message"]
        nb = nbformat.read(result["notebook"], as_version=4)
        assert nb.metadata.papermill.parameters["area_code"] == "E06000001"
        assert (result["out"] / "figures" / "area_profile_E06000001.png").is_file()

    def test_papermill_runs_inequalities_for_another_upper_tier_area(self, data_settings,
                                                                     tmp_path):
        result = self.run(data_settings, tmp_path, "inequalities.ipynb",
                          {"area_codes": ["E06000001"], "comparator_codes": ["E12000001"]})
        assert result["ok"], result["message"]
        out = result["out"]
        assert (out / "figures" / "sii_life_expectancy.png").is_file()
        table = pd.read_csv(out / "tables" / "sii_life_expectancy.csv")
        assert set(table["focus_code"]) == {"E06000001"}

    def test_papermill_stops_on_a_bad_area_code_naming_it(self, data_settings, tmp_path):
        result = self.run(data_settings, tmp_path, "area_profile.ipynb",
                          {"area_code": "E0600000"})
        assert not result["ok"] and "area_code='E0600000'" in result["message"]

    def test_window_of_need_report_has_the_coventry_2021_23_gaps(self, settings):
        summary = runner.run_reports(settings.reports_config, settings=settings, jobs=1,
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


class TestReportInputs:
    def test_a_changed_claims_file_changes_the_inputs_digest(self, data_settings, tmp_path):
        claims = tmp_path / "claims"
        claims.mkdir()
        (claims / "doc.yaml").write_text("claims: []\n", encoding="utf-8")
        settings = data_settings.with_(claims_dir=claims)
        before = runner.run.report_inputs_sha256(settings)
        (claims / "doc.yaml").write_text("claims: []\ndocument: changed\n", encoding="utf-8")
        assert runner.run.report_inputs_sha256(settings) != before
