"""Fixtures for the method tests: the PHE reference values copied to ``tests/data``.

The CSVs hold values only, with per-row provenance (``tests/data/README.md``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="session")
def sii_reference() -> pd.DataFrame:
    """testdata_SII.xlsx, sheet testdata_SII, every row (``sheet_row`` = Excel row)."""
    return pd.read_csv(DATA / "pheim_sii_reference.csv")


@pytest.fixture(scope="session")
def quantiles_reference() -> pd.DataFrame:
    """testdata_Quantiles.xlsx, sheet testdata_Quantiles, the Gooddata/GooddataDups rows."""
    return pd.read_csv(DATA / "pheim_quantiles_reference.csv")


@pytest.fixture(scope="session")
def le_inputs() -> pd.DataFrame:
    """Deaths and populations by band of the PHE life-expectancy cases."""
    return pd.read_csv(DATA / "pheim_le_inputs.csv")


@pytest.fixture(scope="session")
def le_reference() -> pd.DataFrame:
    """Expected LE, limits and cumulative counts of the PHE life-expectancy cases."""
    return pd.read_csv(DATA / "pheim_le_reference.csv")
