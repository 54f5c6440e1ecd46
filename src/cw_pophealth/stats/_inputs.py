"""Input checks and shape handling shared by the statistical methods.

Every method accepts scalars, NumPy arrays or pandas Series. Series passed together must share
one index (values are matched by position) and the result keeps it; scalars give scalars.
Invalid inputs raise :class:`~cw_pophealth.errors.ParameterError` with a message that names the
argument and says what to pass instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from cw_pophealth.catalogue import (
    POLARITY_HIGH_IS_GOOD,
    POLARITY_LOW_IS_GOOD,
    POLARITY_NO_JUDGEMENT,
    POLARITY_NOT_APPLICABLE,
)
from cw_pophealth.errors import ParameterError

VALID_POLARITIES = (
    POLARITY_HIGH_IS_GOOD,
    POLARITY_LOW_IS_GOOD,
    POLARITY_NO_JUDGEMENT,
    POLARITY_NOT_APPLICABLE,
)



def check_confidence(confidence: Any, name: str = "confidence") -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float, np.floating)):
        raise ParameterError(
            f"{name} must be a number strictly between 0 and 1 (e.g. 0.95 or 0.998); "
            f"got {confidence!r}."
        )
    c = float(confidence)
    if not (0.0 < c < 1.0):
        raise ParameterError(
            f"{name} must be strictly between 0 and 1 (e.g. 0.95 for 95%, 0.998 for 99.8%); "
            f"got {confidence!r}. Pass a fraction, not a percentage."
        )
    return c


def check_positive_number(x: Any, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ParameterError(f"{name} must be a positive number; got {x!r}.")
    v = float(x)
    if not (v > 0 and math.isfinite(v)):
        raise ParameterError(f"{name} must be a positive, finite number; got {x!r}.")
    return v


def check_counts(x: np.ndarray) -> None:
    """Event counts must not be negative (missing values pass and give NaN results)."""
    with np.errstate(invalid="ignore"):
        if np.any(x < 0):
            raise ParameterError("count must be >= 0 (a number of events); got a negative value.")


def check_denominators(n: np.ndarray) -> None:
    """Denominators must be positive (missing values pass and give NaN results)."""
    with np.errstate(invalid="ignore"):
        if np.any(n <= 0):
            raise ParameterError("denominator must be > 0; got zero or a negative value.")


def as_float(x: Any, name: str) -> np.ndarray:
    """Turn a scalar, list, array or Series into a float array (NaN for missing)."""
    if isinstance(x, (pd.Series, pd.Index)):
        try:
            return x.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"{name} must be numeric; got dtype {x.dtype}.") from exc
    if x is None:
        return np.asarray(np.nan)
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name} must be numeric (a number, array or Series).") from exc


def series_template(*inputs: Any) -> pd.Series | None:
    """Return the first Series among ``inputs`` after checking that all Series share an index."""
    series = [x for x in inputs if isinstance(x, pd.Series)]
    if not series:
        return None
    first = series[0]
    for other in series[1:]:
        if not first.index.equals(other.index):
            raise ParameterError(
                "The pandas Series passed together must share one index (values are matched "
                "by position). Align them first, e.g. with DataFrame columns or .reindex()."
            )
    return first


def broadcast(names: Sequence[str], values: Sequence[Any]) -> list[np.ndarray]:
    arrays = [as_float(v, n) for n, v in zip(names, values, strict=True)]
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError as exc:
        shapes = ", ".join(f"{n}{a.shape}" for n, a in zip(names, arrays, strict=True))
        raise ParameterError(
            f"Inputs have incompatible lengths: {shapes}. Pass equal-length arrays or scalars."
        ) from exc


def wrap(result: np.ndarray, template: pd.Series | None, *, name: str | None = None) -> Any:
    """Give ``result`` the shape of the inputs: float/str for scalars, Series if one came in."""
    if template is not None:
        return pd.Series(result, index=template.index, name=name)
    if np.ndim(result) == 0:
        item = np.asarray(result).item()
        return float(item) if isinstance(item, (float, int, np.floating)) else item
    return result


def check_polarity(polarity: Any) -> np.ndarray:
    pol = as_float(polarity, "polarity")
    flat = np.ravel(pol)
    bad = sorted({p for p in flat.tolist() if p not in VALID_POLARITIES or math.isnan(p)})
    if bad:
        raise ParameterError(
            "polarity must be a Fingertips polarity id: 1 (high is good), 0 (low is good), "
            f"99 (no judgement, BOB) or -1 (not applicable); got {bad}."
        )
    return pol


def check_ordered(lower: np.ndarray, upper: np.ndarray, lname: str, uname: str) -> None:
    with np.errstate(invalid="ignore"):
        wrong = lower > upper
    if np.any(wrong):
        i = int(np.flatnonzero(np.ravel(wrong))[0])
        raise ParameterError(
            f"{lname} is above {uname} (first at position {i}: "
            f"{np.ravel(lower)[i]} > {np.ravel(upper)[i]}). Check the columns are not swapped."
        )


def normal_quantile(confidence: float, name: str = "confidence") -> float:
    """Two-sided normal quantile for a checked level, via :func:`scipy.special.ndtri`.

    The same number as :func:`cw_pophealth.stats.intervals.z_value` (1.959964 for 95%) without
    importing :mod:`scipy.stats`, which the newer modules avoid for start-up time.
    """
    return float(ndtri(0.5 + check_confidence(confidence, name) / 2.0))


def as_float_1d(x: Any, name: str) -> np.ndarray:
    """A list, array or Series as a 1-D float array (NaN for missing); scalars become length 1."""
    arr = as_float(x, name)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ParameterError(f"{name} must be one-dimensional; got shape {arr.shape}.")
    return arr


def same_length(arrays: dict[str, np.ndarray]) -> int:
    """Check that the named 1-D arrays have one length and return it."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k} has {n}" for k, n in lengths.items())
        raise ParameterError(f"Inputs must have the same number of entries: {shown}.")
    return next(iter(lengths.values()))


def check_whole_number(x: Any, name: str, minimum: int) -> int:
    """``x`` as an int >= ``minimum``; bools and non-integral floats are refused."""
    ok = not isinstance(x, bool) and isinstance(x, (int, np.integer, float, np.floating))
    if ok and isinstance(x, (float, np.floating)):
        ok = math.isfinite(x) and float(x).is_integer()
    if not ok or int(x) < minimum:
        raise ParameterError(f"{name} must be a whole number >= {minimum}; got {x!r}.")
    return int(x)


def check_flag(x: Any, name: str) -> bool:
    """``x`` as a bool; anything but True/False is refused (``"yes"`` is not a flag)."""
    if not isinstance(x, (bool, np.bool_)):
        raise ParameterError(f"{name} must be True or False; got {x!r}.")
    return bool(x)
