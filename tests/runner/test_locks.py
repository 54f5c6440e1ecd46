"""Concurrent runs: one `make reports` at a time per reports folder, one writer per cache entry,
and nothing left running after the runner is killed (real subprocesses throughout)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
import yaml
from filelock import FileLock
from nbformat.v4 import new_code_cell, new_notebook

from cw_pophealth.fingertips.cache import ResponseCache
from cw_pophealth.runner import state

#: Seconds a subprocess may take before the test calls it hung.
HANG_GUARD = 240


def slow_notebook(path: Path) -> Path:
    """A notebook that waits ``pause`` seconds, then saves one table (a test fixture)."""
    nb = new_notebook(cells=[
        new_code_cell('pause: float = 0.0  # seconds to wait before saving\n'
                      'output_dir: str = ""  # where to save; empty means do not save',
                      metadata={"tags": ["parameters"]}),
        new_code_cell("import time\nimport pandas as pd\nfrom cw_pophealth import report"),
        new_code_cell("time.sleep(pause)\n"
                      'report.save_table(pd.DataFrame({"waited": [pause]}), "waited", '
                      "output_dir=output_dir)"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                "language": "python"}})
    nbformat.write(nb, path)
    return path


@pytest.fixture
def project(tmp_path, data_settings):
    """A reports config of slow notebooks, and the environment that runs it in a subprocess."""
    nb_dir = tmp_path / "nbs"
    nb_dir.mkdir()
    slow_notebook(nb_dir / "slow.ipynb")

    def config(*runs: tuple[str, float]) -> Path:
        path = tmp_path / f"reports-{len(list(tmp_path.glob('reports-*.yaml')))}.yaml"
        entries = [{"name": name, "notebook": "slow.ipynb", "parameters": {"pause": pause}}
                   for name, pause in runs]
        path.write_text(yaml.safe_dump({"notebooks_dir": "nbs", "reports": entries}))
        return path

    env = {**os.environ, "MPLBACKEND": "Agg", "CW_POPHEALTH_DATA": str(data_settings.data_dir),
           "CW_POPHEALTH_REPORTS": str(tmp_path / "reports")}
    return config, env, tmp_path / "reports"


def start_reports(config: Path, env: dict, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cw_pophealth.cli", "reports", "--config",
                             str(config), "--force", *extra], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    _, err = proc.communicate(timeout=HANG_GUARD)
    return proc.returncode, err


class TestOneRunAtATime:
    def test_two_overlapping_runs_both_succeed(self, project):
        config, env, reports = project
        first = start_reports(config(("slow", 4.0)), env)
        time.sleep(1.0)
        second = start_reports(config(("slow", 4.0)), env)
        (code1, err1), (code2, err2) = finish(first), finish(second)
        assert (code1, code2) == (0, 0), err1 + err2
        assert (reports / "slow" / "tables" / "waited.csv").is_file()

    def test_the_second_run_says_it_is_waiting_and_for_whom(self, project):
        config, env, _ = project
        first = start_reports(config(("slow", 4.0)), env)
        time.sleep(1.0)
        second = start_reports(config(("slow", 0.0)), env)
        finish(first)
        code, err = finish(second)
        assert code == 0 and f"pid {first.pid}" in err and "waiting" in err

    def test_no_wait_stops_at_once_naming_the_run_that_holds_the_folder(self, project):
        config, env, reports = project
        reports.mkdir(parents=True, exist_ok=True)
        with state.reports_lock(reports, wait=0):
            code, err = finish(start_reports(config(("slow", 0.0)), env, "--no-wait"))
        assert code == 1 and f"pid {os.getpid()}" in err and "Traceback" not in err


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, read from /proc."""
    children: dict[int, set[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), set()).add(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state_field = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state_field != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
class TestKillMinusNine:
    def test_no_worker_or_kernel_outlives_the_runner(self, project):
        config, env, _ = project
        runner = start_reports(config(("a", 120.0), ("b", 120.0)), env, "--jobs", "2")
        deadline = time.monotonic() + 90
        tree: set[int] = set()
        while time.monotonic() < deadline:  # until both workers have a kernel running
            tree = descendants(runner.pid)
            kernels = [p for p in tree if "ipykernel" in Path(f"/proc/{p}/cmdline").read_bytes()
                       .decode(errors="replace")] if tree else []
            if len(kernels) >= 2:
                break
            time.sleep(0.5)
        assert tree, "the runner started no workers"
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(timeout=10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(alive(p) for p in tree):
            time.sleep(0.5)
        assert [p for p in tree if alive(p)] == []


class TestRawCacheLock:
    def test_a_writer_in_another_process_holds_off_a_put(self, tmp_path):
        store = ResponseCache(tmp_path / "raw")
        lock_path = store.meta_path("profiles", {}).with_name(
            "." + store.meta_path("profiles", {}).name.removesuffix(".meta.json") + ".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        holder = subprocess.Popen(
            [sys.executable, "-c", "import sys, time\nfrom filelock import FileLock\n"
             f"with FileLock({str(lock_path)!r}):\n    print('held', flush=True)\n"
             "    sys.stdin.readline()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "held"
        done = threading.Event()

        def put() -> None:
            store.put("profiles", {}, b"[]", url="https://example.invalid/api/profiles",
                      status=200, content_type="application/json", elapsed=0.1)
            done.set()

        writer = threading.Thread(target=put)
        writer.start()
        held_off = not done.wait(1.0)
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=10)
        writer.join(timeout=10)
        assert held_off and done.is_set() and store.get("profiles", {}).body == b"[]"

    def test_the_lock_file_is_beside_the_sidecar_and_hidden(self, tmp_path):
        store = ResponseCache(tmp_path / "raw")
        store.put("profiles", {}, b"[]", url="https://example.invalid/api/profiles", status=200,
                  content_type="application/json", elapsed=0.1)
        meta = store.meta_path("profiles", {})
        locks = [p.name for p in meta.parent.iterdir() if p.name.endswith(".lock")]
        assert locks == ["." + meta.name.removesuffix(".meta.json") + ".lock"]
        assert FileLock(meta.parent / locks[0]).acquire(timeout=1)
