"""Bad input gives one clear message and exit status 2, never a traceback (real subprocesses).

Each case runs ``python -m cw_pophealth.cli`` in its own process with its own environment, as a
user's shell would. The disk-full and read-only cases mount a real tmpfs (they are skipped
where this machine does not allow mounting).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import yaml

from cw_pophealth import schema, snapshot
from cw_pophealth.errors import DamagedTableError
from helpers import copy_of_built_data

#: Seconds a command may take before the test calls it hung (the commands here fail at once).
HANG_GUARD = 60


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            ) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "MPLBACKEND": "Agg", **(env or {})}
    return subprocess.run([sys.executable, "-m", "cw_pophealth.cli", *args], env=full_env,
                          cwd=cwd, capture_output=True, text=True, timeout=HANG_GUARD)


def assert_clear_error(result: subprocess.CompletedProcess, *expected: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for text in expected:
        assert text in result.stderr


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return {"CW_POPHEALTH_DATA": str(tmp_path / "data"),
            "CW_POPHEALTH_REPORTS": str(tmp_path / "reports")}


class TestBadArguments:
    def test_area_types_that_are_not_numbers(self, env):
        assert_clear_error(run_cli("pull", "--offline", "--area-types", "abc", env=env),
                           "--area-types", "'abc'")

    def test_a_jobs_count_of_zero(self, env):
        assert_clear_error(run_cli("reports", "--jobs", "0", env=env), "--jobs", "'0'")


class TestBadSettings:
    @pytest.mark.parametrize("name,value", [
        ("CW_POPHEALTH_TIMEOUT", "nan"),
        ("CW_POPHEALTH_TIMEOUT", "inf"),
        ("CW_POPHEALTH_TIMEOUT", "-1"),
        ("CW_POPHEALTH_MAX_WORKERS", "0"),
        ("CW_POPHEALTH_MAX_WORKERS", "four"),
        ("CW_POPHEALTH_OFFLINE", "maybe"),
        ("FINGERTIPS_API_URL", "fingertips"),
    ])
    def test_each_bad_setting_names_the_variable(self, env, name, value):
        result = run_cli("pull", "--offline", env={**env, name: value})
        assert_clear_error(result, name, repr(value))


class TestBadReportsConfig:
    def write(self, tmp_path, entry: dict) -> Path:
        path = tmp_path / "reports.yaml"
        path.write_text(yaml.safe_dump({"reports": [entry]}), encoding="utf-8")
        return path

    def test_parameters_written_as_a_list(self, env, tmp_path):
        config = self.write(tmp_path, {"name": "x", "notebook": "area_profile.ipynb",
                                       "parameters": [{"area_code": "E08000026"}]})
        assert_clear_error(run_cli("reports", "--config", str(config), env=env),
                           "'parameters' must be a mapping")

    def test_a_notebook_that_is_not_a_notebook(self, env, tmp_path):
        config = self.write(tmp_path, {"name": "x", "notebook": "../README.md"})
        assert_clear_error(run_cli("reports", "--config", str(config), env=env),
                           "'README.md' is not a Jupyter notebook")

    def test_a_notebook_file_that_is_not_notebook_json(self, env, tmp_path):
        (tmp_path / "broken.ipynb").write_text("not json", encoding="utf-8")
        config = self.write(tmp_path, {"name": "x", "notebook": "broken.ipynb"})
        config.write_text(config.read_text() + "notebooks_dir: .\n", encoding="utf-8")
        assert_clear_error(run_cli("reports", "--config", str(config), env=env),
                           "broken.ipynb is not a readable notebook")


class TestUnreachableDaskScheduler:
    def test_fails_at_once_naming_the_address(self, env):
        result = run_cli("reports", "--executor", "dask", "--dask-address",
                         "tcp://127.0.0.1:9", env=env)
        assert_clear_error(result, "tcp://127.0.0.1:9", "No Dask scheduler answers")


@pytest.fixture
def mounted(tmp_path):
    """Mount a tmpfs with the given options at a fresh folder; unmount afterwards."""
    points = []

    def mount(options: str) -> Path:
        point = tmp_path / f"mnt-{uuid.uuid4().hex[:6]}"
        point.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip()})")
        points.append(point)
        return point

    yield mount
    for point in points:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


class TestUnwritableDataFolder:
    def test_a_full_disk_names_the_path_and_what_to_do(self, extracts_dir, mounted):
        data = mounted("size=64k")
        result = run_cli("build", env={"CW_POPHEALTH_DATA": str(data)})
        assert_clear_error(result, str(data), "disk is full")

    def test_a_read_only_folder_names_the_path_and_what_to_do(self, extracts_dir, mounted):
        data = mounted("ro")
        result = run_cli("build", env={"CW_POPHEALTH_DATA": str(data)})
        assert_clear_error(result, str(data), "read-only")


class TestDamagedTable:
    @pytest.fixture
    def built(self, built_settings, tmp_path):
        return copy_of_built_data(built_settings, tmp_path / "data")

    def truncate(self, path: Path) -> None:
        path.write_bytes(path.read_bytes()[:5000])

    def test_build_if_stale_rebuilds_a_truncated_table(self, built):
        self.truncate(built.indicators_table)
        result = run_cli("build", "--if-stale", env={"CW_POPHEALTH_DATA": str(built.data_dir)})
        assert result.returncode == 0 and len(schema.read_tidy(built.indicators_table)) > 0

    def test_build_if_stale_leaves_an_intact_current_table_alone(self, built):
        before = built.indicators_table.stat().st_mtime_ns
        result = run_cli("build", "--if-stale", env={"CW_POPHEALTH_DATA": str(built.data_dir)})
        assert result.returncode == 0 and built.indicators_table.stat().st_mtime_ns == before

    def test_loading_a_damaged_snapshot_table_rebuilds_it(self, built):
        self.truncate(built.indicators_table)
        assert len(snapshot.load_indicators(built)) > 0 and snapshot.is_current(built)

    def test_a_damaged_pulled_table_is_not_replaced_by_the_snapshot(self, built):
        schema.write_table_stamp(built.indicators_table, "pull inputs",
                                 made_by="cw-pophealth pull")
        self.truncate(built.indicators_table)
        with pytest.raises(DamagedTableError, match="pull --offline"):
            snapshot.load_indicators(built)

    def test_reading_a_damaged_table_names_the_file(self, built):
        self.truncate(built.indicators_table)
        with pytest.raises(DamagedTableError, match=str(built.indicators_table)):
            schema.read_tidy(built.indicators_table)

