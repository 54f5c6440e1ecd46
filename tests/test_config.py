"""Tests for cw_pophealth.config: one Settings object, overridable by environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from cw_pophealth import config
from cw_pophealth.errors import ConfigError


class TestGetSettings:
    def test_data_and_reports_default_to_the_current_folder(self, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("CW_POPHEALTH_DATA", raising=False)
        monkeypatch.delenv("CW_POPHEALTH_REPORTS", raising=False)
        settings = config.get_settings()
        assert (settings.data_dir, settings.reports_dir) == (tmp_path.resolve() / "data",
                                                             tmp_path.resolve() / "reports")

    @pytest.mark.parametrize("inside", ["notebooks", "src/cw_pophealth", "."])
    def test_inside_the_project_they_are_the_projects_own(self, monkeypatch, inside):
        # A notebook opened in notebooks/ (JupyterLab works in the notebook's folder) reads the
        # project's snapshot and writes the project's reports, not copies beside itself.
        monkeypatch.chdir(config.PROJECT_ROOT / inside)
        monkeypatch.delenv("CW_POPHEALTH_DATA", raising=False)
        monkeypatch.delenv("CW_POPHEALTH_REPORTS", raising=False)
        settings = config.get_settings()
        root = config.PROJECT_ROOT.resolve()
        assert (settings.data_dir, settings.reports_dir) == (root / "data", root / "reports")

    def test_installed_without_the_source_tree_they_follow_the_working_folder(self, tmp_path):
        below = tmp_path / "proj" / "notebooks"
        assert config._default_base(below, tmp_path, checkout=False) == below.resolve()

    def test_the_data_folder_follows_cw_pophealth_data(self, tmp_path, monkeypatch):
        monkeypatch.setenv("CW_POPHEALTH_DATA", str(tmp_path / "elsewhere"))
        assert config.get_settings().data_dir == tmp_path.resolve() / "elsewhere"

    def test_the_project_files_still_come_from_the_project(self, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)
        settings = config.get_settings()
        assert settings.reports_config == config.PROJECT_ROOT / "config" / "reports.yaml"
        assert settings.notebooks_dir == config.PROJECT_ROOT / "notebooks"

    def test_extracts_folder_can_be_set_by_environment(self, tmp_path, monkeypatch):
        monkeypatch.setenv("CW_POPHEALTH_EXTRACTS", str(tmp_path))
        assert config.get_settings().extracts_dir == tmp_path.resolve()

    def test_api_url_from_environment_gets_a_trailing_slash(self, monkeypatch):
        monkeypatch.setenv("FINGERTIPS_API_URL", "http://127.0.0.1:9/api")
        assert config.get_settings().api_base_url == "http://127.0.0.1:9/api/"

    @pytest.mark.parametrize(("text", "expected"), [("1", True), ("true", True), ("0", False),
                                                    ("", False)])
    def test_offline_flag_from_environment(self, monkeypatch, text, expected):
        monkeypatch.setenv("CW_POPHEALTH_OFFLINE", text)
        assert config.get_settings().offline is expected

    def test_request_concurrency_can_be_set_by_environment(self, monkeypatch):
        monkeypatch.setenv("CW_POPHEALTH_MAX_WORKERS", "4")
        assert config.get_settings().max_workers == 4

    def test_request_concurrency_defaults_to_4(self, monkeypatch):
        # A polite default for a public API without rate limiting (issue 12; it was 16).
        monkeypatch.delenv("CW_POPHEALTH_MAX_WORKERS", raising=False)
        assert config.get_settings().max_workers == 4

    def test_the_settings_class_has_the_same_default(self):
        assert config.Settings(config.PROJECT_ROOT, config.PROJECT_ROOT,
                               config.PROJECT_ROOT, None).max_workers == 4

    @pytest.mark.parametrize("text", ["0", "four", "2.5", "-1"])
    def test_a_bad_concurrency_names_the_variable(self, monkeypatch, text):
        monkeypatch.setenv("CW_POPHEALTH_MAX_WORKERS", text)
        with pytest.raises(ConfigError, match=f"CW_POPHEALTH_MAX_WORKERS={text!r}.*whole number"):
            config.get_settings()

    def test_a_bad_timeout_names_the_variable(self, monkeypatch):
        monkeypatch.setenv("CW_POPHEALTH_TIMEOUT", "soon")
        with pytest.raises(ConfigError, match="CW_POPHEALTH_TIMEOUT='soon'"):
            config.get_settings()

    def test_keyword_overrides_win(self):
        assert config.get_settings(offline=True, retries=0).retries == 0

    def test_default_api_is_https(self, monkeypatch):
        monkeypatch.delenv("FINGERTIPS_API_URL", raising=False)
        assert config.get_settings().api_base_url.startswith("https://")


class TestRequireExtractsDir:
    def test_missing_folder_error_says_what_to_set(self, tmp_path):
        settings = config.get_settings(extracts_dir=Path(tmp_path / "missing"))
        with pytest.raises(ConfigError, match="CW_POPHEALTH_EXTRACTS"):
            settings.require_extracts_dir()
