"""Tests for cw_pophealth.report: what a notebook calls to save figures and tables."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cw_pophealth import catalogue, plots, report  # noqa: E402
from cw_pophealth.runner import state

COV, WARKS, ENG = catalogue.COVENTRY, catalogue.WARWICKSHIRE, catalogue.ENGLAND


class TestSaveFigure:
    def test_writes_png_and_svg_under_figures(self, tmp_path):
        fig, ax = plt.subplots()
        paths = report.save_figure(fig, "chart", output_dir=tmp_path)
        assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
            "figures/chart.png", "figures/chart.svg", "figures/chart_300dpi.png"]

    def test_an_empty_output_dir_saves_nothing(self, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        fig, ax = plt.subplots()
        assert report.save_figure(fig, "chart", output_dir="") == []
        assert list(tmp_path.iterdir()) == []

    def test_records_title_and_period_for_the_index(self, tmp_path):
        won = pd.DataFrame({
            "area_code": [COV], "area_name": ["Coventry"], "role": ["focus"], "sex": ["Male"],
            "period": ["2021 - 23"], "le": [77.3], "le_lower": [None], "le_upper": [None],
            "hle": [58.5], "hle_lower": [55.7], "hle_upper": [61.2], "gap": [18.8],
            "status": ["OK"], "le_source_ref": ["a.csv"], "hle_source_ref": ["b.csv"],
            "le_source": ["a"], "hle_source": ["b"]})
        ax = plots.window_of_need_bars(won)
        report.save_figure(ax.figure, "won", output_dir=tmp_path)
        record = json.loads((tmp_path / state.OUTPUTS_FILE).read_text())[0]
        assert (record["period"], record["title"].startswith("Life expectancy")) == (
            "2021 - 23", True)

    def test_the_same_figure_gives_the_same_svg_bytes_every_time(self, tmp_path):
        def draw(folder):
            fig, ax = plt.subplots()
            ax.plot([1, 2, 3], [2, 1, 3], marker="o")
            ax.set_title("Synthetic values")
            return report.save_figure(fig, "chart", output_dir=folder)[1].read_bytes()

        assert draw(tmp_path / "a") == draw(tmp_path / "b")


class TestShowFigure:
    def test_shows_the_very_png_it_saves_and_closes_the_figure(self, tmp_path, monkeypatch):
        shown = []
        monkeypatch.setattr("IPython.display.display", shown.append)
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.set_title("Synthetic values")
        png, svg, _ = report.show_figure(fig, "chart", output_dir=tmp_path)
        assert [type(x).__name__ for x in shown] == ["FigureImage"]
        assert shown[0].data == png.read_bytes() and svg.is_file()
        assert not plt.fignum_exists(fig.number)  # the inline backend will not draw it again

    def test_shows_it_at_its_natural_size(self, tmp_path, monkeypatch):
        shown = []
        monkeypatch.setattr("IPython.display.display", shown.append)
        fig, _ = plt.subplots(figsize=(4, 3))
        report.show_figure(fig, "chart", output_dir=tmp_path)
        pixels = int.from_bytes(shown[0].data[16:20], "big")
        assert shown[0].width == round(pixels * 96 / report.PNG_DPI)

    def test_an_empty_output_dir_shows_but_saves_nothing(self, tmp_path, monkeypatch):
        shown = []
        monkeypatch.setattr("IPython.display.display", shown.append)
        monkeypatch.chdir(tmp_path)
        fig, _ = plt.subplots()
        assert report.show_figure(fig, "chart", output_dir="") == []
        assert len(shown) == 1 and list(tmp_path.iterdir()) == []


    def test_shows_it_with_the_figures_alt_text_escaped(self, tmp_path, monkeypatch):
        shown = []
        monkeypatch.setattr("IPython.display.display", shown.append)
        fig, _ = plt.subplots(figsize=(4, 3))
        plots.set_alt_text(fig, 'Bar chart: "<Coventry>" 18.2 years')
        report.show_figure(fig, "chart", output_dir=tmp_path)
        html = shown[0]._repr_mimebundle_()["text/html"]
        assert 'alt="Bar chart: &quot;&lt;Coventry&gt;&quot; 18.2 years"' in html


class TestSlideExports:
    @staticmethod
    def three_figures(folder):
        for i in range(3):
            fig, ax = plt.subplots(figsize=(4, 3))
            ax.plot([0, 1], [i, i + 1])
            ax.set_title(f"Synthetic chart {i}")
            report.show_figure(fig, f"chart{i}", output_dir=folder)

    def test_the_pdf_has_one_page_per_figure(self, tmp_path, monkeypatch):
        monkeypatch.setattr("IPython.display.display", lambda obj: None)
        self.three_figures(tmp_path)
        pdf = (tmp_path / "figures" / report.SLIDES_PDF).read_bytes()
        assert len(re.findall(rb"/Type\s*/Page\b", pdf)) == 3

    def test_the_pdf_is_the_same_bytes_every_run(self, tmp_path, monkeypatch):
        monkeypatch.setattr("IPython.display.display", lambda obj: None)
        self.three_figures(tmp_path / "a")
        self.three_figures(tmp_path / "b")
        assert (tmp_path / "a" / "figures" / report.SLIDES_PDF).read_bytes() == (
            tmp_path / "b" / "figures" / report.SLIDES_PDF).read_bytes()

    def test_the_slide_png_is_300_dpi(self, tmp_path):
        fig, _ = plt.subplots(figsize=(4, 3))
        png, _, slide = report.save_figure(fig, "chart", output_dir=tmp_path)
        width = int.from_bytes(slide.read_bytes()[16:20], "big")
        normal = int.from_bytes(png.read_bytes()[16:20], "big")
        assert width == pytest.approx(normal * report.SLIDE_DPI / report.PNG_DPI, abs=2)

    def test_the_index_records_the_pdf(self, tmp_path, monkeypatch):
        monkeypatch.setattr("IPython.display.display", lambda obj: None)
        self.three_figures(tmp_path)
        records = json.loads((tmp_path / state.OUTPUTS_FILE).read_text())
        slides = [r for r in records if r["kind"] == "slides"]
        assert [(r["files"], r["pages"]) for r in slides] == [(["figures/figures.pdf"], 3)]

    def test_with_slides_off_only_the_png_and_svg_are_written(self, tmp_path, monkeypatch):
        monkeypatch.setattr("IPython.display.display", lambda obj: None)
        monkeypatch.setenv("CW_POPHEALTH_SLIDES", "0")
        self.three_figures(tmp_path)
        assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == [
            f"chart{i}.{ext}" for i in range(3) for ext in ("png", "svg")]
        records = json.loads((tmp_path / state.OUTPUTS_FILE).read_text())
        assert [r["kind"] for r in records] == ["figure"] * 3

    def test_svg_text_stays_text(self, tmp_path):
        fig, ax = plt.subplots()
        ax.set_title("Synthetic title")
        svg = report.save_figure(fig, "chart", output_dir=tmp_path)[1].read_text()
        assert "Synthetic title" in svg


class TestSaveTable:
    def test_values_are_written_at_published_precision(self, tmp_path):
        frame = pd.DataFrame({"le": [77.4], "hle": [59.2]}).assign(gap=lambda d: d["le"] - d["hle"])
        path = report.save_table(frame, "gap", output_dir=tmp_path)
        assert path.read_text() == "le,hle,gap\n77.4,59.2,18.2\n"

    def test_full_precision_values_keep_their_digits(self, tmp_path):
        frame = pd.DataFrame({"le": [79.8957, 0.000123456789012345], "n": [1, 2]})
        path = report.save_table(frame, "le", output_dir=tmp_path)
        assert pd.read_csv(path)["le"].tolist() == [79.8957, 0.000123456789012]


    def test_writes_csv_under_tables(self, tmp_path):
        path = report.save_table(pd.DataFrame({"a": [1]}), "numbers", output_dir=tmp_path)
        assert path == tmp_path / "tables" / "numbers.csv" and path.read_text() == "a\n1\n"

    def test_an_empty_output_dir_saves_nothing(self):
        assert report.save_table(pd.DataFrame({"a": [1]}), "x", output_dir="") is None

    def test_a_full_path_is_used_as_given(self, tmp_path):
        target = tmp_path / "out.csv"
        assert report.save_table(pd.DataFrame({"a": [1]}), target) == target


class TestDisplayTable:
    def test_a_missing_value_reads_as_a_dash_with_its_rows_reason(self, monkeypatch):
        shown = []
        monkeypatch.setattr("IPython.display.display", shown.append)
        frame = pd.DataFrame({"area": ["Coventry", "Rugby"], "value": [18.2, None],
                              "parent": [None, "E10000031"],
                              "status": ["OK", "HLE not in data"]})
        report.display_table(frame, missing={"parent": "not a district"})
        page = shown[0].to_html()
        assert ("NaN" not in page and "— (HLE not in data)" in page
                and "— (not a district)" in page)

    def test_no_cell_reads_nan_or_na(self):
        frame = pd.DataFrame({"a": [None, 1.0], "b": pd.array([pd.NA, "x"], dtype="string")})
        text = report.missing_as_text(frame).to_string()
        assert not any(word in text for word in ("NaN", "nan", "<NA>"))


class TestGlossary:
    def test_defines_the_terms_and_every_indicator(self):
        page = report.glossary_html()
        assert all(term in page for term in ("Window of need", "confidence interval",
                                             "Polarity")) and all(
            catalogue.definition(s.key) and html.escape(catalogue.definition(s.key)) in page
            for s in catalogue.all_indicators())

    def test_is_written_beside_the_report_and_linked(self, tmp_path):
        link = report.glossary_link(output_dir=tmp_path)
        assert (tmp_path / "glossary.html").is_file() and "(glossary.html)" in link.data


class TestPeriodSlug:
    @pytest.mark.parametrize(("period", "slug"), [("latest", "latest"), ("2022/23", "2022-23"),
                                                  ("2021 - 23", "2021-23"), ("2022", "2022")])
    def test_names_the_period(self, period, slug):
        assert report.period_slug(period) == slug


@pytest.mark.slow
class TestReportsFollowTheirParameters:
    """The notebooks run by papermill with other parameters, as the runner runs them."""

    @staticmethod
    def run(settings, tmp_path, notebook: str, parameters: dict) -> dict:
        from cw_pophealth.config import PROJECT_ROOT
        from cw_pophealth.runner import execute

        job = {"name": Path(notebook).stem, "notebook": str(PROJECT_ROOT / "notebooks" / notebook),
               "parameters": parameters, "title": notebook, "timeout": 300, "labels": {},
               "env": execute.kernel_environment(settings), "staging": str(tmp_path / "out")}
        result = execute.execute(job)
        out = Path(job["staging"])
        nb = (nbformat.read(out / f"{job['name']}.ipynb", as_version=4)
              if (out / f"{job['name']}.ipynb").is_file() else None)
        return {**result, "out": out, "nb": nb}

    @staticmethod
    def outputs(nb, mime: str) -> list[str]:
        return [o["data"][mime] for c in nb.cells for o in c.get("outputs", [])
                if mime in o.get("data", {})]

    @pytest.fixture(scope="class")
    @classmethod
    def risk_2022_23(cls, built_settings, tmp_path_factory):
        return cls.run(built_settings, tmp_path_factory.mktemp("rf"), "risk_factors.ipynb",
                        {"period": "2022/23", "area_codes": ["E08000026"],
                         "comparator_codes": ["E12000005", "E92000001"],
                         "benchmark_code": "E12000005", "include_districts": False})

    def test_files_are_named_for_the_period(self, risk_2022_23):
        assert risk_2022_23["ok"], risk_2022_23["message"]
        names = {p.name for p in (risk_2022_23["out"] / "figures").iterdir()}
        assert {"risk_factors_2022-23.png", "risk_factors_2022-23.svg",
                "risk_factors_2022-23_300dpi.png", "figures.pdf"} <= names

    def test_the_heading_names_the_areas_benchmark_and_period(self, risk_2022_23):
        headings = [m for m in self.outputs(risk_2022_23["nb"], "text/markdown")
                    if m.startswith("## ")]
        assert headings[0] == "## Coventry compared with West Midlands, beside England, 2022/23"

    def test_the_figure_title_says_2022_23(self, risk_2022_23):
        alts = [re.search(r'alt="([^"]*)"', h)[1] for h in
                self.outputs(risk_2022_23["nb"], "text/html") if "<img" in h]
        records = json.loads((risk_2022_23["out"] / state.OUTPUTS_FILE).read_text())
        titles = [r["title"] for r in records if r["kind"] == "figure"]
        assert titles[0] == "Risk factors compared with West Midlands, 2022/23" and all(alts)

    def test_smoking_takes_2022_and_says_so(self, risk_2022_23):
        table = pd.read_csv(risk_2022_23["out"] / "tables" / "risk_factors_2022-23.csv")
        cov = table.loc[(table["indicator_id"] == 92443) & (table["area_code"] == COV)].iloc[0]
        assert (str(cov["period"]), cov["status"], cov["period_note"][:29]) == (
            "2022", "OK", "calendar year 2022 used for 2")

    def test_no_html_output_reads_nan(self, risk_2022_23):
        pages = [re.sub(r'src="data:[^"]*"', "", h)
                 for h in self.outputs(risk_2022_23["nb"], "text/html")]
        assert not any(re.search(r">\s*(NaN|nan|<NA>)\s*<", p) for p in pages)

    def test_the_glossary_is_written_and_linked(self, risk_2022_23):
        links = [m for m in self.outputs(risk_2022_23["nb"], "text/markdown")
                 if "(glossary.html)" in m]
        assert (risk_2022_23["out"] / "glossary.html").is_file() and links

    def test_persons_on_the_window_of_need_blames_the_parameter(self, built_settings,
                                                                 tmp_path):
        result = self.run(built_settings, tmp_path, "window_of_need.ipynb",
                          {"sexes": ["Persons"]})
        assert not result["ok"] and "sexes=['Persons']" in result["message"]
