"""Executing notebooks: papermill into a staging folder, then HTML with the code hidden.

Jobs are plain dicts so that they cross process boundaries: they run in this process, in
worker processes on this machine, or as tasks on a Dask cluster.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cw_pophealth import atomic
from cw_pophealth.config import Settings
from cw_pophealth.errors import ConfigError
from cw_pophealth.runner.kernels import (
    KERNEL_NAME,
    discard_warm_kernel,
    kernel_env,
    warm_kernel,
)
from cw_pophealth.runner.parameters import OUTPUT_DIR_PARAMETER

logger = logging.getLogger(__name__)

__all__ = ["EXECUTORS", "KERNEL_NAME", "execute", "execute_all", "kernel_environment"]

EXECUTORS = ("process", "dask")

#: Library loggers quietened during a run: papermill logs "Input Notebook", "Output Notebook"
#: and "Executing notebook with kernel" for every notebook, and "Input Notebook" again when the
#: runner reads a notebook's parameters; the runner logs one line per notebook itself.
QUIET_LOGGERS: dict[str, int] = {"papermill": logging.WARNING}


def quiet_library_logs() -> None:
    """Raise the level of :data:`QUIET_LOGGERS` (in the runner and in each worker)."""
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
_INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def path_labels(settings: Settings) -> dict[str, str]:
    """What each absolute folder of this machine is called in published reports.

    Executed notebooks and their HTML carry paths (papermill records the notebook's input and
    output paths and the ``output_dir`` parameter; warnings name files). A report published from
    one machine must not show that machine's folders, so each is replaced by a label: the
    report folder's own staging path by ``.``, and the others by the setting that chooses them.
    """
    labels = {
        str(settings.data_dir): "$CW_POPHEALTH_DATA",
        str(settings.reports_dir): "$CW_POPHEALTH_REPORTS",
        str(settings.notebooks_dir): "notebooks",
        str(settings.project_root): "<project>",
        sys.prefix: "<python environment>",
        str(Path.home()): "~",
    }
    if settings.extracts_dir is not None:
        labels[str(settings.extracts_dir)] = "$CW_POPHEALTH_EXTRACTS"
    return {path: label for path, label in labels.items() if len(path) > 1}


def redact_paths(text: str, labels: Mapping[str, str]) -> str:
    """``text`` with every absolute folder in ``labels`` replaced by its label, longest first.

    Examples
    --------
    >>> redact_paths("/home/ana/cw/data/processed/x.parquet",
    ...              {"/home/ana/cw": "<project>", "/home/ana/cw/data": "$CW_POPHEALTH_DATA"})
    '$CW_POPHEALTH_DATA/processed/x.parquet'
    """
    for path in sorted(labels, key=len, reverse=True):
        text = text.replace(path, labels[path])
    return text


def _job_labels(job: Mapping[str, Any]) -> dict[str, str]:
    """:func:`path_labels` for one job: also its staging folder (``.``, the report folder it
    becomes) and its notebook's folder."""
    return {**job.get("labels", {}), str(Path(job["notebook"]).parent): "notebooks",
            str(job["staging"]): "."}


def _redact_notebook(executed: Path, labels: Mapping[str, str]) -> None:
    """Rewrite the executed notebook with no absolute path of this machine in it."""
    text = executed.read_text(encoding="utf-8")
    atomic.write_text(executed, redact_paths(text, labels))


def kernel_environment(settings: Settings) -> dict[str, str]:
    """The environment a notebook's kernel gets: this run's data, extracts and reports folders,
    and the inline plotting backend."""
    env = {
        "CW_POPHEALTH_DATA": str(settings.data_dir),
        "CW_POPHEALTH_REPORTS": str(settings.reports_dir),
        # The Makefile exports MPLBACKEND=Agg for tests; notebooks need the inline backend
        # so that their figures appear in the executed notebook and its HTML.
        "MPLBACKEND": _INLINE_BACKEND,
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    if settings.extracts_dir is not None:
        env["CW_POPHEALTH_EXTRACTS"] = str(settings.extracts_dir)
    return env


def _failure_message(notebook: str, exc: BaseException) -> str:
    """One sentence naming the notebook, the failing cell and the error."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        first = next((ln for ln in str(exc.source).splitlines() if ln.strip()), "")
        return (f"{notebook} failed in cell {exc.cell_index} (execution count "
                f"{exc.exec_count}, starting {first.strip()[:80]!r}): {exc.ename}: "
                f"{str(exc.evalue).strip()}")
    return f"{notebook} failed: {type(exc).__name__}: {exc}"


_exporters = threading.local()

#: Marks the style block :func:`page_style` adds, so that it is added once.
_PAGE_STYLE_ID = "cw-pophealth-page"


def page_style() -> str:
    """The CSS every report page gets for phone width and print (``templates/report_page.css``)."""
    from importlib.resources import files

    return (files("cw_pophealth.runner") / "templates" / "report_page.css").read_text("utf-8")


def add_page_style(html: str) -> str:
    """``html`` with a viewport tag (if it has none) and :func:`page_style` before ``</head>``.

    nbconvert's lab template has a viewport tag but no print or phone rules.

    Examples
    --------
    >>> out = add_page_style("<html><head><title>t</title></head><body></body></html>")
    >>> 'name="viewport"' in out, 'id="cw-pophealth-page"' in out
    (True, True)
    >>> add_page_style(out) == out
    True
    """
    if f'id="{_PAGE_STYLE_ID}"' in html or "</head>" not in html:
        return html
    extra = f'<style id="{_PAGE_STYLE_ID}">\n{page_style()}</style>\n'
    if 'name="viewport"' not in html:
        extra = '<meta name="viewport" content="width=device-width, initial-scale=1">\n' + extra
    head_end = html.index("</head>")
    return html[:head_end] + extra + html[head_end:]


def _to_html(executed: Path, target: Path, title: str) -> None:
    """Write the executed notebook as HTML with the code hidden (one exporter per thread:
    building one reads its templates, which takes longer than the export)."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = getattr(_exporters, "html", None)
    if exporter is None:
        exporter = _exporters.html = HTMLExporter(
            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    nb = nbformat.read(executed, as_version=4)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    atomic.write_text(target, add_page_style(body))


def execute(job: dict) -> dict:
    """Execute one run into its staging folder (in-process, in a worker process or thread, or
    as a Dask task).

    The notebook runs in this thread's warm kernel (:mod:`cw_pophealth.runner.kernels`), reset
    to a new session working in the staging folder, unless ``job["fresh_kernel"]`` asks for a
    kernel of its own. Nothing process-wide changes (no working folder, no environment
    variable), so several threads may run jobs at once. A kernel that timed out, died or lost
    its connection is stopped, so the next run starts a new one; one whose notebook raised an
    exception in a cell is reset like any other.

    Returns a plain dict so it crosses process boundaries: ``ok``, ``seconds``, ``message``.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    start = time.perf_counter()
    staging = Path(job["staging"])
    staging.mkdir(parents=True, exist_ok=True)
    executed = staging / f"{job['name']}.ipynb"
    params = {**job["parameters"], OUTPUT_DIR_PARAMETER: str(staging)}
    env = kernel_env(job["env"])
    healthy = False  # may the kernel run the next notebook?
    try:
        kernel = warm_kernel(env, str(staging), code=job.get("code", ""))
        try:
            papermill.execute_notebook(
                job["notebook"], str(executed), parameters=params, kernel_name=KERNEL_NAME,
                km=kernel.manager, progress_bar=False, log_output=False,
                # Saved once at the end (and with the failing cell when one fails), not twice
                # per cell: the partial notebook of a run that is killed is thrown away anyway.
                request_save_on_cell_execute=False,
                execution_timeout=job.get("timeout"), start_timeout=120,
            )
        except PapermillExecutionError:
            # A cell raised an exception and the kernel reported it: the kernel is well (a
            # timeout, a dead kernel or a lost connection are other exceptions).
            healthy = True
            raise
        healthy = True
        _redact_notebook(executed, _job_labels(job))
        _to_html(executed, staging / f"{job['name']}.html", job["title"])
    except Exception as exc:  # noqa: BLE001 - reported to the caller, never swallowed
        message = _failure_message(Path(job["notebook"]).name, exc)
        return {"ok": False, "seconds": time.perf_counter() - start,
                "message": redact_paths(message, _job_labels(job))}
    finally:
        if not healthy or job.get("fresh_kernel"):
            discard_warm_kernel()
    return {"ok": True, "seconds": time.perf_counter() - start, "message": ""}


#: Seconds between a worker's checks that the runner that started it is still alive.
PARENT_CHECK_INTERVAL = 0.5


def _worker_init(level: int) -> None:
    """Set up a worker process: logging, and a watchdog that ends it if the runner dies.

    A worker busy running a notebook would otherwise live on after the runner is killed (kill
    -9 runs no cleanup) until that notebook ends. When the watchdog sees the worker's parent
    change, the worker exits at once; its kernel, started with ``JPY_PARENT_PID``, then sees
    its own parent gone and exits too.
    """
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_library_logs()
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_INTERVAL)
        os._exit(1)

    threading.Thread(target=watch, name="cw-pophealth-parent-watchdog", daemon=True).start()



def _crashed(exc: BaseException) -> dict:
    return {"ok": False, "seconds": 0.0,
            "message": f"worker crashed: {type(exc).__name__}: {exc}"}


def execute_all(jobs_list: list[dict], *, jobs: int, executor: str,
                 dask_address: str | None) -> Iterable[tuple[str, dict]]:
    """Run notebook jobs and yield ``(run name, result)`` as each finishes.

    ``executor="process"`` uses this machine's worker processes (in this process when ``jobs``
    is 1 or there is one job); ``"dask"`` submits each job to a ``dask.distributed`` cluster.
    A crashed worker is reported as a failed run, never raised.
    """
    if not jobs_list:
        return
    if executor == "dask":
        yield from _execute_on_dask(jobs_list, jobs=jobs, address=dask_address)
        return
    if jobs <= 1 or len(jobs_list) <= 1:
        # In this process: the kernel stays warm for the next run (stopped at exit, or by
        # runner.kernels.shutdown_warm_kernels()).
        for job in jobs_list:
            logger.info("Executing %s (%s)", job["name"], Path(job["notebook"]).name)
            yield job["name"], execute(job)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                             initargs=(logging.getLogger().getEffectiveLevel(),)) as pool:
        futures = {pool.submit(execute, job): job["name"] for job in jobs_list}
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as exc:  # noqa: BLE001 - a crashed worker is a failed run
                result = _crashed(exc)
            yield futures[future], result


#: Seconds allowed to reach a Dask scheduler before the run stops.
DASK_CONNECT_TIMEOUT = 5.0


def dask_scheduler_address(address: str | None) -> str | None:
    """The scheduler to use: ``address``, else ``CW_POPHEALTH_DASK_SCHEDULER``, else ``None``
    (a LocalCluster)."""
    return address or os.environ.get("CW_POPHEALTH_DASK_SCHEDULER") or None


def check_dask_scheduler(address: str, timeout: float = DASK_CONNECT_TIMEOUT) -> None:
    """Check that a Dask scheduler is listening at ``address`` (``tcp://host:port``).

    A plain TCP connection, tried before any notebook is validated or run, so that a wrong
    address fails in seconds with the address named, rather than after dask's 30 s timeout.

    Raises
    ------
    cw_pophealth.errors.ConfigError
        If the address is not ``tcp://host:port`` or nothing answers there within ``timeout``.
    """
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme != "tcp" or not parts.hostname or parts.port is None:
        raise ConfigError(f"Dask scheduler address {address!r} is not of the form "
                          "tcp://host:port (e.g. tcp://scheduler:8786).")
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=timeout):
            pass
    except OSError as exc:
        raise ConfigError(
            f"No Dask scheduler answers at {address} ({exc.strerror or exc}) within "
            f"{timeout:g} s. Start one with `dask scheduler` and `dask worker {address}`, fix "
            "--dask-address / CW_POPHEALTH_DASK_SCHEDULER, or leave both unset for a local "
            "cluster.") from exc


def execute_returning_files(job: dict) -> dict:
    """:func:`execute` in a folder of the worker's own, returning the report's files.

    The Dask task: a worker may be on another machine, so it writes nothing into the
    runner's reports folder. The result carries ``files``, ``{relative path: bytes}``, which
    the runner writes into the staging folder (:func:`write_returned_files`). Paths in the
    outputs are labelled as if the report had been made in the staging folder itself.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cw-pophealth-task-") as tmp:
        local = {**job, "staging": str(Path(tmp) / Path(job["staging"]).name)}
        result = execute(local)
        root = Path(local["staging"])
        result["files"] = ({str(p.relative_to(root)): p.read_bytes()
                            for p in sorted(root.rglob("*")) if p.is_file()}
                           if root.exists() else {})
    return result


def write_returned_files(staging: str | os.PathLike, files: Mapping[str, bytes]) -> None:
    """Write a Dask task's returned files into the runner's staging folder."""
    root = Path(staging)
    for rel, data in files.items():
        target = root / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise ValueError(f"a worker returned a file outside its report folder: {rel!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_bytes(target, data)


def _execute_on_dask(jobs_list: list[dict], *, jobs: int,
                     address: str | None) -> Iterable[tuple[str, dict]]:
    """Submit each notebook job to a Dask cluster (LocalCluster unless an address is given)."""
    try:
        from dask.distributed import Client, LocalCluster
        from dask.distributed import as_completed as dask_completed
    except ImportError as exc:
        raise ConfigError("executor='dask' needs dask.distributed: pip install "
                          "'cw-pophealth[dask]' (or use the default process executor).") from exc
    address = dask_scheduler_address(address)
    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=max(1, jobs), threads_per_worker=1,
                               dashboard_address=None)
    logger.info("Running %d notebook(s) on Dask cluster %s", len(jobs_list),
                address or "LocalCluster")
    try:
        by_name = {job["name"]: job for job in jobs_list}
        with Client(address or cluster, timeout=f"{DASK_CONNECT_TIMEOUT}s") as client:
            futures = {
                client.submit(execute_returning_files, job, pure=False,
                              key=f"report-{job['name']}-{uuid.uuid4().hex[:6]}"): job["name"]
                for job in jobs_list
            }
            for future in dask_completed(list(futures)):
                name = futures[future]
                try:
                    result = future.result()
                    write_returned_files(by_name[name]["staging"], result.pop("files"))
                except Exception as exc:  # noqa: BLE001 - a lost worker is a failed run
                    result = _crashed(exc)
                future.release()
                yield name, result
    finally:
        if cluster is not None:
            cluster.close()
