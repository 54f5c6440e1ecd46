"""Tests for the cw-pophealth command line (build and error handling)."""

from __future__ import annotations

import pytest

from cw_pophealth import cli, schema


class TestBuildCommand:
    def test_build_writes_a_valid_table(self, extracts_dir, tmp_path, monkeypatch):
        monkeypatch.setenv("CW_POPHEALTH_DATA", str(tmp_path))
        assert cli.main(["build"]) == 0 and len(schema.read_tidy(
            tmp_path / "processed" / "indicators.parquet")) > 0

    def test_missing_extracts_exit_2_with_a_sentence_not_a_traceback(self, tmp_path, monkeypatch,
                                                                     capsys):
        monkeypatch.setenv("CW_POPHEALTH_EXTRACTS", str(tmp_path / "nowhere"))
        monkeypatch.setenv("CW_POPHEALTH_DATA", str(tmp_path))
        code = cli.main(["build"])
        err = capsys.readouterr().err
        assert code == 2 and "CW_POPHEALTH_EXTRACTS" in err and "Traceback" not in err


class TestParser:
    def test_a_subcommand_is_required(self):
        with pytest.raises(SystemExit):
            cli.build_parser().parse_args([])

    def test_pull_accepts_offline_indicators_and_areas(self):
        args = cli.build_parser().parse_args(
            ["pull", "--offline", "--indicators", "90366,smoking", "--areas", "E08000026"])
        assert (args.offline, args.indicators, args.areas) == (True, "90366,smoking", "E08000026")


class TestPullCommand:
    def test_pull_then_offline_pull_give_the_same_table(self, fake_api, tmp_path, monkeypatch):
        monkeypatch.setenv("FINGERTIPS_API_URL", fake_api.url)
        monkeypatch.setenv("CW_POPHEALTH_DATA", str(tmp_path))
        args = ["pull", "--indicators", "life_expectancy", "--areas", "E08000026",
                "--no-progress"]
        assert cli.main(args) == 0
        online = schema.read_tidy(tmp_path / "processed" / "indicators.parquet")
        fake_api.set_fault("500", times=100)  # the server is now down: offline must not call it
        assert cli.main([*args, "--offline"]) == 0
        offline = schema.read_tidy(tmp_path / "processed" / "indicators.parquet")
        assert offline.equals(online) and set(online["area_code"]) == {"E08000026"}

    def test_a_malformed_area_code_exits_2_naming_it(self, fake_api, tmp_path, monkeypatch,
                                                     capsys):
        monkeypatch.setenv("FINGERTIPS_API_URL", fake_api.url)
        monkeypatch.setenv("CW_POPHEALTH_DATA", str(tmp_path))
        code = cli.main(["pull", "--areas", "E0800002", "--no-progress"])
        assert code == 2 and "E0800002" in capsys.readouterr().err
