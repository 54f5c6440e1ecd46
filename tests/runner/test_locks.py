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
    """A notebook that waits (``pause`` seconds, or until the file ``gate`` exists, having
    written ``gate``.started), then saves one table (a test fixture)."""
    nb = new_notebook(cells=[
        new_code_cell('pause: float = 0.0  # seconds to wait before saving\n'
                      'gate: str = ""  # or: wait until this file exists\n'
                      'output_dir: str = ""  # where to save; empty means do not save',
                      metadata={"tags": ["parameters"]}),
        new_code_cell("import os, time\nimport pandas as pd\nfrom cw_pophealth import report"),
        new_code_cell("time.sleep(pause)\n"
                      "if gate:\n"
                      "    open(gate + '.started', 'w').close()\n"
                      "    deadline = time.monotonic() + 120\n"
                      "    while not os.path.exists(gate) and time.monotonic() < deadline:\n"
                      "        time.sleep(0.05)\n"
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

    def config(*runs: tuple[str, float | Path]) -> Path:
        path = tmp_path / f"reports-{len(list(tmp_path.glob('reports-*.yaml')))}.yaml"
        entries = [{"name": name, "notebook": "slow.ipynb",
                    "parameters": {"gate": str(wait)} if isinstance(wait, Path)
                    else {"pause": wait}}
                   for name, wait in runs]
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


def wait_for(condition, what: str, timeout: float = HANG_GUARD) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class StderrReader(threading.Thread):
    """Collects a process's standard error as it comes."""

    def __init__(self, proc: subprocess.Popen):
        super().__init__(daemon=True)
        self.proc, self.lines = proc, []
        self.start()

    def run(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line)

    @property
    def text(self) -> str:
        return "".join(self.lines)


@pytest.fixture(scope="module")
def overlapping_runs(tmp_path_factory, data_settings):
    """Two runs of one reports folder, the second started while the first is in its notebook
    (held there until the second says it is waiting): shared by the tests below."""
    tmp = tmp_path_factory.mktemp("overlap")
    (tmp / "nbs").mkdir()
    slow_notebook(tmp / "nbs" / "slow.ipynb")
    env = {**os.environ, "MPLBACKEND": "Agg", "CW_POPHEALTH_DATA": str(data_settings.data_dir),
           "CW_POPHEALTH_REPORTS": str(tmp / "reports")}
    gate = tmp / "gate"
    configs = []
    for i, params in enumerate(({"gate": str(gate)}, {"pause": 0.0})):
        path = tmp / f"reports-{i}.yaml"
        path.write_text(yaml.safe_dump({"notebooks_dir": "nbs", "reports": [
            {"name": "slow", "notebook": "slow.ipynb", "parameters": params}]}))
        configs.append(path)
    first = start_reports(configs[0], env)
    first_err = StderrReader(first)
    wait_for(lambda: Path(f"{gate}.started").exists() or first.poll() is not None,
             "the first run to reach its notebook")
    second = start_reports(configs[1], env)
    second_err = StderrReader(second)
    wait_for(lambda: "waiting" in second_err.text or second.poll() is not None,
             "the second run to say it waits")
    gate.touch()
    codes = first.wait(timeout=HANG_GUARD), second.wait(timeout=HANG_GUARD)
    first_err.join(timeout=10)
    second_err.join(timeout=10)
    return {"codes": codes, "first_pid": first.pid, "errors": (first_err.text, second_err.text),
            "reports": tmp / "reports"}


class TestOneRunAtATime:
    def test_two_overlapping_runs_both_succeed(self, overlapping_runs):
        assert overlapping_runs["codes"] == (0, 0), overlapping_runs["errors"]
        table = overlapping_runs["reports"] / "slow" / "tables" / "waited.csv"
        assert table.read_text() == "waited\n0.0\n"  # the second run's, written after

    def test_the_second_run_says_it_is_waiting_and_for_whom(self, overlapping_runs):
        err = overlapping_runs["errors"][1]
        assert f"pid {overlapping_runs['first_pid']}" in err and "waiting" in err

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
