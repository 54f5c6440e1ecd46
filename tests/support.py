"""Shared fixtures for the data-layer tests (imported by the test modules that use them)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cw_pophealth import snapshot
from cw_pophealth.config import get_settings


@pytest.fixture(scope="session")
def extracts_dir() -> Path:
    """The real extracts folder; tests that need it are skipped where it is absent."""
    path = get_settings().extracts_dir
    if path is None or not path.is_dir():
        pytest.skip("the shared fingertips-extracts folder is not available")
    return path


@pytest.fixture(scope="session")
def snapshot_table(extracts_dir, tmp_path_factory) -> pd.DataFrame:
    """The tidy table built from the real extracts (written to a temporary data folder)."""
    settings = get_settings(data_dir=tmp_path_factory.mktemp("data"))
    return snapshot.build_snapshot(settings)
