"""Tests for the Arrow memory pool the package allocates from (cw_pophealth.arrow_memory)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from cw_pophealth import arrow_memory, cli
from cw_pophealth.arrow_memory import POOL_VARIABLE, lean_pool, lean_pool_environment
from cw_pophealth.fingertips import parse
from cw_pophealth.runner import kernels

try:
    pa.jemalloc_memory_pool()
except NotImplementedError:  # e.g. pyarrow on Windows
    pytestmark = pytest.mark.skip(reason="this pyarrow was built without jemalloc")


@pytest.fixture
def no_pool_chosen(monkeypatch):
    """No ARROW_DEFAULT_MEMORY_POOL, and Arrow's own default as this process's pool (restored
    afterwards: the pool is process-wide)."""
    monkeypatch.delenv(POOL_VARIABLE, raising=False)
    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.mimalloc_memory_pool())
    yield
    pa.set_memory_pool(before)


def _synthetic_csv(rows: int) -> bytes:
    """A synthetic all_data CSV body (made-up values, for the pool check only)."""
    header = ",".join(parse.FINGERTIPS_CSV_COLUMNS)
    lines = [",".join(["90366", "Life expectancy at birth", "", "", f"E0600{i:04d}",
                       f"Synthetic area {i}", "UA", "Male", "All ages", "", "",
                       "2021 - 23", f"{70 + i % 10}.{i % 10}"] + [""] * 14)
             for i in range(rows)]
    return ("\r\n".join([header, *lines]) + "\r\n").encode()


class TestWhichPool:
    def test_jemalloc_when_the_user_chose_none(self, no_pool_chosen):
        assert lean_pool().backend_name == "jemalloc"
        assert lean_pool_environment() == {POOL_VARIABLE: "jemalloc"}

    @pytest.mark.parametrize("chosen", ["mimalloc", "system"])
    def test_the_user_s_choice_wins(self, no_pool_chosen, monkeypatch, chosen):
        monkeypatch.setenv(POOL_VARIABLE, chosen)
        assert lean_pool().backend_name == pa.default_memory_pool().backend_name == "mimalloc"
        assert lean_pool_environment() == {}
        assert arrow_memory.use_lean_pool() == "mimalloc"  # the process's pool is left alone
        assert pa.default_memory_pool().backend_name == "mimalloc"


class TestWhereItIsUsed:
    def test_a_parsed_csv_lives_in_the_lean_pool(self, no_pool_chosen):
        jemalloc, mimalloc = pa.jemalloc_memory_pool(), pa.mimalloc_memory_pool()
        before = jemalloc.bytes_allocated(), mimalloc.bytes_allocated()
        table = parse.parse_fingertips_csv(_synthetic_csv(5000), "synthetic")
        assert isinstance(table, pa.Table)
        assert jemalloc.bytes_allocated() - before[0] >= table.nbytes
        assert mimalloc.bytes_allocated() - before[1] < table.nbytes // 10
        # pandas converts the text columns itself, from the process's default pool: which is
        # why the cw-pophealth command makes the lean pool the default (test below).
        frame = parse.as_pandas(table)
        assert mimalloc.bytes_allocated() - before[1] > 0
        del table, frame

    def test_kernels_start_with_the_lean_pool(self, no_pool_chosen):
        assert kernels.kernel_env({})[POOL_VARIABLE] == "jemalloc"

    def test_kernels_keep_the_pool_the_user_chose(self, no_pool_chosen, monkeypatch):
        monkeypatch.setenv(POOL_VARIABLE, "system")
        assert kernels.kernel_env({})[POOL_VARIABLE] == "system"

    def test_the_pull_command_makes_it_this_process_s_pool(self, no_pool_chosen, fake_api,
                                                           tmp_path, monkeypatch):
        monkeypatch.setenv("FINGERTIPS_API_URL", fake_api.url)
        monkeypatch.setenv("CW_POPHEALTH_DATA", str(tmp_path))
        assert pa.default_memory_pool().backend_name == "mimalloc"
        assert cli.main(["pull", "--indicators", "life_expectancy", "--areas", "E08000026",
                         "--no-progress"]) == 0
        assert pa.default_memory_pool().backend_name == "jemalloc"
