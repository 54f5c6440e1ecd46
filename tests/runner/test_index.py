"""Tests for the summary page (cw_pophealth.runner.index, .summary and .refresh).

The headline tests read the real snapshot; the manifests they list are written by hand (a
report folder's ``manifest.json``, as the runner writes it), so no notebook runs here. The
refresh tests compare SYNTHETIC edits of the real table.
"""

from __future__ import annotations

import json
import logging
import re

import pandas as pd
import pytest

from cw_pophealth import catalogue, schema
from cw_pophealth.runner import index, refresh, summary
from cw_pophealth.runner.run import Progress

COV, WARKS, ENG = catalogue.COVENTRY, catalogue.WARWICKSHIRE, catalogue.ENGLAND
RISKS = ["smoking", "physical_inactivity", "overweight", "obesity", "alcohol",
         "alcohol_admissions"]


def _manifest(reports, name, notebook, parameters, title=None, outputs=()):
    folder = reports / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps({
        "name": name, "title": title or name, "group": name, "notebook": notebook,
        "parameters": parameters, "executed_at": "2026-12-01T10:00:00+00:00", "seconds": 1.0,
        "outputs": list(outputs), "html": f"{name}.html", "executed_notebook": f"{name}.ipynb",
    }))


@pytest.fixture
def reports(tmp_path):
    """A reports folder with a window-of-need and a risk-factor report for C&W."""
    root = tmp_path / "reports"
    _manifest(root, "window_of_need", "window_of_need.ipynb",
              {"area_codes": [COV, WARKS], "sexes": ["Male", "Female"], "period": "latest"},
              outputs=[{"kind": "figure", "title": "Window of need", "period": "2022 - 24",
                        "files": ["figures/won.png", "figures/won.svg"]}])
    _manifest(root, "risk_factors", "risk_factors.ipynb",
              {"area_codes": [COV, WARKS], "benchmark_code": ENG, "indicator_keys": RISKS,
               "period": "latest"})
    return root


def _page(reports, table, settings, **kwargs):
    index.write_index(reports, [], [], table=table, settings=settings, **kwargs)
    return (reports / "index.html").read_text(encoding="utf-8")


def _text(html):
    """The page's text, tags removed and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


class TestHeadlines:
    def test_the_window_of_need_is_the_newest_period_with_a_gap(self, table):
        w = summary.window_headline(table, [COV, WARKS])
        cov = {r["sex"]: r["gap"] for r in w["rows"] if r["area"] == "Coventry"}
        assert (w["period"], cov) == ("2022 - 24", {"Male": "18.2", "Female": "22.9"})

    def test_a_missing_le_is_an_em_dash_with_its_reason(self, table):
        w = summary.window_headline(table, [COV, WARKS])
        warks = next(r for r in w["rows"] if r["area"] == "Warwickshire")
        assert (warks["le"], warks["gap"]) == ("—", "—")
        assert warks["note"].startswith("LE not in data for 2022 - 24")

    def test_the_reason_names_the_areas_own_latest_gap(self, table):
        w = summary.window_headline(table, [COV, WARKS])
        warks = next(r for r in w["rows"] if r["area"] == "Warwickshire" and r["sex"] == "Male")
        assert "15.1 years in 2016 - 18" in warks["note"]

    def test_risk_factors_carry_value_comparison_and_period(self, table):
        h = summary.risk_headline(table, [COV, WARKS], indicator_keys=["physical_inactivity"])
        cov = h["rows"][0]["cells"][0]
        assert (h["benchmark"], cov["value"], cov["comparison"], cov["period"]) == (
            "England", "29.6%", "Worse", "2024/25")

    def test_an_indicator_without_data_says_what_a_live_pull_adds(self, table):
        h = summary.risk_headline(table, [COV], indicator_keys=["alcohol"])
        cell = h["rows"][0]["cells"][0]
        assert (cell["value"], "live pull" in cell["note"]) == ("—", True)

    def test_the_watch_list_names_what_is_worse_than_england(self, table):
        watch = summary.watch_list(table, [COV, WARKS], indicator_keys=RISKS)
        assert any(w.startswith("Coventry: Physically inactive adults, 29.6% in 2024/25")
                   for w in watch["worse"])

    def test_the_title_follows_the_areas(self, table):
        assert summary.areas_title(table, ["E06000001", COV]) == "Hartlepool and Coventry"


class TestSummaryPage:
    def test_the_page_opens_with_the_headline_numbers(self, reports, table, settings):
        text = _text(_page(reports, table, settings))
        assert text.index("Window of need, 2022 - 24") < text.index("Risk factors against "
                                                                     "England")
        assert "Coventry Male 77.4 59.2 18.2" in text

    def test_the_title_names_the_areas_of_the_reports(self, reports, table, settings):
        html = _page(reports, table, settings)
        assert "<h1>Population health: Coventry and Warwickshire</h1>" in html

    def test_another_areas_reports_change_the_title(self, tmp_path, table, settings):
        root = tmp_path / "reports"
        _manifest(root, "won_hartlepool", "window_of_need.ipynb", {"area_codes": ["E06000001"]})
        assert "<h1>Population health: Hartlepool</h1>" in _page(root, table, settings)

    def test_build_details_are_in_a_collapsed_section(self, reports, table, settings):
        html = _page(reports, table, settings)
        details = html[html.index("<details>"):]
        assert "<details open" not in html and '"area_codes"' not in html[:html.index(
            "<details>")] and "area_codes" in details

    def test_a_thumbnail_links_to_its_report_with_alt_text(self, reports, table, settings):
        html = _page(reports, table, settings)
        assert re.search(r'<a href="window_of_need/window_of_need.html">\s*<img '
                         r'src="window_of_need/figures/won.png" alt="Figure: Window of need"',
                         html)

    def test_sources_are_in_plain_words(self, reports, table, settings):
        assert "Fingertips as of May 2026" in _text(_page(reports, table, settings))

    def test_reports_of_another_config_are_kept(self, reports, table, settings, project):
        from cw_pophealth.runner import load_report_config
        from helpers import tiny_run

        runs = load_report_config(project([tiny_run()]), settings=settings)
        index.write_index(reports, runs, [], table=table, settings=settings)
        html = (reports / "index.html").read_text(encoding="utf-8")
        assert all(f'href="{n}/{n}.html"' in html for n in ("window_of_need", "risk_factors"))

    def test_names_from_the_config_are_escaped(self, tmp_path, table, settings):
        root = tmp_path / "reports"
        _manifest(root, "x", "tiny.ipynb", {"message": "<b>hi</b>"},
                  title="<script>alert(1)</script>")
        html = _page(root, table, settings)
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    def test_the_page_works_at_phone_width_and_in_print(self, reports, table, settings):
        html = _page(reports, table, settings)
        assert 'name="viewport"' in html and "@media print" in html

    def test_a_page_without_any_table_still_renders(self, reports, settings):
        assert "Population health reports" in _page(reports, None, settings)


class TestChangesSinceTheLastRefresh:
    @pytest.fixture
    def table_file(self, tmp_path, table):
        path = tmp_path / "data" / "indicators.parquet"
        schema.write_tidy(table, path)
        return path

    def test_the_first_run_has_nothing_to_compare_with(self, tmp_path, table_file):
        result = refresh.record_refresh(tmp_path / "reports", table_file)
        assert (result["compared"], "nothing to compare with" in result["message"]) == (
            False, True)
        assert not (tmp_path / "reports" / refresh.CHANGES_CSV).exists()

    def test_a_second_run_on_the_same_data_still_has_nothing_to_compare(self, tmp_path,
                                                                         table_file):
        refresh.record_refresh(tmp_path / "reports", table_file)
        result = refresh.record_refresh(tmp_path / "reports", table_file)
        assert (result["compared"], "have not changed" in result["message"]) == (False, True)

    def test_a_revised_value_is_listed_after_the_data_change(self, tmp_path, table,
                                                             table_file):
        reports = tmp_path / "reports"
        refresh.record_refresh(reports, table_file)
        # SYNTHETIC revision of a real value: Coventry's 2024/25 inactivity, 29.6 -> 31.0.
        edited = table.copy()
        mask = ((edited["indicator_id"] == 93015) & (edited["area_code"] == COV)
                & (edited["period"] == "2024/25") & edited["current"].astype(bool))
        edited.loc[mask, "value"] = 31.0
        schema.write_tidy(edited, table_file)
        result = refresh.record_refresh(reports, table_file)
        csv = pd.read_csv(reports / refresh.CHANGES_CSV)
        row = csv.loc[csv["change"] == "revised value"].iloc[0]
        assert (result["compared"], row["area_code"], row["old_value"], row["new_value"]) == (
            True, COV, 29.6, 31.0)

    def test_an_unchanged_table_keeps_showing_the_last_refreshs_changes(self, tmp_path, table,
                                                                         table_file):
        reports = tmp_path / "reports"
        refresh.record_refresh(reports, table_file)
        schema.write_tidy(table.loc[table["period"] != "2023 - 25"], table_file)
        first = refresh.record_refresh(reports, table_file)
        again = refresh.record_refresh(reports, table_file)
        assert (first["counts"] == again["counts"], again["data_changed_this_run"]) == (
            True, False)

    def test_the_page_lists_new_periods(self, reports, table, settings, table_file):
        schema.write_tidy(table.loc[table["period"] != "2023 - 25"], table_file)
        refresh.record_refresh(reports, table_file)
        schema.write_tidy(table, table_file)
        result = refresh.record_refresh(reports, table_file)
        text = _text(_page(reports, table, settings, refresh=result))
        assert "Life expectancy at birth (90366): new period 2023 - 25" in text


class TestProgress:
    def test_an_unknown_duration_says_so_until_one_notebook_finished(self):
        p = Progress({"a": None, "b": None}, jobs=2)
        assert p.start_message() == ""

    def test_the_time_left_is_shared_among_the_jobs(self):
        p = Progress({"a": 10.0, "b": 20.0, "c": 20.0}, jobs=2)
        assert p.finished("a", 10.0).endswith("about 20 s left")

    def test_papermill_lines_are_quietened(self):
        from cw_pophealth.runner.execute import quiet_library_logs

        quiet_library_logs()
        assert not logging.getLogger("papermill").isEnabledFor(logging.INFO)
