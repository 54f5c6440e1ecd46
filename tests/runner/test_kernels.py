"""Tests for cw_pophealth.runner.kernels and the warm-kernel path of runner.execute.

Each test runs real notebooks in real kernels: a warm kernel is reused, yet every notebook must
behave as in a fresh one, and nothing may change the state of the process that drives it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import nbformat

from cw_pophealth.runner import execute as ex
from cw_pophealth.runner import kernels
from helpers import probe_job as job
from helpers import probe_notebook, probe_state


class TestAWarmKernel:
    def test_is_reused_for_the_next_notebook(self, tmp_path, probe):
        first, second = job(tmp_path, "a", probe), job(tmp_path, "b", probe)
        assert ex.execute(first)["ok"] and ex.execute(second)["ok"]
        assert probe_state(first)["pid"] == probe_state(second)["pid"]

    def test_forgets_what_the_last_notebook_left_behind(self, tmp_path, probe):
        first, second = job(tmp_path, "a", probe), job(tmp_path, "b", probe)
        ex.execute(first)
        ex.execute(second)
        before, after = probe_state(first), probe_state(second)
        assert after["pid"] == before["pid"]  # the same kernel ...
        assert not after["leftover"] and after["open_figures"] == 0  # ... as if new
        assert after["filters"] == before["filters"]  # the "ignore" filter was undone
        assert after["warned"] == before["warned"] == 1  # a warning shows again

    def test_starts_each_notebook_at_execution_count_one(self, tmp_path, probe):
        first, second = job(tmp_path, "a", probe), job(tmp_path, "b", probe)
        ex.execute(first)
        ex.execute(second)
        counts = [c.execution_count for c in nbformat.read(
            Path(second["staging"]) / "b.ipynb", as_version=4).cells]
        assert counts == list(range(1, len(counts) + 1))  # papermill adds one cell

    def test_works_in_the_staging_folder(self, tmp_path, probe):
        j = job(tmp_path, "a", probe)
        ex.execute(j)
        assert Path(probe_state(j)["cwd"]) == Path(j["staging"])

    def test_is_reset_as_usual_after_a_cell_raised_an_exception(self, tmp_path, probe):
        failing = probe_notebook(tmp_path / "failing.ipynb", fail=True)
        bad, good = job(tmp_path, "bad", failing), job(tmp_path, "good", probe)
        result = ex.execute(bad)
        assert not result["ok"] and "probe asked to fail" in result["message"]
        assert ex.execute(good)["ok"]
        assert probe_state(good)["pid"] == probe_state(bad)["pid"]
        assert not probe_state(good)["leftover"]

    def test_is_replaced_after_a_cell_timed_out(self, tmp_path, probe):
        slow = tmp_path / "slow.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell('output_dir: str = ""', metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell("import os, time\n"
                                      "open(os.path.join(output_dir, 'pid'), 'w')"
                                      ".write(str(os.getpid()))\ntime.sleep(60)"),
        ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}}), slow)
        stuck, good = job(tmp_path, "stuck", slow, timeout=2), job(tmp_path, "good", probe)
        result = ex.execute(stuck)
        assert not result["ok"] and "Timeout" in result["message"]
        assert ex.execute(good)["ok"]
        assert probe_state(good)["pid"] != int((Path(stuck["staging"]) / "pid").read_text())

    def test_a_fresh_kernel_can_be_asked_for(self, tmp_path, probe):
        first, second = (job(tmp_path, n, probe, fresh_kernel=True) for n in "ab")
        ex.execute(first)
        ex.execute(second)
        assert probe_state(first)["pid"] != probe_state(second)["pid"]


class TestOneClientPerKernel:
    """Every notebook in a warm kernel is driven through the one client that stays connected
    (a new client per notebook waited 0.2 s to be ready, with the kernel idle)."""

    @staticmethod
    def printing(tmp_path, word: str) -> Path:
        path = tmp_path / f"{word}.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[
            nbformat.v4.new_code_cell('output_dir: str = ""', metadata={"tags": ["parameters"]}),
            nbformat.v4.new_code_cell(f"print({word!r})"),
        ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                    "language": "python"}}), path)
        return path

    @staticmethod
    def streams(j: dict) -> list[str]:
        nb = nbformat.read(Path(j["staging"]) / f"{j['name']}.ipynb", as_version=4)
        return [o["text"] for c in nb.cells for o in c.get("outputs", [])
                if o["output_type"] == "stream"]

    def test_two_notebooks_share_the_client_and_each_has_only_its_own_output(self, tmp_path):
        first = job(tmp_path, "first", self.printing(tmp_path, "first"))
        second = job(tmp_path, "second", self.printing(tmp_path, "second"))
        assert ex.execute(first)["ok"]
        client = kernels.warm_kernel(ex.kernel_env(first["env"]), str(tmp_path)).manager.client()
        assert ex.execute(second)["ok"]
        kernel = kernels.warm_kernel(ex.kernel_env(second["env"]), str(tmp_path))
        assert kernel.manager.client() is client and client.channels_running
        assert (self.streams(first), self.streams(second)) == (["first\n"], ["second\n"])

    def test_a_kernel_that_does_not_answer_in_time_is_an_error(self, tmp_path):
        import pytest
        from jupyter_core.utils import run_sync  # as nbclient runs its coroutines

        kernel = kernels.WarmKernel(ex.kernel_env({}))
        try:
            client = kernel.manager.client()
            client.start_channels()
            run_sync(client.wait_for_ready)(timeout=60)  # the first, full check
            busy = kernel.client.execute("import time; time.sleep(5)")  # kernel_info waits
            while True:  # until the kernel has started on it
                msg = kernel.client.get_iopub_msg(timeout=30)
                if (msg["parent_header"].get("msg_id") == busy
                        and msg["msg_type"] == "execute_input"):
                    break
            with pytest.raises(RuntimeError, match="did not answer kernel_info within 0.5 s"):
                run_sync(kernels._quick_ready)(client, 0.5)
        finally:
            kernel.shutdown()


class TestRunningNotebooksInThreads:
    """Several threads (a Dask worker's) each drive their own kernel at once."""

    def test_each_sees_its_own_environment_and_folder_and_the_process_is_untouched(
            self, tmp_path, probe):
        jobs = [job(tmp_path, f"t{i}", probe) for i in range(4)]
        for i, j in enumerate(jobs):  # the threads' kernels start with their own environment
            j["env"] = {"CW_TEST_MARKER": j["name"] if i < 2 else "same",
                        "CW_POPHEALTH_DATA": f"/data/{j['name']}"}
        cwd, environ = os.getcwd(), dict(os.environ)
        results: dict[str, dict] = {}

        def run(j: dict) -> None:
            try:
                results[j["name"]] = ex.execute(j)
            finally:
                kernels.shutdown_warm_kernels()

        threads = [threading.Thread(target=run, args=(j,)) for j in jobs[:2]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for j in jobs[2:]:  # and one after the other in this thread, for comparison
            results[j["name"]] = ex.execute(j)
        assert all(r["ok"] for r in results.values()), results
        for j in jobs:
            state = probe_state(j)
            assert state["marker"] == j["env"]["CW_TEST_MARKER"]
            assert state["data"] == j["env"]["CW_POPHEALTH_DATA"]
            assert Path(state["cwd"]) == Path(j["staging"])
        assert os.getcwd() == cwd and dict(os.environ) == environ


class TestWhenAKernelIsReplaced:
    def test_settings_variables_change_without_a_new_kernel(self, tmp_path, probe):
        first, second = job(tmp_path, "a", probe), job(tmp_path, "b", probe)
        first["env"] = {"CW_POPHEALTH_DATA": "/first", "CW_TEST_MARKER": "same"}
        second["env"] = {"CW_TEST_MARKER": "same"}
        first["parameters"] = second["parameters"] = {}
        ex.execute(first)
        ex.execute(second)
        assert probe_state(first)["pid"] == probe_state(second)["pid"]
        assert probe_state(first)["data"] == "/first"
        # Back to what a new kernel would have: this process's own value (the Makefile
        # exports the project's data folder), not the first job's.
        assert probe_state(second)["data"] == os.environ.get("CW_POPHEALTH_DATA")

    def test_another_environment_starts_a_new_kernel(self, tmp_path, probe):
        first, second = job(tmp_path, "a", probe), job(tmp_path, "b", probe)
        second["env"] = {"CW_TEST_MARKER": "other"}  # may be read at import, as far as we know
        ex.execute(first)
        ex.execute(second)
        assert probe_state(first)["pid"] != probe_state(second)["pid"]

    def test_changed_package_code_starts_a_new_kernel(self, tmp_path, probe):
        first, second = job(tmp_path, "a", probe), job(tmp_path, "b", probe)
        first["code"], second["code"] = "source-v1", "source-v2"
        ex.execute(first)
        ex.execute(second)
        assert probe_state(first)["pid"] != probe_state(second)["pid"]
