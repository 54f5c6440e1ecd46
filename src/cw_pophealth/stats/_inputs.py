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
