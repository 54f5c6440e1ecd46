"""Tests for cw_pophealth.runner.config: the reports config and its fan-outs."""

from __future__ import annotations

import pytest  # noqa: E402

from cw_pophealth import catalogue, runner  # noqa: E402
from cw_pophealth.errors import (  # noqa: E402
    ConfigError,
)
from helpers import tiny_run

COV, WARKS, ENG = catalogue.COVENTRY, catalogue.WARWICKSHIRE, catalogue.ENGLAND


class TestLoadReportConfig:
    def test_the_project_config_lists_every_report_notebook(self, data_settings):
        runs = runner.load_report_config(data_settings.reports_config, settings=data_settings)
        assert {r.notebook.name for r in runs} == {"window_of_need.ipynb", "risk_factors.ipynb",
                                                   "area_profile.ipynb", "neighbours.ipynb",
                                                   "framework_claims.ipynb",
                                                   "behavioural_risk_burden.ipynb",
                                                   "inequalities.ipynb"}

    def test_fan_out_makes_one_run_per_value(self, project, data_settings):
        path = project([{"name": "tiny", "notebook": "tiny.ipynb",
                         "fan_out": {"parameter": "message", "values": ["a", "b"]}}])
        runs = runner.load_report_config(path, settings=data_settings)
        assert [(r.name, r.parameters["message"], r.group) for r in runs] == [
            ("tiny-a", "a", "tiny"), ("tiny-b", "b", "tiny")]

    def test_fan_out_over_all_upper_tier_areas(self, project, data_settings):
        path = project([{"name": "p", "notebook": "tiny.ipynb",
                         "fan_out": {"parameter": "area_code", "values": "all upper-tier"}}])
        runs = runner.load_report_config(path, settings=data_settings)
        assert len(runs) == 153 and f"p-{COV}" in {r.name for r in runs}

    def test_slides_is_on_unless_an_entry_turns_it_off_for_all_its_runs(self, project,
                                                                          data_settings):
        path = project([{"name": "one", "notebook": "tiny.ipynb"},
                        {"name": "many", "notebook": "tiny.ipynb", "slides": False,
                         "fan_out": {"parameter": "message", "values": ["a", "b"]}}])
        runs = runner.load_report_config(path, settings=data_settings)
        assert [(r.name, r.slides) for r in runs] == [
            ("one", True), ("many-a", False), ("many-b", False)]

    def test_slides_must_be_true_or_false(self, project, data_settings):
        path = project([{"name": "one", "notebook": "tiny.ipynb", "slides": "no"}])
        with pytest.raises(ConfigError, match=r"'slides' must be true or false, not 'no'"):
            runner.load_report_config(path, settings=data_settings)

    def test_duplicate_names_are_rejected(self, project, data_settings):
        path = project([tiny_run(), tiny_run()])
        with pytest.raises(ConfigError, match="more than once"):
            runner.load_report_config(path, settings=data_settings)

    def test_a_missing_notebook_is_named(self, project, data_settings):
        path = project([{"name": "x", "notebook": "nope.ipynb"}])
        with pytest.raises(ConfigError, match="nope.ipynb"):
            runner.load_report_config(path, settings=data_settings)

    def test_a_missing_file_says_what_to_do(self, tmp_path, data_settings):
        with pytest.raises(ConfigError, match="not found"):
            runner.load_report_config(tmp_path / "none.yaml", settings=data_settings)
