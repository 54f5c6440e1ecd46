"""Atomic file writes: a file is either wholly replaced or left as it was.

Every write goes to a temporary file in the target's folder, which is then renamed over the
target with :func:`os.replace` (atomic on POSIX and Windows). A failure at any point removes the
temporary file and leaves the previous file untouched. ``durable=True`` also flushes the data and
the folder entry to disk (:func:`os.fsync`), for files that are records rather than caches (the
raw API cache); derived and rebuildable files skip it.

For many files at once (a batch of cache entries), :func:`stage` writes each to a temporary file
without flushing it, :func:`sync` then makes all of them durable in one step (one ``syncfs`` of
the filesystem on Linux, otherwise an fsync per file and folder), and the caller renames them
into place: one flush per batch instead of two per file.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = ["fsync_dir", "stage", "sync", "write_bytes", "write_json", "write_text", "write_via"]


def fsync_dir(folder: str | os.PathLike) -> None:
    """Make renames in ``folder`` durable (POSIX); a no-op where folders cannot be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _libc_syncfs() -> Callable[[int], int] | None:
    """``syncfs(2)`` (Linux): flush one filesystem, found from any file descriptor on it."""
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError, AttributeError):
        func = ctypes.CDLL(None, use_errno=True).syncfs
        func.argtypes = [ctypes.c_int]
        return func
    return None


_SYNCFS = _libc_syncfs()


def _syncfs(folder: Path) -> bool:
    """Flush the filesystem holding ``folder``; False where that cannot be done."""
    if _SYNCFS is None:
        return False
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        return _SYNCFS(fd) == 0
    finally:
        os.close(fd)


def sync(paths: Iterable[str | os.PathLike]) -> None:
    """Make the content of every file in ``paths`` and their folder entries durable.

    One ``syncfs`` per filesystem on Linux (a batch on one disk is one call); elsewhere, or if
    that fails, an fsync of every file and then of every folder. Used between writing a batch
    of temporary files and renaming them into place, so that no renamed file can be torn.
    """
    files = [Path(p) for p in paths]
    folders = {p.parent for p in files}
    devices: dict[int, Path] = {}
    for folder in folders:
        with contextlib.suppress(OSError):
            devices.setdefault(os.stat(folder).st_dev, folder)
    if devices and all(_syncfs(folder) for folder in devices.values()):
        return
    for path in files:
        with contextlib.suppress(FileNotFoundError), open(path, "rb") as handle:
            os.fsync(handle.fileno())
    for folder in sorted(folders):
        fsync_dir(folder)


def _temp_beside(path: Path) -> tuple[int, str]:
    """A new temporary file in ``path``'s folder (created if needed): its descriptor and name.

    Raises
    ------
    OSError
        Naming the folder (:func:`_naming`).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise _naming(exc, path.parent) from exc


def stage(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to a new temporary file beside ``path``, not flushed, and return its path.

    Rename it over ``path`` with :func:`os.replace` once :func:`sync` has flushed it (or delete
    it); until then ``path`` is untouched.
    """
    path = Path(path)
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise _naming(exc, path) from exc
    return Path(tmp)


def write_via(path: str | os.PathLike, write: Callable[[str], object], *,
              durable: bool = False) -> Path:
    """Call ``write(tmp_path)`` to fill a temporary file, then rename it to ``path``.

    For writers that want a file name rather than bytes (``DataFrame.to_parquet``,
    ``Figure.savefig``).

    Parameters
    ----------
    path : path-like
        The target; its folder is created if needed.
    write : callable
        Receives the temporary file's path (a ``str``) and writes the whole content to it.
    durable : bool, default False
        fsync the file and its folder before returning.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> _ = write_via(target, lambda tmp: pathlib.Path(tmp).write_text("done"))
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    fd, tmp = _temp_beside(path)
    os.close(fd)
    try:
        write(tmp)
        if durable:
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise _naming(exc, path) from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if durable:
        fsync_dir(path.parent)
    return path


def _naming(exc: OSError, path: Path) -> OSError:
    """``exc`` with the path it concerns, for errors raised without one (pyarrow's, say)."""
    if exc.filename is not None:
        return exc
    return OSError(exc.errno, exc.strerror or str(exc), str(path))


def write_bytes(path: str | os.PathLike, data: bytes, *, durable: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (see the module docstring).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "body.bin"
    >>> _ = write_bytes(target, b"abc")
    >>> target.read_bytes()
    b'abc'
    """

    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            handle.write(data)

    return write_via(path, write, durable=durable)


def write_text(path: str | os.PathLike, text: str, *, durable: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"), durable=durable)


def write_json(path: str | os.PathLike, obj: Any, *, durable: bool = False,
               sort_keys: bool = False) -> Path:
    """Write ``obj`` as indented JSON (UTF-8, trailing newline) to ``path`` atomically.

    Values JSON cannot represent are written with :func:`str` (paths, timestamps).

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "state.json"
    >>> _ = write_json(target, {"a": 1})
    >>> json.loads(target.read_text())
    {'a': 1}
    """
    text = json.dumps(obj, indent=2, default=str, sort_keys=sort_keys) + "\n"
    return write_text(path, text, durable=durable)
