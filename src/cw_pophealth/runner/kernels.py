"""Warm kernels: one Jupyter kernel per worker thread, reused for every notebook it runs.

Starting a kernel and importing pandas, matplotlib and this package takes seconds; the work of
one area profile takes well under a second. So a worker (a process of the pool, or a thread of
a Dask worker) keeps one kernel and runs notebook after notebook in it. Between notebooks the
kernel's namespace is reset to a new session (variables gone, execution count back to 1, every
figure closed), while imported modules stay loaded: each notebook runs as in a fresh kernel,
only faster.

The settings variables (``CW_POPHEALTH_*``, ``FINGERTIPS_*``: read when a function is called,
never at import) are set in the kernel before each notebook. Any other difference in the
environment, or a change in the package's source, starts a new kernel, so a kernel never runs
a notebook with code or import-time settings other than a fresh one would have.

Nothing here changes the state of the process that drives the kernels: each kernel gets its
environment when it starts and changes its own working folder, so several threads can each
drive their own kernel at once.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["KERNEL_NAME", "WarmKernel", "discard_warm_kernel", "kernel_env",
           "reset_in_kernel", "shutdown_warm_kernels", "warm_kernel"]

KERNEL_NAME = "python3"
#: Run in the kernel before each notebook: into the new working folder first (the last one may
#: be gone, and IPython's reset reads the working folder), a new session, then
#: :func:`reset_in_kernel`.
_RESET = ("import os as _cw_os\n_cw_os.chdir({cwd!r})\ndel _cw_os\n"
          "get_ipython().reset(new_session=True, aggressive=False)\n"
          "import cw_pophealth.runner.kernels as _cw_kernels\n"
          "_cw_kernels.reset_in_kernel({cwd!r}, {settings!r})\n"
          "del _cw_kernels\n")
#: Environment variables read only when a function is called: set at each reset. (pytest
#: sets PYTEST_CURRENT_TEST anew for every test.)
SETTINGS_PREFIXES = ("CW_POPHEALTH_", "FINGERTIPS_", "PYTEST_CURRENT_TEST")
_STARTUP_TIMEOUT = 120
#: Most leftover output messages dropped before a notebook (nbclient skips any others).
_DRAIN_LIMIT = 10_000
_first_filters: list | None = None
_resets = 0


def _is_setting(name: str) -> bool:
    return name.startswith(SETTINGS_PREFIXES)


def reset_in_kernel(cwd: str, settings: Mapping[str, str]) -> None:
    """Inside a warm kernel: undo what the last notebook changed outside its namespace.

    Every figure is closed, the warning filters are put back as they were before the first
    notebook (and warnings already shown will show again, as in a new kernel), the settings
    variables become exactly ``settings`` and the working folder becomes ``cwd``. This runs in
    the kernel's own process, so it touches no other notebook.

    After the first notebook, once its garbage is collected, what is left (the modules it
    imported, the table it read) is frozen out of the garbage collector's sight
    (:func:`gc.freeze`): IPython's reset runs a full collection, which would otherwise scan
    pandas and matplotlib each time (0.17 s, against 0.05 s frozen).
    """
    global _first_filters, _resets
    import gc
    import warnings

    import matplotlib.pyplot as plt

    plt.close("all")
    if _first_filters is None:
        _first_filters = list(warnings.filters)
    warnings.filters[:] = _first_filters  # type: ignore[index]
    warnings._filters_mutated()  # type: ignore[attr-defined]  # forget "already shown"
    for name in [n for n in os.environ if _is_setting(n) and n not in settings]:
        del os.environ[name]
    os.environ.update(settings)
    os.chdir(cwd)
    _resets += 1
    if _resets == 2:
        gc.collect()
        gc.freeze()


def _manager_class() -> type:
    """A kernel manager whose notebook client stays connected from notebook to notebook.

    nbclient asks the manager for a new client for every notebook and waits until it is ready.
    jupyter_client's readiness check ends with a 0.2 s wait for the new client's output channel
    to go quiet (0.21 s measured), in which a warm kernel sits idle before each notebook. Here
    every notebook in one kernel gets the same client (an asynchronous one, as nbclient
    needs): after the first full readiness check, one ``kernel_info`` round trip says the
    kernel is there, and output left over from the reset between notebooks is dropped.
    It is stopped with the kernel.
    """
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.manager import KernelManager

    class _Client(AsyncKernelClient):
        _cw_ready = False

        def start_channels(self, *args, **kwargs) -> None:
            if not self.channels_running:  # the next notebook's start finds them running
                super().start_channels(*args, **kwargs)

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            if not self._cw_ready:
                await AsyncKernelClient.wait_for_ready(self, timeout=timeout)
                self._cw_ready = True
                return
            await _quick_ready(self, _STARTUP_TIMEOUT if timeout is None else timeout)

    class _Manager(KernelManager):
        def __init__(self, **kwargs: object) -> None:
            kwargs.setdefault("client_factory", _Client)
            super().__init__(**kwargs)
            self._cw_client: Any = None  # a _Client, made by client_factory

        def client(self, **kwargs: Any) -> Any:
            if self._cw_client is None:
                self._cw_client = super().client(**kwargs)
            return self._cw_client

        def close_clients(self) -> None:
            """Stop the notebooks' client (when the kernel stops)."""
            if self._cw_client is not None:
                self._cw_client.stop_channels()
                self._cw_client = None

    return _Manager


async def _quick_ready(client, timeout: float) -> None:
    """Readiness of a client that has been connected since an earlier notebook: drop what is
    waiting on its output channel, then one ``kernel_info`` request answered within
    ``timeout`` seconds.

    Raises
    ------
    RuntimeError
        If the kernel does not answer in time (it is then replaced).
    """
    import time
    from queue import Empty

    for _ in range(_DRAIN_LIMIT):  # bounded: a thread left printing must not hold us here
        try:
            await client.iopub_channel.get_msg(timeout=0)
        except Empty:
            break
    msg_id = client.kernel_info()
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            reply = await client.shell_channel.get_msg(timeout=left)
        except Empty:
            break
        if reply.get("parent_header", {}).get("msg_id") == msg_id:
            return
    raise RuntimeError(f"the warm kernel did not answer kernel_info within {timeout:g} s")


class WarmKernel:
    """A running kernel with its manager and a client for resetting it between notebooks.

    Parameters
    ----------
    env : mapping
        The kernel's whole environment.
    """

    def __init__(self, env: Mapping[str, str]):
        # Unix sockets in a private folder, not loopback TCP: nothing else on the machine can
        # connect, and the kernel has no "running over TCP without encryption" to warn about.
        # (A socket path has at most 107 bytes: with a very long TMPDIR, loopback TCP it is.)
        self._sockets = tempfile.mkdtemp(prefix="cw-pophealth-kernel-")
        ipc = {"transport": "ipc", "ip": os.path.join(self._sockets, "k")}
        self.manager = _manager_class()(kernel_name=KERNEL_NAME,
                                        **(ipc if len(self._sockets) < 90 else {}))
        # Over loopback TCP the kernel warns, on the runner's stderr, that it runs "without
        # encryption" once per kernel; only loopback is used, so that line is noise here.
        quiet = [] if len(self._sockets) < 90 else ["--IPKernelApp.log_level=ERROR"]
        self.manager.start_kernel(env=dict(env), cwd=tempfile.gettempdir(),
                                  extra_arguments=quiet)
        self.client = self.manager.blocking_client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=_STARTUP_TIMEOUT)

    def alive(self) -> bool:
        """True while the kernel process runs."""
        return bool(self.manager.is_alive())

    def reset(self, cwd: str, settings: Mapping[str, str]) -> None:
        """Forget everything the last notebook defined (imports stay loaded); work in ``cwd``
        with the settings variables ``settings``."""
        code = _RESET.format(cwd=str(cwd), settings=dict(settings))
        reply = self.client.execute_interactive(code, silent=True,
                                                store_history=False, timeout=_STARTUP_TIMEOUT)
        if reply["content"].get("status") != "ok":
            raise RuntimeError(f"could not reset the kernel: {reply['content']}")

    def shutdown(self) -> None:
        """Stop the kernel (quietly, whatever state it is in)."""
        try:
            self.manager.close_clients()
            self.client.stop_channels()
            self.manager.shutdown_kernel(now=True)
        except Exception as exc:  # noqa: BLE001 - a kernel that is already gone is fine
            logger.debug("Kernel shutdown: %s", exc)
        shutil.rmtree(self._sockets, ignore_errors=True)


_local = threading.local()
_all: list[WarmKernel] = []
_all_lock = threading.Lock()


def _split(env: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """``env`` as (what the kernel must start with, the settings set at each reset)."""
    fixed = {k: v for k, v in env.items() if not _is_setting(k)}
    return fixed, {k: v for k, v in env.items() if _is_setting(k)}


def warm_kernel(env: Mapping[str, str], cwd: str, *, code: str = "") -> WarmKernel:
    """This thread's kernel, reset to a new session working in ``cwd`` with environment
    ``env``.

    The thread keeps one kernel. A new one is started if there is none, it has died, or it was
    started with another environment (settings variables aside) or another package source
    (``code``, its fingerprint); the old one is then stopped.

    Raises
    ------
    RuntimeError
        If the kernel cannot be started or reset.
    """
    fixed, settings = _split(env)
    key = (tuple(sorted(fixed.items())), code)
    kernel = getattr(_local, "kernel", None)
    if kernel is not None and (_local.key != key or not kernel.alive()):
        discard_warm_kernel()
        kernel = None
    if kernel is None:
        kernel = WarmKernel(env)
        _local.kernel, _local.key = kernel, key
        with _all_lock:
            _all.append(kernel)
        logger.debug("Started a warm kernel in thread %s", threading.get_ident())
    kernel.reset(cwd, settings)
    return kernel


def discard_warm_kernel() -> None:
    """Stop this thread's kernel (after a notebook failed or timed out in it)."""
    kernel = _local.__dict__.pop("kernel", None)
    _local.__dict__.pop("key", None)
    if kernel is not None:
        with _all_lock:
            _all[:] = [k for k in _all if k is not kernel]
        kernel.shutdown()


def shutdown_warm_kernels(*, all_threads: bool = False) -> None:
    """Stop this thread's warm kernel, or every one this process started
    (``all_threads=True``, as at exit)."""
    discard_warm_kernel()
    if all_threads:
        with _all_lock:
            stopping, _all[:] = list(_all), []
        for kernel in stopping:
            kernel.shutdown()


atexit.register(shutdown_warm_kernels, all_threads=True)


def kernel_env(overrides: Mapping[str, str]) -> dict[str, str]:
    """The environment of a kernel: this process's, with the run's settings on top, and
    Arrow's lean memory pool unless the environment chose one
    (:func:`~cw_pophealth.arrow_memory.lean_pool_environment`)."""
    from cw_pophealth.arrow_memory import lean_pool_environment  # imports pyarrow: only here

    return {**lean_pool_environment(), **os.environ, **overrides}
