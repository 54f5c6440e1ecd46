"""What is derived from a whole table, computed once and reused while the table is unchanged.

The analysis functions are called many times on one table: once per area in a fan-out run in
a warm kernel, and several times per area within one report. What they derive from the whole
table (area names, each indicator's rows, the latest period, the peers of a spine chart) does
not depend on the area, so it is kept and reused.

Two rules keep this safe for an analyst who edits a table in a notebook:

* **A changed table is a new table.** Each cached table is remembered with a signature: the
  identity of its index and of each column's array, and its column names. Under pandas'
  copy-on-write (the default from pandas 3), every edit of a table whose arrays are shared (a
  cell, a column, a sort, a new or dropped column, a new index) gives it new arrays; the cache
  keeps a shallow copy of each table so that its arrays are always shared. So an edit changes
  the signature, and nothing computed before the edit is used after it.
* **Loaded copies share.** :func:`cw_pophealth.snapshot.load_indicators` keeps the table it
  read and hands out a new shallow copy each time (so an edit never reaches the next caller).
  :func:`share` lets those copies use the cache of the table they were copied from, for as long
  as they are unchanged.

Without copy-on-write (pandas 2 with ``mode.copy_on_write`` off) an edit can keep a table's
arrays, so nothing is cached: every call computes afresh.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import pandas as pd

__all__ = ["copy_on_write", "memo", "share", "signature"]

T = TypeVar("T")


@dataclass
class _Entry:
    ref: weakref.ReferenceType
    signature: tuple
    #: A shallow copy of the table, never used: while it lives, the table's arrays have a
    #: reference, so copy-on-write gives any edit of the table new arrays (a new signature),
    #: even for a table nothing else refers to. It shares the table's data (no memory).
    guard: pd.DataFrame
    values: dict[Hashable, Any] = field(default_factory=dict)


_ENTRIES: dict[int, _Entry] = {}


def copy_on_write() -> bool:
    """True when pandas gives an edited table new arrays (always from pandas 3)."""
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    return bool(pd.get_option("mode.copy_on_write") is True)  # pragma: no cover - pandas 2


def signature(table: pd.DataFrame) -> tuple:
    """The identity of ``table``'s index and column arrays, and its column names."""
    arrays = table._mgr.arrays  # the stored arrays themselves (views are not re-made)
    return id(table.index), tuple(map(id, arrays)), tuple(table.columns)


def _entry(table: pd.DataFrame) -> _Entry:
    """``table``'s cache, a new one if it is new or has changed since."""
    ident, sig = id(table), signature(table)
    entry = _ENTRIES.get(ident)
    if entry is None or entry.ref() is not table or entry.signature != sig:
        entry = _Entry(weakref.ref(table, functools.partial(_forget, ident)), sig,
                       table.copy(deep=False))
        _ENTRIES[ident] = entry
    return entry


def _forget(ident: int, ref: weakref.ReferenceType) -> None:
    """Drop a table's cache once the table is gone (unless its id is already reused)."""
    entry = _ENTRIES.get(ident)
    if entry is not None and entry.ref is ref:
        del _ENTRIES[ident]


def memo(table: pd.DataFrame, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, computed once per unchanged ``table`` and ``key``.

    Examples
    --------
    >>> calls = []
    >>> t = pd.DataFrame({"x": [1, 2]})
    >>> memo(t, "total", lambda: calls.append(1) or int(t["x"].sum()))
    3
    >>> memo(t, "total", lambda: calls.append(1) or int(t["x"].sum()))
    3
    >>> t.loc[0, "x"] = 10  # an edit: the next call computes again
    >>> memo(t, "total", lambda: calls.append(1) or int(t["x"].sum())), len(calls)
    (12, 2)
    """
    if not copy_on_write():  # pragma: no cover - pandas 2 without copy-on-write
        return compute()
    values = _entry(table).values
    if key not in values:
        values[key] = compute()
    value = values[key]
    if isinstance(value, (pd.DataFrame, pd.Series)):
        value = value.copy(deep=False)  # a caller's edit reaches neither the cache nor the table
    return cast(T, value)


def share(copy: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    """Let ``copy``, a fresh unchanged copy of ``source``, use ``source``'s cache; return it.

    Only for a copy just made (its content must equal ``source``'s); once ``copy`` is edited it
    has a cache of its own.
    """
    if copy_on_write():
        _entry(copy).values = _entry(source).values
    return copy
