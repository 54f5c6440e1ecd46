"""Which Arrow memory pool this package's work allocates from.

Parsed CSVs and, under pandas 3, every text column of the tidy table live in Arrow memory.
pyarrow's default pool on Linux is mimalloc, which keeps the memory a thread has freed for that
thread: a pull parses its responses on several threads, then builds the table on the main
thread, so the high-water mark holds both. jemalloc, which pyarrow's Linux and macOS wheels also
ship, returns freed memory to every thread (and, after about a second, to the system). Measured
on the 2-vCPU project VM (``benchmarks/README.md``, sections 1b and 3b): what a cold pull of the
core indicators adds to the process's peak resident memory fell from 171 MB to 125 MB, at the
same speed; the peak of a 16-area fan-out's process tree (runner and kernels), from 1.51 GB to
1.38 GB; the outputs are the same byte for byte.

The user's choice wins: with ``ARROW_DEFAULT_MEMORY_POOL`` set (``jemalloc``, ``mimalloc`` or
``system``, as Arrow documents), nothing here changes the pool. Where pyarrow was built without
jemalloc (e.g. on Windows), Arrow's default is kept.
"""

from __future__ import annotations

import functools
import logging
import os

import pyarrow as pa

logger = logging.getLogger(__name__)

__all__ = ["POOL_VARIABLE", "lean_pool", "lean_pool_environment", "use_lean_pool"]

#: The environment variable with which Arrow lets a user choose its default pool.
POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


@functools.cache
def _jemalloc() -> pa.MemoryPool | None:
    """pyarrow's jemalloc pool, or ``None`` if this pyarrow was built without it."""
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:
        return None


def _jemalloc_to_choose() -> pa.MemoryPool | None:
    """The jemalloc pool, unless the user chose a pool or this pyarrow lacks jemalloc."""
    return None if os.environ.get(POOL_VARIABLE) else _jemalloc()


def lean_pool() -> pa.MemoryPool:
    """The pool for this package's Arrow allocations.

    Returns
    -------
    pyarrow.MemoryPool
        Arrow's default pool when ``ARROW_DEFAULT_MEMORY_POOL`` is set or jemalloc is not
        built in; otherwise jemalloc.

    Examples
    --------
    >>> lean_pool().backend_name in {"jemalloc", "mimalloc", "system"}
    True
    """
    return _jemalloc_to_choose() or pa.default_memory_pool()


def use_lean_pool() -> str:
    """Make :func:`lean_pool` this process's default Arrow pool, for processes this package
    owns (the ``cw-pophealth`` command); a library call never changes it.

    Returns
    -------
    str
        The backend now in use (``"jemalloc"``, or Arrow's default where the user chose one or
        jemalloc is not built in).
    """
    pool = lean_pool()
    if pool.backend_name != pa.default_memory_pool().backend_name:
        pa.set_memory_pool(pool)
    logger.debug("Arrow memory pool: %s", pool.backend_name)
    return pool.backend_name


def lean_pool_environment() -> dict[str, str]:
    """What a child process this package starts (a notebook's kernel) needs in its
    environment to use :func:`lean_pool`: ``{"ARROW_DEFAULT_MEMORY_POOL": "jemalloc"}``, or
    nothing when the user chose a pool or jemalloc is not built in.

    Examples
    --------
    >>> lean_pool_environment() in ({}, {"ARROW_DEFAULT_MEMORY_POOL": "jemalloc"})
    True
    """
    pool = _jemalloc_to_choose()
    return {} if pool is None else {POOL_VARIABLE: pool.backend_name}
