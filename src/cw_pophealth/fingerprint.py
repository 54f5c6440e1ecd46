"""Fingerprints: SHA-256 digests of bytes, files, descriptions and this package's own code.

Derived outputs (parsed-response frames, the pulled table's stamp, report stamps) are named or
stamped by what they were made from, so that a change in any input, including the code that
made them, rebuilds them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["code_fingerprint", "digest_of", "file_sha256", "package_source_sha256",
           "sha256_bytes"]


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``.

    Examples
    --------
    >>> sha256_bytes(b"")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def digest_of(description: Mapping[str, Any]) -> str:
    """SHA-256 of a JSON-serialisable description, keys sorted (the name of a derived entry).

    Examples
    --------
    >>> digest_of({"a": 1, "b": [1, 2]}) == digest_of({"b": [1, 2], "a": 1})
    True
    """
    text = json.dumps(description, sort_keys=True, separators=(",", ":"), default=str)
    return sha256_bytes(text.encode("utf-8"))


def package_source_sha256() -> str:
    """SHA-256 over this package's ``.py`` files (relative names and contents).

    Read afresh at each call (2 ms): in an editable install the source can change under a
    running session, and a warm kernel started before the change must not run the next report
    (:mod:`cw_pophealth.runner.kernels`). :func:`code_fingerprint` keeps the first value.
    """
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root).as_posix()).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 of the code that turns source files into tidy rows: this package's source
    (:func:`package_source_sha256`) and version, plus the installed pandas and pyarrow versions
    (read from their metadata, without importing them)."""
    from cw_pophealth import __version__

    versions = [__version__, package_source_sha256()]
    for dist in ("pandas", "pyarrow"):
        try:
            versions.append(metadata.version(dist))
        except metadata.PackageNotFoundError:
            versions.append("absent")
    return sha256_bytes("|".join(versions).encode())
