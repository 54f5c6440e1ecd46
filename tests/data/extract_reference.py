"""Regenerate the PHE reference-value CSVs in this folder from a PHEindicatormethods snapshot.

Only *values* are taken: the inputs and expected outputs of PHE's Excel tools and calculator as
shipped in the package's test data (``testdata_SII.xlsx``, ``testdata_Quantiles.xlsx``) and the
numbers written out in its life-expectancy test file. None of its GPL-3 code is copied or run.
Every row keeps its provenance: ``source_file`` (repository@commit:path) and ``sheet`` and
``sheet_row`` (the 1-based Excel row; row 1 is the header) or ``lines`` (of the R file).

Run with the snapshot's git directory::

    python tests/data/extract_reference.py <PHEindicatormethods git dir>

``tests/stats/test_reference_data.py`` checks the copies against the snapshot when it is on disk.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

COMMIT = "093fd288d8f8949dbcfbed70049dbbf385b6141d"
REPO = "ukhsa-collaboration/PHEindicatormethods"
HERE = Path(__file__).resolve().parent
LE_FILE = "tests/testthat/testLifeExpectancy.R"
STARTS = [0, 1, *range(5, 95, 5)]

#: Where each life-expectancy vector is written in LE_FILE: (name, first line, last line).
LE_VECTORS = {
    "df1": ("pops", "deaths", 4, 10),
    "df1_cum": ("pops_used", "dths_used", 12, 19),
    "df_deaths_greater_pops": ("pop", "deaths", 50, 56),
    "df_low_pops": ("pop", "deaths", 64, 71),
    "df_widecis_plus": ("pops", "deaths", 72, 82),
    "answer1": (("value", "lowercl", "uppercl"), None, 129, 147),
    "answer_widecis": (("value", "lower95_0cl", "upper95_0cl"), None, 158, 183),
}


def git_show(git_dir: str, path: str) -> bytes:
    return subprocess.run(["git", "-C", git_dir, "show", f"{COMMIT}:{path}"], check=True,
                          capture_output=True).stdout


def read_xlsx(git_dir: str, path: str, sheet: str) -> pd.DataFrame:
    df = pd.read_excel(io.BytesIO(git_show(git_dir, path)), sheet_name=sheet)
    df.insert(0, "sheet_row", df.index + 2)
    df.insert(0, "sheet", sheet)
    df.insert(0, "source_file", f"{REPO}@{COMMIT[:7]}:{path}")
    return df


def r_vector(lines: list[str], first: int, last: int, name: str) -> list[float]:
    """The numbers of ``name = c(...)`` written between two (1-based) lines; NA becomes NaN."""
    text = "\n".join(lines[first - 1:last])
    match = re.search(rf"\b{re.escape(name)}\s*=\s*(?:rep\()?c\(([^)]*)\)", text)
    if match is None:
        raise ValueError(f"{name} not found in lines {first}-{last}")
    items = [t.strip().rstrip("L") for t in match.group(1).split(",") if t.strip()]
    return [np.nan if t == "NA" else float(t) for t in items]


def life_expectancy_frames(git_dir: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    lines = git_show(git_dir, LE_FILE).decode("utf-8").splitlines()
    source = f"{REPO}@{COMMIT[:7]}:{LE_FILE}"
    inputs = []
    for dataset, case, pop_name, death_name, extra in (
        ("df1", "PHE worked example", "pops", "deaths", None),
        ("df_deaths_greater_pops", "85-89 population 119 below its 1,936 deaths", "pop",
         "deaths", None),
        ("df_low_pops", "total population 2,883, under 5,000", "pop", "deaths", None),
        ("df_widecis_plus", "Area 2: 1 death at 90+, CI wider than 20 years from age 40",
         "pops", "deaths", None),
        ("df_widecis_plus", "Area 1: 312 deaths at 90+ in a population of 311", "pops",
         "deaths", 312.0),
    ):
        _, _, first, last = LE_VECTORS[dataset]
        pops = r_vector(lines, first, last, pop_name)
        deaths = r_vector(lines, first, last, death_name)
        if extra is not None:
            deaths[-1] = extra  # line 82 sets Area 1's 90+ deaths to 312
        inputs.append(pd.DataFrame({"source_file": source, "lines": f"{first}-{last}",
                                    "dataset": dataset, "case": case, "age_from": STARTS,
                                    "population": pops, "deaths": deaths}))
    answers = []
    for dataset, case, n_rows in (("answer1", "PHE worked example", 20),
                                  ("answer_widecis", "Area 2: 1 death at 90+, CI wider than "
                                   "20 years from age 40", 20)):
        names, _, first, last = LE_VECTORS[dataset]
        cols = [r_vector(lines, first, last, nm)[:n_rows] for nm in names]
        answers.append(pd.DataFrame({"source_file": source, "lines": f"{first}-{last}",
                                     "dataset": dataset, "case": case, "age_from": STARTS,
                                     "value": cols[0], "lower": cols[1], "upper": cols[2]}))
    _, _, first, last = LE_VECTORS["df1_cum"]
    cum = pd.DataFrame({"pops_used": r_vector(lines, first, last, "pops_used"),
                        "deaths_used": r_vector(lines, first, last, "dths_used")})
    answers[0] = pd.concat([answers[0], cum], axis=1).assign(
        lines=f"{LE_VECTORS['answer1'][2]}-{LE_VECTORS['answer1'][3]}; cumulative: {first}-{last}")
    return pd.concat(inputs, ignore_index=True), pd.concat(answers, ignore_index=True)


def main(git_dir: str) -> None:
    sii = read_xlsx(git_dir, "tests/testthat/testdata_SII.xlsx", "testdata_SII")
    sii.to_csv(HERE / "pheim_sii_reference.csv", index=False)
    q = read_xlsx(git_dir, "tests/testthat/testdata_Quantiles.xlsx", "testdata_Quantiles")
    cols = ["source_file", "sheet", "sheet_row", "IndSexRef", "GroupSet", "Test", "ParentCode",
            "AreaCode", "Polarity", "Value", "QuantileNm", "RankinGrp", "RowsInGrp",
            "QuantileInGrp"]
    q = q[q["Test"].isin(["Gooddata", "GooddataDups"])][cols]
    q.to_csv(HERE / "pheim_quantiles_reference.csv", index=False)
    le_in, le_out = life_expectancy_frames(git_dir)
    le_in.to_csv(HERE / "pheim_le_inputs.csv", index=False)
    le_out.to_csv(HERE / "pheim_le_reference.csv", index=False)


if __name__ == "__main__":
    main(sys.argv[1])
