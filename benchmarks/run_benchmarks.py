#!/usr/bin/env python
"""Measure cw-pophealth's speed and print the figures (``make bench``).

Four benchmarks (``--only`` picks one; see ``benchmarks/README.md`` for what each measures and
the server model):

pull
    A cold pull of the core indicators for counties & UAs (502) and districts & UAs (501) by
    ``cw_pophealth.fingertips.pull`` and by ``fingertips_py`` (PyPI, used as a black box with its
    base URL pointed at the same fake server; sequentially, as it works, and on 2 threads),
    under every server model (zero, fixed and the *assumed* api and busy models); the ratios,
    all measured in one run; and warm (offline, cached) pulls.
reports
    ``cw-pophealth reports``: a full refresh of every notebook, then a re-run with nothing
    changed; wall time, CPU time (how many cores were busy) and peak memory.
scale
    The pull and an ``area_profile`` report per upper-tier area (papermill fan-out) for 1, N/4,
    N/2 and N areas: time per area and how it grows.
pullcost
    What a cold pull costs beyond parsing: the pull of the core indicators at zero latency
    against the pyarrow parse of the same CSV bytes (the ratio, in the same process), the peak
    memory of the pull, and how many times the rows are validated and converted to the schema
    and how many fsyncs and files it makes (counted by wrappers in the timed process).
fanout
    The ``area_profile`` fan-out over every upper-tier area, warm kernels against a new kernel
    per area (``--fresh-kernels``), paired in one session, with an output identity check.

The fake Fingertips server (``tests/fake_fingertips.py``, serving the real extracts in the API's
CSV format, with a listen backlog of 128 so that no burst of connections is dropped and timed
as a retry) runs in its own process so that it does not share a GIL with the client being
timed, and every timed pull runs in a fresh Python process. Results are printed as tables and
saved as JSON under ``benchmarks/results/`` (git-ignored).

Usage::

    python benchmarks/run_benchmarks.py              # everything (several minutes)
    python benchmarks/run_benchmarks.py --quick      # fewer repeats, smaller fan-out
    python benchmarks/run_benchmarks.py --only pull
    python benchmarks/run_benchmarks.py --only scale --all   # all 153 upper-tier areas
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import logging
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS_DIR = ROOT / "tests"
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PY = sys.executable
SCRIPT = str(Path(__file__).resolve())

AREA_TYPES = (502, 501)  # counties & UAs, districts & UAs: what `cw-pophealth pull` defaults to
PARENT_AREA_TYPE = 6  # regions, as pull() asks for
WARM_TARGET = 0.2
RATIO_TARGET = 5.0
NO_CHANGE_TARGET = 3.0
COVENTRY_WARWICKSHIRE = ("E08000026", "E10000031")


@dataclass(frozen=True)
class LatencyModel:
    """What the fake server waits before answering one request (see benchmarks/README.md)."""

    name: str
    fixed: float  # seconds per request
    per_indicator: float  # further seconds per indicator in an all_data request
    note: str
    capacity: int | None = None  # requests served at once; more are refused with 429
    retry_after: float = 1.0  # the Retry-After of those refusals

    def describe(self) -> str:
        if not self.fixed and not self.per_indicator:
            return "no server time (CPU and loopback only)"
        text = f"{self.fixed:g} s/request + {self.per_indicator:g} s/indicator"
        if self.capacity:
            text += (f", at most {self.capacity} at once (429, Retry-After "
                     f"{self.retry_after:g} s)")
        return text


MODELS = {
    "zero": LatencyModel("zero", 0.0, 0.0, "loopback, no server time: pure client CPU"),
    "api": LatencyModel("api", 0.3, 0.5, "ASSUMED model of the API: a fixed cost per request "
                        "plus CSV generation per indicator; neither number is measured on the "
                        "live API, which this machine cannot reach"),
    "fixed": LatencyModel("fixed", 0.5, 0.0, "sensitivity: all server time is per request, "
                          "none per indicator (worst case for splitting requests)"),
    "busy": LatencyModel("busy", 0.3, 0.5, "ASSUMED server: the api model on a server that "
                         "refuses a 5th concurrent request with 429. The Fingertips server "
                         "source has no rate limiting at all; how the live front end behaves "
                         "is unknown (worst case for concurrency)", capacity=4, retry_after=1.0),
}
#: Threads for the concurrent fingertips_py baseline (its two area-type calls at once).
THEIRS_THREADS = 2


# =============================================================================================
# Child processes: the fake server, one timed pull, one measured command
# =============================================================================================
def _quiet() -> None:
    logging.disable(logging.CRITICAL)
    os.environ.setdefault("TQDM_DISABLE", "1")


def serve() -> None:
    """``--_serve``: run the fake API; print its URL; obey JSON commands on stdin until EOF."""
    _quiet()
    sys.path.insert(0, str(TESTS_DIR))
    from cw_pophealth import snapshot
    from cw_pophealth.config import get_settings
    from fake_fingertips import FakeFingertips
    from helpers import fake_api_rows

    settings = get_settings()
    rows = fake_api_rows(snapshot.build_snapshot(settings, write=False))
    fake = FakeFingertips(rows, settings=settings).start()
    print(json.dumps({"url": fake.url}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if "latency" in command:
            fake.latency = float(command["latency"])
            fake.latency_per_indicator = float(command.get("latency_per_indicator", 0.0))
            fake.capacity = command.get("capacity")
            fake.capacity_retry_after = float(command.get("retry_after", 1.0))
        if command.get("reset"):
            fake.reset()
        print(json.dumps({"ok": True, "requests": len(fake.requests), "refused": fake.refused,
                          "max_in_flight": fake.max_in_flight}), flush=True)
    fake.stop()


class FakeServer:
    """The fake Fingertips API in a child process (``--_serve``)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([PY, SCRIPT, "--_serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, cwd=ROOT)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the fake Fingertips server did not start")
        self.url = json.loads(line)["url"]

    def command(self, **cmd) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def set_model(self, model: LatencyModel) -> None:
        self.command(latency=model.fixed, latency_per_indicator=model.per_indicator,
                     capacity=model.capacity, retry_after=model.retry_after)

    def timed(self, **spec) -> dict:
        """One :func:`run_worker` run with the server's view of it: requests it received,
        requests it refused for want of capacity, and the most in progress at once."""
        self.command(reset=True)
        out = run_worker(**spec)
        stats = self.command()
        out["server"] = {k: stats[k] for k in ("requests", "refused", "max_in_flight")}
        return out

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _core_ids() -> list[int]:
    from cw_pophealth import catalogue

    return [spec.indicator_id for spec in catalogue.CORE_INDICATORS]


def worker(spec: dict) -> dict:
    """``--_worker SPEC``: one timed operation in a fresh process; returns its figures.

    ``op``: ``ours`` (a cold pull into a new data folder, then ``warm`` offline pulls and
    ``refresh`` online pulls of unchanged data), ``theirs`` (fingertips_py, one call per area
    type, as that library works), or ``warm`` (offline pulls from an existing ``data_dir``).
    """
    _quiet()
    import pandas as pd  # noqa: F401 - imported before timing, as both clients need it

    ids = _core_ids()
    url = spec.get("url")
    out: dict = {"op": spec["op"]}
    if spec["op"] in ("ours", "warm"):
        from cw_pophealth import fingertips
        from cw_pophealth.config import get_settings

        data_dir = Path(spec.get("data_dir") or tempfile.mkdtemp(prefix="cwph-bench-data-"))
        settings = get_settings(api_base_url=url, data_dir=data_dir, offline=False,
                                max_workers=int(spec.get("workers") or get_settings().max_workers))
        kwargs = dict(indicators=ids, area_type_ids=list(AREA_TYPES),
                      area_codes=spec.get("area_codes"), progress=False,
                      per_indicator=spec.get("per_indicator", True))
        if spec["op"] == "ours":
            started = time.perf_counter()
            table = fingertips.pull(settings=settings, **kwargs)
            out["seconds"] = time.perf_counter() - started
            out["rows"] = len(table)
        for _ in range(int(spec.get("warm", 0))):
            started = time.perf_counter()
            table = fingertips.pull(settings=settings.with_(offline=True), **kwargs)
            out.setdefault("warm", []).append(time.perf_counter() - started)
            out["rows"] = len(table)
        for _ in range(int(spec.get("refresh", 0))):
            started = time.perf_counter()
            fingertips.pull(settings=settings, **kwargs)
            out.setdefault("refresh", []).append(time.perf_counter() - started)
        out["data_dir"] = str(data_dir)
        if not spec.get("keep"):
            shutil.rmtree(data_dir, ignore_errors=True)
    elif spec["op"] == "pullcost":
        out.update(_pullcost(spec, ids))
    elif spec["op"] == "renderfloor":
        out.update(_render_floor(spec))
    elif spec["op"] == "theirs":
        import fingertips_py
        import fingertips_py.api_calls
        import fingertips_py.retrieve_data

        # fingertips_py reads its module-level base_url; point both modules at the fake.
        fingertips_py.retrieve_data.base_url = url
        fingertips_py.api_calls.base_url = url
        threads = int(spec.get("threads") or 1)
        started = time.perf_counter()
        if threads > 1:
            # The same calls from a thread pool: what a user of fingertips_py can do by hand.
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(threads) as pool:
                frames = list(pool.map(lambda t: fingertips_py.get_data_by_indicator_ids(
                    ids, t, parent_area_type_id=PARENT_AREA_TYPE), AREA_TYPES))
        else:
            frames = [fingertips_py.get_data_by_indicator_ids(
                ids, t, parent_area_type_id=PARENT_AREA_TYPE) for t in AREA_TYPES]
        out["seconds"] = time.perf_counter() - started
        out["threads"] = threads
        raw = pd.concat(frames, ignore_index=True)
        out["raw_rows"] = len(raw)
        # The same observations as ours: headline rows (no category), one per observation
        # (a UA, England and the regions appear in both the 502 and the 501 CSV).
        key = ["Indicator ID", "Area Code", "Sex", "Age", "Category Type", "Category",
               "Time period"]
        headline = raw.loc[raw["Category Type"].isna()]
        out["rows"] = int(len(headline.drop_duplicates(key)))
    else:
        raise ValueError(f"unknown op {spec['op']!r}")
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _proc_status_kb(field: str) -> float:
    """A field of ``/proc/self/status`` in kB (``VmRSS``, ``VmHWM``); NaN where there is none."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return float("nan")


#: Where a cold pull's time goes: (label, module, function), timed in the pulling process by
#: wrapping each function where :func:`cw_pophealth.fingertips.pull` looks it up. The stages
#: do not nest in this checkout; "other" in the table is the pull's time outside all of them.
PULL_STAGES = [
    ("download (HTTP + parse, threads)", "cw_pophealth.fingertips.pull", "download"),
    ("rows to the schema", "cw_pophealth.fingertips.pull", "tidy_rows_of_responses"),
    ("validate", "cw_pophealth.schema", "validate_tidy"),
    ("de-duplicate", "cw_pophealth.schema", "deduplicate_sources"),
    ("cache the bodies", "cw_pophealth.fingertips.pull", "commit"),
    ("write the table", "cw_pophealth.schema", "write_tidy"),
]


def _time_pull_stages() -> dict[str, float]:
    """Wrap each of :data:`PULL_STAGES` that this copy of the package has with a timer; the
    returned dict fills with seconds per stage as the pull runs."""
    import importlib

    seconds: dict[str, float] = {}
    for label, module_name, name in PULL_STAGES:
        module = importlib.import_module(module_name)
        real = getattr(module, name, None)
        if real is None:  # an older copy of the package (--against)
            continue

        def timed(*args, _real=real, _label=label, **kwargs):
            t0 = time.perf_counter()
            try:
                return _real(*args, **kwargs)
            finally:
                seconds[_label] = seconds.get(_label, 0.0) + time.perf_counter() - t0

        setattr(module, name, timed)
    return seconds


def _pullcost(spec: dict, ids: list[int]) -> dict:
    """``op=pullcost``: one cold pull at zero latency, counted and measured, then the pyarrow
    parse of the very CSV bodies it received (same process, so the ratio is paired).

    Counted by wrapping, in this process only: ``schema.validate_tidy`` and
    ``schema.coerce_tidy`` calls and the rows they saw (a conversion to the schema is a
    ``coerce_tidy``; ``validate_tidy`` converts too, so both are counted), ``os.fsync`` calls,
    and the files the pull left under the data folder (raw cache, derived cache, table).
    Peak memory is the process's resident high-water mark during the pull (reset just before
    it through ``/proc/self/clear_refs``), next to the resident size before it.
    """
    from cw_pophealth import atomic, fingertips, schema
    from cw_pophealth.config import get_settings
    from cw_pophealth.fingertips import parse

    counts = {"validate_tidy": 0, "validate_tidy_rows": 0, "coerce_tidy": 0,
              "coerce_tidy_rows": 0, "fsync": 0}

    def counted(name, real):
        def wrapper(df, *args, **kwargs):
            counts[name] += 1
            counts[f"{name}_rows"] += len(df)
            return real(df, *args, **kwargs)
        return wrapper

    real_fsync = os.fsync

    def fsync(fd):
        counts["fsync"] += 1
        return real_fsync(fd)

    schema.validate_tidy = counted("validate_tidy", schema.validate_tidy)
    schema.coerce_tidy = counted("coerce_tidy", schema.coerce_tidy)
    os.fsync = fsync
    if hasattr(atomic, "_syncfs"):  # batched flushes: one syncfs(2) per batch and filesystem
        counts["syncfs"] = 0
        real_syncfs = atomic._syncfs

        def syncfs(folder):
            counts["syncfs"] += 1
            return real_syncfs(folder)

        atomic._syncfs = syncfs
    stages = _time_pull_stages()
    data_dir = Path(tempfile.mkdtemp(prefix="cwph-bench-pullcost-"))
    settings = get_settings(api_base_url=spec["url"], data_dir=data_dir, offline=False,
                            max_workers=int(spec.get("workers") or get_settings().max_workers))
    out: dict = {"source": str(Path(schema.__file__).resolve().parent)}
    try:
        from cw_pophealth.arrow_memory import use_lean_pool
    except ImportError:  # a copy of the package from before the lean pool (--against)
        import pyarrow as pa

        out["arrow_pool"] = pa.default_memory_pool().backend_name
    else:
        out["arrow_pool"] = use_lean_pool()  # as the cw-pophealth command does
    try:
        import gc

        gc.collect()
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        out["rss_before_mb"] = _proc_status_kb("VmRSS") / 1024
        started = time.perf_counter()
        table = fingertips.pull(ids, area_type_ids=list(AREA_TYPES), settings=settings,
                                progress=False)
        out["seconds"] = time.perf_counter() - started
        out["peak_rss_mb"] = _proc_status_kb("VmHWM") / 1024
        out["rows"] = len(table)
        out["table_mb"] = float(table.memory_usage(deep=True).sum()) / 1e6
        out["counts"] = dict(counts)
        out["stages"] = dict(stages)
        files = [p for p in data_dir.rglob("*") if p.is_file() and not p.name.endswith(".lock")]
        out["files"] = {"raw": sum(1 for p in files if "raw" in p.relative_to(data_dir).parts),
                        "derived": sum(1 for p in files if "cache" in p.parts),
                        "all": len(files)}
        bodies = [p.read_bytes() for p in sorted((data_dir / "raw").rglob("*.body-*.csv"))
                  if "all_data" in p.parts]
        out["csv_bodies"] = len(bodies)
        out["csv_mb"] = sum(len(b) for b in bodies) / 1e6
        # The parse limit: the same bytes through the project's pyarrow parse, best of 5
        # (the first warms pyarrow's thread pool, as the pull's own first parse does).
        parse_times = []
        for _ in range(5):
            t0 = time.perf_counter()
            parsed = [parse.parse_fingertips_csv(b, "bench") for b in bodies]
            parse_times.append(time.perf_counter() - t0)
        out["parse_seconds"] = min(parse_times)
        out["parse_rows"] = sum(len(t) for t in parsed)
        out["ratio"] = out["seconds"] / out["parse_seconds"]
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return out


def _render_floor(spec: dict) -> dict:
    """``op=renderfloor``: the area profile's own work for each of ``spec["codes"]`` in one
    process, with no kernel and no runner: the profile table (with the fan-out's
    ``spec["parameters"]``), the spine chart, and its PNG and SVG (and the slide exports when
    ``spec["slides"]``) written as the notebook writes them.

    The first area is untimed (imports, the table read, font caches). Returns the CPU seconds
    of each timed area.
    """
    os.environ.update({"CW_POPHEALTH_DATA": spec["data_dir"], "MPLBACKEND": "Agg",
                       "CW_POPHEALTH_SLIDES": "1" if spec["slides"] else "0"})
    import matplotlib.pyplot as plt

    from cw_pophealth import analysis, plots, report, snapshot

    table = snapshot.load_indicators()
    out_dir = Path(tempfile.mkdtemp(prefix="cwph-bench-render-"))
    cpu = []
    try:
        for i, code in enumerate(spec["codes"]):
            t0 = time.process_time()
            profile = analysis.area_profile_table(table, code, **spec["parameters"])
            ax = plots.spine_chart(profile)
            report.save_figure(ax.figure, f"area_profile_{code}", output_dir=out_dir / code)
            plt.close(ax.figure)
            if i:
                cpu.append(time.process_time() - t0)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    return {"cpu_seconds": cpu}


def run_worker(*, src: str | None = None, **spec) -> dict:
    """Run :func:`worker` in a fresh process; ``src`` puts another copy of the package (the
    ``src`` folder of another checkout) first on its path."""
    env = None
    if src:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [src, *filter(None, [os.environ.get("PYTHONPATH")])]))
    proc = subprocess.run([PY, SCRIPT, "--_worker", json.dumps(spec)], capture_output=True,
                          text=True, cwd=ROOT, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {spec['op']} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(argv: list[str], env: dict) -> dict:
    """``--_measure -- CMD``: run CMD; its wall time, CPU time and peak memory.

    ``max_rss_mb`` is the largest single process (``getrusage(RUSAGE_CHILDREN)`` in this
    otherwise idle process, so it covers only CMD and its descendants); ``tree_peak_mb`` is the
    peak of the summed RSS of CMD's process tree, sampled every 50 ms with psutil when it is
    installed (parallel notebooks are separate processes, so the sum is what the machine needs).
    """
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil ships with jupyter
        psutil = None
    peak = 0
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        if psutil is None:
            return
        try:
            root = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not done.is_set():
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            peak = max(peak, total)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"argv": argv, "returncode": proc.returncode, "wall": wall,
            "cpu": usage.ru_utime + usage.ru_stime, "max_rss_mb": usage.ru_maxrss / 1024,
            "tree_peak_mb": peak / 2**20 if psutil is not None else None,
            # The summary line is logged before the per-run list, which a large fan-out makes
            # longer than the tail kept: read it from the whole output.
            "summary": _summary_line(output), "output_tail": output[-4000:]}


def run_measured(argv: list[str], env: dict) -> dict:
    """Run :func:`measure` in a fresh child so RUSAGE_CHILDREN covers only ``argv``."""
    proc = subprocess.run([PY, SCRIPT, "--_measure", json.dumps({"argv": argv, "env": env})],
                          capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"measuring {argv} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# =============================================================================================
# Benchmarks
# =============================================================================================
def _median(values: list[float]) -> float:
    return statistics.median(values)


def _refusals(runs: list[dict]) -> str:
    """Median requests refused per run (429 for want of server capacity)."""
    refused = [r["server"]["refused"] for r in runs if "server" in r]
    return f"{statistics.median(refused):g}" if refused else "-"


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def _print_table(title: str, header: list[str], rows: list[list], note: str = "") -> None:
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    print("  " + "  ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True)))
    print("  " + "  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    if note:
        print("  " + note.replace("\n", "\n  "))


def bench_pull(args, server: FakeServer) -> dict:
    from cw_pophealth.config import get_settings

    default_workers = get_settings().max_workers
    workers = sorted({default_workers, *args.workers})
    models = [MODELS[m] for m in args.models]
    repeat = args.repeat
    print(f"\n== pull: core indicators ({len(_core_ids())} ids) x area types {AREA_TYPES}, "
          f"parent type {PARENT_AREA_TYPE}; median of {repeat} cold run(s), each in a fresh "
          "process with an empty cache", flush=True)
    # Fill the fake's own response cache (it renders each CSV once) for both clients' requests,
    # so that no timed run pays for the fake's first rendering.
    server.set_model(MODELS["zero"])
    run_worker(op="ours", url=server.url)
    run_worker(op="ours", url=server.url, per_indicator=False)
    run_worker(op="theirs", url=server.url)

    results: dict = {"models": [], "default_workers": default_workers,
                     "theirs_threads": THEIRS_THREADS}
    table_rows = []
    for model in models:
        server.set_model(model)
        entry: dict = {"model": asdict(model), "theirs": [], "theirs_threads": [], "ours": {}}
        configs = [("per-indicator", w, True) for w in workers]
        configs.append(("batched", default_workers, False))
        runs: dict = {c: [] for c in configs}
        for _ in range(repeat):
            entry["theirs"].append(server.timed(op="theirs", url=server.url))
            entry["theirs_threads"].append(server.timed(op="theirs", url=server.url,
                                                        threads=THEIRS_THREADS))
            for config in configs:
                runs[config].append(server.timed(op="ours", url=server.url, workers=config[1],
                                                 per_indicator=config[2]))
        theirs = _median([r["seconds"] for r in entry["theirs"]])
        theirs2 = _median([r["seconds"] for r in entry["theirs_threads"]])
        theirs_rows = entry["theirs"][0]["rows"]
        table_rows.append([model.name, model.describe(), "fingertips_py 0.4.3", "1 (sequential)",
                           f"{theirs:.3f}", "1.0x", f"{theirs / theirs2:.1f}x", theirs_rows,
                           _refusals(entry["theirs"]), "-"])
        table_rows.append(["", "", "fingertips_py 0.4.3", f"{THEIRS_THREADS} threads",
                           f"{theirs2:.3f}", f"{theirs2 / theirs:.1f}x", "1.0x",
                           entry["theirs_threads"][0]["rows"],
                           _refusals(entry["theirs_threads"]), "-"])
        for (split, w, _), rs in runs.items():
            ours = _median([r["seconds"] for r in rs])
            ratio = theirs / ours
            ok = ratio >= RATIO_TARGET
            entry["ours"][f"{split}-w{w}"] = {"split": split, "workers": w, "runs": rs,
                                              "median": ours, "ratio": ratio,
                                              "ratio_vs_threads": theirs2 / ours,
                                              "rows": rs[0]["rows"],
                                              "rows_match": rs[0]["rows"] == theirs_rows}
            label = f"{w}{' (default)' if w == default_workers else ''}"
            table_rows.append([model.name, "", f"cw_pophealth ({split})", label, f"{ours:.3f}",
                               f"{ratio:.1f}x", f"{theirs2 / ours:.1f}x", rs[0]["rows"],
                               _refusals(rs), _yes(ok)])
        entry["theirs_median"] = theirs
        entry["theirs_threads_median"] = theirs2
        results["models"].append(entry)
    _print_table(
        "Cold pull (seconds, median) and speed-up over fingertips_py, measured in one run",
        ["model", "server time", "client", "workers", "cold s", "vs fingertips_py",
         f"vs fingertips_py on {THEIRS_THREADS} threads", "rows", "refused",
         f">= {RATIO_TARGET:g}x"],
        table_rows,
        "rows: observations returned (fingertips_py: headline rows de-duplicated across the "
        "two area types,\nas cw_pophealth keeps them). cw_pophealth's time includes checking "
        "the arguments (2 lookup requests),\nvalidating, caching the raw responses and writing "
        "the Parquet table; fingertips_py returns the raw CSV frames.\nrefused: requests the "
        "server answered 429 for want of capacity (median per run; busy model only).\nThe api "
        "and busy models are ASSUMPTIONS (see benchmarks/README.md), not measurements of the "
        "live API.")

    # Warm: offline from the cache, in the process that pulled (in-process) and in a new one.
    server.set_model(MODELS["api"])
    cold = run_worker(op="ours", url=server.url, keep=True, warm=args.warm_repeat,
                      refresh=2)
    fresh = run_worker(op="warm", url=server.url, data_dir=cold["data_dir"], warm=1)
    shutil.rmtree(cold["data_dir"], ignore_errors=True)
    warm_in = _median(cold["warm"])
    warm_fresh = fresh["warm"][0]
    refresh = _median(cold["refresh"])
    results["warm"] = {"in_process": cold["warm"], "fresh_process": fresh["warm"],
                       "refresh_unchanged_online": cold["refresh"], "model": "api"}
    _print_table(
        "Warm pull (offline, from the cache) and refresh with unchanged data",
        ["what", "seconds", f"< {WARM_TARGET:g} s"],
        [["warm, offline, same process (median)", f"{warm_in:.3f}", _yes(warm_in < WARM_TARGET)],
         ["warm, offline, first pull in a new process", f"{warm_fresh:.3f}",
          _yes(warm_fresh < WARM_TARGET)],
         ["online refresh, server data unchanged (api model)", f"{refresh:.3f}", "-"]],
        "The online refresh still downloads every CSV (paying the server time) but skips "
        "parsing and rebuilding.")
    return results


def _reports_env(data_dir: Path, reports_dir: Path) -> dict:
    env = dict(os.environ)
    env.update({"CW_POPHEALTH_DATA": str(data_dir), "CW_POPHEALTH_REPORTS": str(reports_dir),
                "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    return env


def _cli(*args: str) -> list[str]:
    return [PY, "-m", "cw_pophealth.cli", *args]


def _executor_args(args) -> list[str]:
    return [] if args.executor == "process" else ["--executor", args.executor]


def _summary_line(output: str) -> str:
    """``"4 executed, 0 skipped, 0 failed"`` from the CLI's summary line."""
    import re

    found = re.findall(r"(\d+) executed, (\d+) skipped.*?(\d+) failed", output)
    if not found:
        return "(no summary)"
    executed, skipped, failed = found[-1]
    return f"{executed} executed, {skipped} skipped, {failed} failed"


def bench_reports(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="cwph-bench-reports-"))
    data_dir, reports_dir = work / "data", work / "reports"
    env = _reports_env(data_dir, reports_dir)
    config = str(ROOT / "config" / "reports.yaml")
    print(f"\n== reports: {config} with --jobs {args.jobs} (data and reports in {work})",
          flush=True)
    out: dict = {}
    try:
        out["build"] = run_measured(_cli("build"), env)
        runs = [("full refresh (--force)", _cli("reports", "--config", config, "--jobs",
                                                str(args.jobs), "--force")),
                ("re-run, nothing changed", _cli("reports", "--config", config, "--jobs",
                                                 str(args.jobs)))]
        make_cmd = ["make", "-s", "reports", f"REPORTS_CONFIG={config}", f"JOBS={args.jobs}"]
        dry = subprocess.run(["make", "-n", *make_cmd[2:]], capture_output=True, text=True,
                             cwd=ROOT, env=env)
        if dry.returncode == 0 and "pip install" not in dry.stdout:
            runs.append(("`make reports`, nothing changed (incl. `make data`)", make_cmd))
        rows = []
        for label, argv in runs:
            m = run_measured(argv, env)
            if m["returncode"] != 0:
                raise RuntimeError(f"{label} failed:\n{m['output_tail']}")
            out[label] = m
            target = _yes(m["wall"] < NO_CHANGE_TARGET) if "nothing changed" in label else "-"
            rows.append([label, f"{m['wall']:.1f}", f"{m['cpu'] / m['wall']:.2f}",
                         f"{m['max_rss_mb']:.0f}",
                         f"{m['tree_peak_mb']:.0f}" if m["tree_peak_mb"] else "n/a",
                         m["summary"], target])
        build = out["build"]["wall"]
        rerun = out["re-run, nothing changed"]["wall"]
        if not any(label.startswith("`make") for label, _ in runs):
            rows.append(["`make reports`, nothing changed (= build + re-run; not run: "
                         "make would reinstall .venv)", f"{build + rerun:.1f}", "", "", "", "",
                         _yes(build + rerun < NO_CHANGE_TARGET)])
        _print_table(
            "Reports (wall seconds; cores busy = CPU time / wall time on this "
            f"{os.cpu_count()}-core machine)",
            ["run", "wall s", "cores busy", "max RSS MB (1 proc)", "peak MB (all procs)",
             "notebooks", f"< {NO_CHANGE_TARGET:g} s"],
            rows,
            f"`make data` (cw-pophealth build, run by `make reports` every time): {build:.1f} s. "
            "max RSS: the largest single process;\npeak: the sampled sum over the whole "
            "process tree (runner, workers, kernels).")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return out


def _upper_tier_codes() -> list[str]:
    from cw_pophealth.config import get_settings
    from cw_pophealth.geography import get_geography

    codes = list(get_geography(get_settings()).upper_tier_areas())
    first = [c for c in COVENTRY_WARWICKSHIRE if c in codes]
    return first + [c for c in codes if c not in first]


def bench_scale(args, server: FakeServer) -> dict:
    import yaml

    codes = _upper_tier_codes()
    n_max = len(codes) if args.all else min(args.areas, len(codes))
    sizes = sorted({1, max(1, n_max // 4), max(1, n_max // 2), n_max})
    model = MODELS["api"]
    server.set_model(model)
    print(f"\n== scale: pull + area_profile fan-out for {sizes} of {len(codes)} upper-tier "
          f"areas (server model: {model.describe()}; --jobs {args.jobs}, executor "
          f"{args.executor})", flush=True)
    work = Path(tempfile.mkdtemp(prefix="cwph-bench-scale-"))
    out: dict = {"sizes": sizes, "model": asdict(model), "pull": {}, "reports": {}}
    try:
        # The pull: every area comes in the same CSVs (Fingertips returns all areas of a type),
        # so its time should not depend on how many areas are asked for.
        for n in sizes:
            r = run_worker(op="ours", url=server.url, area_codes=codes[:n])
            out["pull"][n] = r
        full = run_worker(op="ours", url=server.url, keep=True,
                          data_dir=str(work / "data"))
        out["pull"]["all areas"] = full
        config = work / "scale.yaml"  # its notebooks are found in the project's notebooks/
        for n in sizes:
            config.write_text(yaml.safe_dump({"reports": [{
                "name": "area_profile", "notebook": "area_profile.ipynb",
                "title": "Area profile",
                "parameters": {"benchmark_code": "E92000001", "period": "latest"},
                "fan_out": {"parameter": "area_code", "values": codes[:n]}}]}))
            env = _reports_env(work / "data", work / f"reports-{n}")
            m = run_measured(_cli("reports", "--config", str(config), "--jobs", str(args.jobs),
                                  "--force", *_executor_args(args)), env)
            if m["returncode"] != 0:
                raise RuntimeError(f"fan-out of {n} area(s) failed:\n{m['output_tail']}")
            out["reports"][n] = m
            shutil.rmtree(work / f"reports-{n}", ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    base = out["reports"][sizes[0]]["wall"]
    rows = []
    for n in sizes:
        p = out["pull"][n]["seconds"]
        r = out["reports"][n]["wall"]
        rows.append([n, f"{p:.2f}", f"{r:.1f}", f"{r / n:.2f}", f"{(p + r) / n:.2f}",
                     f"{r / base:.1f}x", f"{out['reports'][n]['cpu'] / r:.2f}",
                     f"{out['reports'][n]['tree_peak_mb'] or 0:.0f}"])
    if len(sizes) > 1:
        marginal = (out["reports"][sizes[-1]]["wall"] - base) / (sizes[-1] - sizes[0])
        out["marginal_seconds_per_area"] = marginal
        note = (f"Each further area adds {marginal:.2f} s of report time "
                f"(from {sizes[0]} to {sizes[-1]} areas). The pull of all areas took "
                f"{out['pull']['all areas']['seconds']:.2f} s.")
    else:
        note = ""
    _print_table("Scale: pull (filtered to n areas) and area_profile fan-out (seconds)",
                 ["areas", "pull s", "reports s", "reports s/area", "(pull+reports)/area",
                  "reports vs 1 area", "cores busy", "peak MB"], rows, note)
    return out


PULLCOST_TARGET = 3.0  # a cold pull at zero latency within 3x the pyarrow parse of its CSVs


def bench_pullcost(args, server: FakeServer) -> dict:
    """What a cold pull costs beyond the parse (zero latency), counted; with ``--against SRC``
    the same measurement of another copy of the package, interleaved run by run."""
    server.set_model(MODELS["zero"])
    variants = [("this checkout", None)]
    if args.against:
        variants.append((f"--against {args.against}", str(Path(args.against).resolve())))
    repeat = max(args.repeat, 3)
    print(f"\n== pullcost: cold pull of the core indicators ({len(_core_ids())} ids) x "
          f"{AREA_TYPES} at zero latency vs the pyarrow parse of its CSV bytes; {repeat} "
          "fresh process(es) per variant, interleaved", flush=True)
    for _, src in variants:  # fill the fake's render cache; untimed
        run_worker(op="pullcost", url=server.url, src=src)
    runs: dict[str, list[dict]] = {label: [] for label, _ in variants}
    for i in range(repeat):
        order = variants if i % 2 == 0 else variants[::-1]
        for label, src in order:
            runs[label].append(run_worker(op="pullcost", url=server.url, src=src))
    out: dict = {"variants": {}}
    rows = []
    for label, _ in variants:
        rs = runs[label]
        first = rs[0]
        c = first["counts"]
        summary = {
            "runs": rs, "source": first["source"],
            "pull_median": _median([r["seconds"] for r in rs]),
            "parse_median": _median([r["parse_seconds"] for r in rs]),
            "ratio_median": _median([r["ratio"] for r in rs]),
            "peak_rss_median": _median([r["peak_rss_mb"] for r in rs]),
            "rss_before_median": _median([r["rss_before_mb"] for r in rs]),
            "growth_median": _median([r["peak_rss_mb"] - r["rss_before_mb"] for r in rs]),
            "arrow_pool": first.get("arrow_pool", "?"),
            "counts": c, "files": first["files"], "rows": first["rows"],
            "csv_mb": first["csv_mb"], "table_mb": first["table_mb"],
        }
        out["variants"][label] = summary
        rows.append([label, f"{summary['pull_median'] * 1000:.0f}",
                     f"{summary['parse_median'] * 1000:.0f}",
                     f"{summary['ratio_median']:.1f}x",
                     _yes(summary["ratio_median"] <= PULLCOST_TARGET),
                     f"{summary['peak_rss_median']:.0f} ({summary['rss_before_median']:.0f})",
                     f"{summary['growth_median']:.0f}", summary["arrow_pool"],
                     f"{c['validate_tidy']} ({c['validate_tidy_rows']:,} rows)",
                     f"{c['coerce_tidy']} ({c['coerce_tidy_rows']:,} rows)",
                     f"{c['fsync']} + {c.get('syncfs', 0)}",
                     f"{first['files']['raw']} + {first['files']['derived']}",
                     first["rows"]])
    if len(variants) == 2:
        a, b = (runs[label] for label, _ in variants)
        pairs = [x["seconds"] / y["seconds"] for x, y in zip(a, b, strict=True)]
        out["pull_ratio_pairs"] = pairs
        out["pull_ratio_median"] = _median(pairs)
    first = runs[variants[0][0]][0]
    _print_table(
        f"Cold pull at zero latency vs parsing its {first['csv_bodies']} CSV bodies "
        f"({first['csv_mb']:.1f} MB; table {first['table_mb']:.1f} MB in memory), medians",
        ["code", "pull ms", "parse ms", "pull / parse", f"<= {PULLCOST_TARGET:g}x",
         "peak RSS MB (before)", "growth MB", "Arrow pool", "validations", "conversions",
         "fsync + syncfs", "files: raw + derived", "rows"], rows,
        "parse: the project's pyarrow parse (parse_fingertips_csv) of the same bytes, best of "
        "5, in the pulling process.\npeak RSS: the process's high-water mark during the pull "
        "(before: resident size when it started, imports done); growth: peak - before, "
        "median of the runs.\nArrow pool: the default memory pool during the pull, chosen as "
        "the cw-pophealth command chooses it (cw_pophealth.arrow_memory.use_lean_pool).\n"
        "validations / conversions: "
        "calls of schema.validate_tidy / schema.coerce_tidy (validate_tidy converts too).\n"
        "fsync + syncfs: os.fsync calls, and syncfs(2) calls that flush a batch of files at once."
        + (f"\nPull time, this checkout / --against, pair by pair: "
           f"{', '.join(f'{r:.2f}' for r in out['pull_ratio_pairs'])}; median "
           f"{out['pull_ratio_median']:.2f}." if len(variants) == 2 else ""))
    stage_rows = []
    for label, _ in variants:
        rs = runs[label]
        pull_ms = _median([r["seconds"] for r in rs]) * 1000
        parse_ms = _median([r["parse_seconds"] for r in rs]) * 1000
        # A stage this copy of the package does not have (--against) is left out, not 0.
        medians = {name: _median([r["stages"][name] for r in rs]) * 1000
                   for name, _, _ in PULL_STAGES if name in rs[0]["stages"]}
        other = pull_ms - sum(medians.values())
        download = medians.get(PULL_STAGES[0][0])
        stage_rows.append([label, *(f"{medians[name]:.0f}" if name in medians else "-"
                                    for name, _, _ in PULL_STAGES),
                           f"{other:.0f}",
                           "-" if download is None else f"{download / parse_ms:.1f}x",
                           "-" if download is None
                           else f"{PULLCOST_TARGET * parse_ms - download:.0f}"])
        out["variants"][label]["stage_medians_ms"] = {**medians, "other": other}
    _print_table(
        "Where the cold pull's time goes (ms, medians of the same runs)",
        ["code", *(name for name, _, _ in PULL_STAGES), "other",
         "download / parse", f"ms left for the rest at {PULLCOST_TARGET:g}x"], stage_rows,
        "Each stage timed by wrapping the function the pull calls; other: planning, digests, "
        "logging. In this checkout the stages do not nest; an --against copy may call one\n"
        "inside another (an older write_tidy validates), and then its time counts in both. "
        "-: a function that copy does not have.\nThe last column is what the target leaves "
        "for every stage after the download: the target times the parse, minus the download.")
    return out


FANOUT_TARGET = 60.0  # seconds for every upper-tier area profile on 2 cores


def _report_outputs(reports_dir: Path) -> dict[str, bytes]:
    """Every figure, table and output record of a reports folder, by relative path."""
    return {str(p.relative_to(reports_dir)): p.read_bytes()
            for p in sorted(reports_dir.rglob("*"))
            if p.is_file() and p.suffix in {".png", ".svg", ".csv"}
            or p.name == "outputs.json"}


def bench_fanout(args) -> dict:
    """The area_profile fan-out over every upper-tier area: warm kernels against a new kernel
    per area (``--fresh-kernels``, the design before warm kernels), paired, same session."""
    import yaml

    codes = _upper_tier_codes()
    n = min(args.fanout_areas, len(codes))
    work = Path(tempfile.mkdtemp(prefix="cwph-bench-fanout-"))
    data_dir = work / "data"
    config = work / "fanout.yaml"
    parameters = {"benchmark_code": "E92000001", "period": "latest"}
    config.write_text(yaml.safe_dump({"reports": [{
        "name": "area_profile", "notebook": "area_profile.ipynb", "title": "Area profile",
        "parameters": parameters,
        "slides": args.fanout_slides,
        "fan_out": {"parameter": "area_code", "values": codes[:n]}}]}))
    print(f"\n== fan-out: area_profile for {n} upper-tier areas, --jobs {args.jobs}, warm "
          f"kernels vs a new kernel per area, {args.fanout_repeat} pair(s), slide exports "
          f"{'on' if args.fanout_slides else 'off'}", flush=True)
    out: dict = {"areas": n, "jobs": args.jobs, "pairs": []}
    try:
        build = run_measured(_cli("build"), _reports_env(data_dir, work / "unused"))
        if build["returncode"] != 0:
            raise RuntimeError(f"build failed:\n{build['output_tail']}")
        # The floor for byte-identical outputs: the figure work alone, in one process.
        sample = codes[:min(n, 17)]
        floor = run_worker(op="renderfloor", codes=sample, data_dir=str(data_dir),
                           slides=args.fanout_slides, parameters=parameters)
        out["render_cpu_per_area"] = _median(floor["cpu_seconds"])
        out["render_floor"] = out["render_cpu_per_area"] * n / args.jobs
        for i in range(args.fanout_repeat):
            pair = {}
            # Fresh first in odd pairs, warm first in even ones: drift hits both alike.
            order = ["fresh", "warm"] if i % 2 == 0 else ["warm", "fresh"]
            for mode in order:
                reports = work / f"reports-{mode}"
                shutil.rmtree(reports, ignore_errors=True)
                argv = _cli("reports", "--config", str(config), "--jobs", str(args.jobs),
                            "--force", *(["--fresh-kernels"] if mode == "fresh" else []))
                m = run_measured(argv, _reports_env(data_dir, reports))
                if m["returncode"] != 0:
                    raise RuntimeError(f"{mode} fan-out failed:\n{m['output_tail']}")
                pair[mode] = m
            warm, fresh = (_report_outputs(work / f"reports-{m}") for m in ("warm", "fresh"))
            pair["identical_outputs"] = warm == fresh
            pair["files_compared"] = len(warm)
            pair["differing"] = sorted(k for k in warm.keys() | fresh.keys()
                                       if warm.get(k) != fresh.get(k))[:10]
            pair["ratio"] = pair["fresh"]["wall"] / pair["warm"]["wall"]
            out["pairs"].append(pair)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    rows = []
    for i, pair in enumerate(out["pairs"], 1):
        for mode in ("fresh", "warm"):
            m = pair[mode]
            rows.append([i, "new kernel per area (--fresh-kernels)" if mode == "fresh"
                         else "warm kernels (default)", f"{m['wall']:.1f}",
                         f"{m['wall'] / n:.2f}", f"{m['cpu'] / m['wall']:.2f}",
                         f"{m['tree_peak_mb'] or 0:.0f}", m["summary"],
                         _yes(m["wall"] < FANOUT_TARGET) if mode == "warm" and n >= 153
                         else "-"])
    ratios = [p["ratio"] for p in out["pairs"]]
    out["ratio_median"] = _median(ratios)
    out["warm_median"] = _median([p["warm"]["wall"] for p in out["pairs"]])
    out["fresh_median"] = _median([p["fresh"]["wall"] for p in out["pairs"]])
    identical = all(p["identical_outputs"] for p in out["pairs"])
    _print_table(
        f"Fan-out: area_profile for {n} areas, --jobs {args.jobs} (seconds)",
        ["pair", "kernels", "wall s", "s/area", "cores busy", "peak MB", "notebooks",
         f"< {FANOUT_TARGET:g} s"], rows,
        f"Speed-up (new kernel per area ÷ warm), pair by pair: "
        f"{', '.join(f'{r:.2f}x' for r in ratios)}; median {out['ratio_median']:.2f}x.\n"
        f"Figures, tables and output records of the two runs byte-identical: "
        f"{_yes(identical)} ({out['pairs'][0]['files_compared']} files)"
        + ("" if identical else f"; first differing: {out['pairs'][0]['differing']}")
        + f"\nThe figures alone: {out['render_cpu_per_area']:.2f} CPU-s per area (the profile "
        f"table, spine chart, PNG and SVG{' and slide exports' if args.fanout_slides else ''} "
        f"in one process, median of "
        f"{len(floor['cpu_seconds'])} areas), so {out['render_floor']:.1f} s for {n} areas on "
        f"{args.jobs} cores at best, against the warm run's "
        f"{out['warm_median']:.1f} s" + (f" and the {FANOUT_TARGET:g} s target" if n >= 153
                                          else ""))
    return out


# =============================================================================================
# Main
# =============================================================================================
def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one repeat, the default and 16 workers only, 4 areas "
                        "(16 in the fan-out)")
    parser.add_argument("--only", choices=["pull", "pullcost", "reports", "scale", "fanout"],
                        action="append",
                        help="run only this benchmark (repeatable)")
    parser.add_argument("--areas", type=int, default=8,
                        help="upper-tier areas in the scale fan-out (default 8)")
    parser.add_argument("--all", action="store_true",
                        help="scale over all 153 upper-tier areas (about 10 minutes on 2 cores)")
    parser.add_argument("--repeat", type=int, default=3, help="cold runs per configuration")
    parser.add_argument("--fanout-areas", type=int, default=153,
                        help="areas in the warm-vs-fresh fan-out (default 153: all upper-tier)")
    parser.add_argument("--fanout-slides", action="store_true",
                        help="fan-out: also export each figure for slides (300-dpi PNG, PDF), "
                             "as a config entry without 'slides: false' does")
    parser.add_argument("--fanout-repeat", type=int, default=1,
                        help="warm/fresh pairs in the fan-out benchmark (default 1)")
    parser.add_argument("--workers", default="8,16",
                        help="max_workers values to try besides the default (comma-separated)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once")
    parser.add_argument("--executor", choices=["process", "dask"], default="process",
                        help="how the scale fan-out runs its notebooks (dask: a LocalCluster "
                             "of --jobs workers, or CW_POPHEALTH_DASK_SCHEDULER)")
    parser.add_argument("--against", metavar="SRC",
                        help="pullcost: also measure the package in this src folder (e.g. "
                             "another checkout's src/), interleaved with this one")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    parser.add_argument("--json", type=Path, help="where to save the results JSON")
    parser.add_argument("--_serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--_worker", help=argparse.SUPPRESS)
    parser.add_argument("--_measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.workers = [int(w) for w in str(args.workers).split(",") if w.strip()]
    args.models = ["zero", "api", "fixed", "busy"]
    args.warm_repeat = 5
    if args.quick:
        # Every server model still runs, so each ratio is reported under each model.
        args.repeat = 1
        args.workers = [16]
        args.areas = min(args.areas, 4)
        args.fanout_areas = min(args.fanout_areas, 16)
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args._serve:
        serve()
        return 0
    if args._worker:
        print(json.dumps(worker(json.loads(args._worker))))
        return 0
    if args._measure:
        spec = json.loads(args._measure)
        print(json.dumps(measure(spec["argv"], spec["env"])))
        return 0
    only = args.only or ["pull", "pullcost", "reports", "scale", "fanout"]
    from cw_pophealth import __version__

    started = time.perf_counter()
    results: dict = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "cw_pophealth": __version__, "args": {k: v for k, v in vars(args).items()
                                             if not k.startswith("_") and k != "json"},
    }
    results["machine"]["load_average_at_start"] = os.getloadavg()
    print(f"cw-pophealth {__version__} benchmarks, {results['date']}, {os.cpu_count()} CPU(s), "
          f"Python {platform.python_version()}, load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    used = set(args.models if "pull" in only else []) | ({"api"} if "scale" in only else set())
    for name in MODELS:
        if name in used:
            print(f"  server model {name!r}: {MODELS[name].describe()} - {MODELS[name].note}")
    if {"pull", "pullcost", "scale"} & set(only):
        with FakeServer() as server:
            if "pull" in only:
                results["pull"] = bench_pull(args, server)
            if "pullcost" in only:
                results["pullcost"] = bench_pullcost(args, server)
            if "scale" in only:
                results["scale"] = bench_scale(args, server)
    if "reports" in only:
        results["reports"] = bench_reports(args)
    if "fanout" in only:
        results["fanout"] = bench_fanout(args)
    results["seconds"] = time.perf_counter() - started
    path = args.json or RESULTS_DIR / f"bench-{_dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nDone in {results['seconds']:.0f} s; results saved to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
