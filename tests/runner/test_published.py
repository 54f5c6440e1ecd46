"""What a published report may hold: names from the data are shown, never run, and no folder
of the machine that made it appears (a real area-profile run on the real snapshot)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from cw_pophealth import runner, schema, snapshot
from cw_pophealth.config import PROJECT_ROOT

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def published(tmp_path_factory, data_settings):
    """Run the real area-profile notebook on a copy of the snapshot in which Coventry's name
    is a script (a SYNTHETIC edit of real data), into a fresh reports folder."""
    root = tmp_path_factory.mktemp("published")
    table = snapshot.load_indicators(data_settings)
    poisoned = table.assign(area_name=table["area_name"].mask(
        table["area_code"] == "E08000026", SCRIPT))
    settings = data_settings.with_(data_dir=root / "data", reports_dir=root / "reports")
    schema.write_tidy(poisoned, settings.indicators_table)
    config = root / "reports.yaml"
    config.write_text(yaml.safe_dump({
        "notebooks_dir": str(PROJECT_ROOT / "notebooks"),
        "reports": [{"name": "profile", "notebook": "area_profile.ipynb",
                     "parameters": {"area_code": "E08000026"}}]}))
    runner.run_reports(config, settings=settings, jobs=1)
    return settings.reports_dir, root


def published_files(reports: Path) -> list[Path]:
    """The report folders and the index (not the runner's own dot-folders of state)."""
    return [p for p in reports.rglob("*") if p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(reports).parts)]


class TestNamesFromTheDataAreEscaped:
    def test_the_report_shows_the_name_as_text(self, published):
        html = (published[0] / "profile" / "profile.html").read_text(encoding="utf-8")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html

    def test_no_html_page_contains_the_script_as_markup(self, published):
        pages = [p for p in published_files(published[0]) if p.suffix == ".html"]
        assert len(pages) == 3  # the report, its glossary and the index
        assert [p.name for p in pages if SCRIPT in p.read_text(encoding="utf-8")] == []

    def test_the_index_lists_the_figure_under_its_escaped_title(self, published):
        index = (published[0] / "index.html").read_text(encoding="utf-8")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index

    def test_the_tables_keep_the_name_as_published(self, published):
        # Escaping belongs where HTML is made: the CSV holds the data as it is.
        csv = next((published[0] / "profile" / "tables").glob("*.csv")).read_text()
        assert SCRIPT in csv


class TestNoMachinePaths:
    @pytest.mark.parametrize("where", ["the test's folder", "the project", "the Python "
                                       "environment", "the home folder"])
    def test_no_published_file_names_a_folder_of_this_machine(self, published, where):
        folder = {"the test's folder": str(published[1]), "the project": str(PROJECT_ROOT),
                  "the Python environment": sys.prefix,
                  "the home folder": str(Path.home())}[where]
        leaks = [str(p.relative_to(published[0])) for p in published_files(published[0])
                 if p.suffix in (".html", ".ipynb", ".json", ".csv", ".svg")
                 and folder in p.read_text(encoding="utf-8", errors="replace")]
        assert leaks == []

    def test_the_executed_notebook_records_relative_paths(self, published):
        text = (published[0] / "profile" / "profile.ipynb").read_text(encoding="utf-8")
        assert '"input_path": "notebooks/area_profile.ipynb"' in text
        assert '"output_dir": "."' in text
