"""Tests for cw_pophealth.report: what a notebook calls to save figures and tables."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from cw_pophealth import catalogue, plots, report  # noqa: E402
from cw_pophealth.runner import state

COV, WARKS, ENG = catalogue.COVENTRY, catalogue.WARWICKSHIRE, catalogue.ENGLAND


class TestSaveFigure:
    def test_writes_png_and_svg_under_figures(self, tmp_path):
        fig, ax = plt.subplots()
        paths = report.save_figure(fig, "chart", output_dir=tmp_path)
        assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
            "figures/chart.png", "figures/chart.svg"]

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
        png, svg = report.show_figure(fig, "chart", output_dir=tmp_path)
        assert [type(x).__name__ for x in shown] == ["Image"]
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


class TestSaveTable:
    def test_writes_csv_under_tables(self, tmp_path):
        path = report.save_table(pd.DataFrame({"a": [1]}), "numbers", output_dir=tmp_path)
        assert path == tmp_path / "tables" / "numbers.csv" and path.read_text() == "a\n1\n"

    def test_an_empty_output_dir_saves_nothing(self):
        assert report.save_table(pd.DataFrame({"a": [1]}), "x", output_dir="") is None

    def test_a_full_path_is_used_as_given(self, tmp_path):
        target = tmp_path / "out.csv"
        assert report.save_table(pd.DataFrame({"a": [1]}), target) == target
