"""What the command line says: help text, hints that work as written, what to do offline, one
line for a DNS failure, and where the data folder is. Real subprocesses, as a user's shell runs
them.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

import cw_pophealth
from cw_pophealth.config import PROJECT_ROOT

HANG_GUARD = 120
PACKAGE = Path(cw_pophealth.__file__).parent


def run(args: list[str], *, env: dict[str, str], cwd: Path | None = None,
        drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k not in drop}
    full.update({"MPLBACKEND": "Agg", **env})
    return subprocess.run([sys.executable, *args], env=full, cwd=cwd, capture_output=True,
                          text=True, timeout=HANG_GUARD)


def cli(*args: str, env: dict[str, str], cwd: Path | None = None,
        drop: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return run(["-m", "cw_pophealth.cli", *args], env=env, cwd=cwd, drop=drop)


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return {"CW_POPHEALTH_DATA": str(tmp_path / "data"),
            "CW_POPHEALTH_REPORTS": str(tmp_path / "reports")}


class TestHelp:
    @pytest.mark.parametrize("command", [[], ["build"], ["pull"], ["reports"]])
    def test_help_has_no_markup_backticks(self, env, command):
        result = cli(*command, "--help", env=env)
        assert result.returncode == 0 and "usage: cw-pophealth" in result.stdout
        assert "`" not in result.stdout


class TestWithoutTheNetwork:
    UNRESOLVABLE = "https://fingertips.invalid/api/"

    def test_pull_points_at_make_data_not_at_pull_offline(self, env):
        result = cli("pull", "--no-progress", env={**env, "FINGERTIPS_API_URL": self.UNRESOLVABLE})
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "`make data`" in result.stderr and "--offline" not in result.stderr

    def test_pull_offline_with_an_empty_cache_points_at_make_data(self, env):
        result = cli("pull", "--offline", "--no-progress", env=env)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "`make data`" in result.stderr

    def test_a_dns_failure_gives_one_line(self, env):
        # One error line and no retry warnings (the INFO line saying what is pulled stays).
        result = cli("pull", "--no-progress", env={**env, "FINGERTIPS_API_URL": self.UNRESOLVABLE})
        lines = [line for line in result.stderr.splitlines()
                 if line.strip() and " INFO " not in line]
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("cw-pophealth: error:")
        assert "does not resolve" in lines[0] and "fingertips.invalid" in lines[0]


def hint_calls() -> list[str]:
    """Every call named in a string of the package (adjacent literals joined, f-string fields
    filled with 502, logging's %d with 90366), e.g. ``cw_pophealth.fingertips.areas(502)``."""
    calls = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        pieces: list[str] = []
        for token in [*tokens, None]:
            if token is not None and token.type == tokenize.STRING:
                text = token.string
                body = re.sub(r"^[rbfuRBFU]*('''|\"\"\"|'|\")", "", text)
                pieces.append(re.sub(r"('''|\"\"\"|'|\")$", "", body))
                continue
            if token is not None and token.type in (tokenize.NL, tokenize.COMMENT):
                continue
            if pieces:
                joined = re.sub(r"\{[^{}]*\}", "502", "".join(pieces)).replace("%d", "90366")
                if ">>>" not in joined:  # doctest examples are run by the doctests
                    calls.update(re.findall(r"cw_pophealth(?:\.\w+)+\([^()]*\)", joined))
                pieces = []
    return sorted(calls)


class TestHints:
    def test_there_are_hints_to_check(self):
        assert "cw_pophealth.fingertips.areas(502)" in hint_calls() and len(hint_calls()) >= 8

    def test_no_hint_has_a_placeholder_argument(self):
        assert [c for c in hint_calls() if "..." in c] == []

    def test_every_hint_works_as_written_after_a_plain_import(self, fake_api, env):
        script = "\n".join(
            ["import cw_pophealth", "failed = []"]
            + [f"try:\n    {call}\nexcept Exception as exc:\n"
               f"    failed.append(({call!r}, repr(exc)))" for call in hint_calls()]
            + ["print(failed)"])
        result = run(["-c", script], env={**env, "FINGERTIPS_API_URL": fake_api.url})
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "[]"


class TestDataFolder:
    def test_the_data_folder_follows_the_current_folder(self, extracts_dir, tmp_path):
        result = cli("build", env={}, cwd=tmp_path,
                     drop=("CW_POPHEALTH_DATA", "CW_POPHEALTH_REPORTS"))
        assert result.returncode == 0, result.stderr
        assert (tmp_path / "data" / "processed" / "indicators.parquet").is_file()

    def test_cw_pophealth_data_wins_over_the_current_folder(self, extracts_dir, tmp_path):
        elsewhere = tmp_path / "elsewhere"
        result = cli("build", env={"CW_POPHEALTH_DATA": str(elsewhere)}, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert (elsewhere / "processed" / "indicators.parquet").is_file()
        assert not (tmp_path / "data").exists()

    def test_the_makefile_hands_the_project_folders_to_everything_it_runs(self):
        makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
        assert "export CW_POPHEALTH_DATA ?= $(CURDIR)/data" in makefile
        assert "export CW_POPHEALTH_REPORTS ?= $(CURDIR)/reports" in makefile
