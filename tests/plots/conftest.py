"""Fixtures for the plot tests: small SYNTHETIC analysis tables, and every figure closed after
each test.
"""

from __future__ import annotations

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from helpers import COV, ENG, WARKS, WM


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def won() -> pd.DataFrame:
    """A window_of_need-shaped frame: one complete area, one without LE, one without HLE."""
    base = {"sex": "Male", "period": "2021 - 23", "period_start": pd.Timestamp("2021-01-01"),
            "le_lower": np.nan, "le_upper": np.nan, "gap_lower": np.nan, "gap_upper": np.nan,
            "le_source_ref": "trafford_themes/life_expectancy.csv",
            "hle_source_ref": "ons_els/healthy-life-expectancy.csv",
            "le_source": "trafford_themes: ... (2026-05-13); values rounded to 1 dp upstream",
            "hle_source": "ons_els: ... (2026-06-26); ONS source date 19/02/2026", "caveat": ""}
    rows = [
        {**base, "area_code": COV, "area_name": "Coventry", "role": "focus", "le": 77.3,
         "hle": 58.5, "hle_lower": 55.7, "hle_upper": 61.2, "gap": 18.8, "status": "OK"},
        {**base, "area_code": WARKS, "area_name": "Warwickshire", "role": "focus",
         "le": np.nan, "hle": 62.1, "hle_lower": 59.8, "hle_upper": 64.4, "gap": np.nan,
         "status": "LE not in data"},
        {**base, "area_code": "E07000218", "area_name": "North Warwickshire",
         "role": "district of Warwickshire", "le": 78.2, "hle": np.nan, "hle_lower": np.nan,
         "hle_upper": np.nan, "gap": np.nan, "status": "HLE not in data"},
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def bench() -> pd.DataFrame:
    """A benchmark_table-shaped frame for one indicator."""
    base = {"indicator_id": 93881, "indicator_key": "obesity", "indicator_name": "Obese adults",
            "unit": "%", "polarity": 0, "sex": "Persons", "period": "2022/23",
            "period_start": pd.Timestamp("2022-11-16"), "benchmark_code": ENG,
            "benchmark_name": "England", "benchmark_value": 26.0, "confidence": "95%",
            "source": "ons_els: ... (2026-06-26)", "source_ref": "ons_els/adult-obesity.csv"}
    rows = [
        {**base, "area_code": COV, "area_name": "Coventry", "role": "focus", "value": 30.0,
         "lower": 28.0, "upper": 32.0, "comparison": "Worse", "status": "OK"},
        {**base, "area_code": WARKS, "area_name": "Warwickshire", "role": "focus",
         "value": 25.0, "lower": 22.0, "upper": 28.0, "comparison": "Similar", "status": "OK"},
        {**base, "area_code": WM, "area_name": "West Midlands", "role": "comparator",
         "value": np.nan, "lower": np.nan, "upper": np.nan, "comparison": "Not compared",
         "status": "No data in snapshot for West Midlands (93881)"},
        {**base, "area_code": ENG, "area_name": "England", "role": "comparator",
         "value": 26.0, "lower": 25.8, "upper": 26.2, "comparison": "Not compared",
         "status": "OK"},
    ]
    return pd.DataFrame(rows)
