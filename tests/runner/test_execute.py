"""Tests for cw_pophealth.runner.execute: where notebooks run, and what comes back."""

from __future__ import annotations

from pathlib import Path

import pytest

from cw_pophealth.runner import execute as ex
from helpers import probe_job as job
from helpers import probe_state


class TestReturningFiles:
    def test_a_task_writes_only_its_own_folder_and_returns_every_file(self, tmp_path, probe):
        j = job(tmp_path, "remote", probe)
        result = ex.execute_returning_files(j)
        assert result["ok"], result["message"]
        assert not Path(j["staging"]).exists()  # the runner's folder is not the task's
        assert {"remote.ipynb", "remote.html", "state.json"} <= set(result["files"])
        ex.write_returned_files(j["staging"], result["files"])
        assert probe_state(j)["pid"] > 0 and Path(probe_state(j)["cwd"]).name == "remote"

    def test_the_notebook_names_the_staging_folder_not_the_tasks(self, tmp_path, probe):
        j = job(tmp_path, "remote", probe)
        result = ex.execute_returning_files(j)
        text = result["files"]["remote.ipynb"].decode()
        assert "cw-pophealth-task-" not in text

    @pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd"])
    def test_a_returned_file_outside_the_folder_is_refused(self, tmp_path, name):
        with pytest.raises(ValueError, match="outside its report folder"):
            ex.write_returned_files(tmp_path / "staging", {name: b"x"})


class TestOnADaskCluster:
    def test_notebooks_run_safely_on_a_worker_with_two_threads(self, tmp_path, probe):
        distributed = pytest.importorskip("dask.distributed")
        jobs = [job(tmp_path, f"d{i}", probe) for i in range(8)]
        for j in jobs:  # each its own data folder (a settings variable: the kernel stays)
            j["env"] = {"CW_TEST_MARKER": "same", "CW_POPHEALTH_DATA": f"/data/{j['name']}"}
        with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                                      dashboard_address=None) as cluster:
            results = dict(ex.execute_all(jobs, jobs=2, executor="dask",
                                          dask_address=cluster.scheduler_address))
        assert all(r["ok"] for r in results.values()), results
        for j in jobs:
            state = probe_state(j)  # written back into the runner's staging folder
            assert state["data"] == j["env"]["CW_POPHEALTH_DATA"]
            assert Path(state["cwd"]).name == Path(j["staging"]).name
        # kernels are reused: one per thread, not one per notebook
        assert len({probe_state(j)["pid"] for j in jobs}) <= 2
