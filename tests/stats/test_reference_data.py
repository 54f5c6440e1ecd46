"""The reference CSVs in tests/data are faithful copies of the PHE values they cite.

``tests/data/extract_reference.py`` is run against a snapshot of PHEindicatormethods and its
output compared with the committed CSVs, cell by cell. Runs only where the snapshot is on disk
(``PHEIM_GIT_DIR``, default the project's mirror), and is skipped elsewhere, e.g. in CI;
the provenance check runs everywhere.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
MIRROR = Path(os.environ.get("PHEIM_GIT_DIR",
                             "/work/.mirror/ukhsa-collaboration+PHEindicatormethods/repo"))
FILES = ["pheim_sii_reference.csv", "pheim_quantiles_reference.csv", "pheim_le_inputs.csv",
         "pheim_le_reference.csv"]



@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    if not MIRROR.exists():
        pytest.skip("the PHEindicatormethods snapshot is not on disk")
    pytest.importorskip("openpyxl")
    spec = importlib.util.spec_from_file_location("extract_reference",
                                                  DATA / "extract_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("reference")
    module.HERE = out
    module.main(str(MIRROR))
    return out


@pytest.mark.parametrize("name", FILES)
def test_the_committed_copy_equals_a_fresh_extraction(regenerated, name):
    pd.testing.assert_frame_equal(pd.read_csv(DATA / name), pd.read_csv(regenerated / name))


def test_every_copy_names_its_source_commit():
    for name in FILES:
        sources = set(pd.read_csv(DATA / name)["source_file"])
        assert sources and all(s.startswith("ukhsa-collaboration/PHEindicatormethods@093fd28:")
                               for s in sources), name
