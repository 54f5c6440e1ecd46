"""One headless Chromium for the browser tests, and a reports folder made by the real runner.

The browser is Debian's ``chromium`` driven by Playwright (``pip install 'cw-pophealth[browser]'``;
no ``playwright install``). Without either the tests skip and say what to install; with
``CW_POPHEALTH_REQUIRE_BROWSER=1`` (``.ci/run`` sets it) they fail instead, so a broken install
cannot pass as skipped.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

from cw_pophealth import runner
from cw_pophealth.config import PROJECT_ROOT

sys.path.insert(0, str(Path(__file__).resolve().parent))  # pagecheck.py sits beside this file

import pagecheck  # noqa: E402

from helpers import copy_of_built_data  # noqa: E402

#: Where the screenshots are kept (gitignored under reports/); ``CW_POPHEALTH_SCREENSHOTS``
#: chooses another folder, e.g. one that CI keeps as an artefact.
SCREENSHOTS = Path(os.environ.get("CW_POPHEALTH_SCREENSHOTS")
                   or PROJECT_ROOT / "reports" / ".screenshots")


def _unavailable(message: str) -> None:
    if os.environ.get("CW_POPHEALTH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"a browser is required (CW_POPHEALTH_REQUIRE_BROWSER=1) but {message}",
                    pytrace=False)
    pytest.skip(f"browser tests skipped: {message}")


@pytest.fixture(scope="session")
def checker():
    try:
        import playwright  # noqa: F401
    except ImportError:
        _unavailable("the Python package playwright is not installed "
                     "(pip install 'cw-pophealth[browser]'; no `playwright install` needed)")
    try:
        found = pagecheck.find_chromium()
    except pagecheck.BrowserUnavailable:
        _unavailable("no Chromium found: apt-get install -y chromium")
    try:
        checker = pagecheck.PageChecker(found)
    except pagecheck.BrowserUnavailable as exc:
        _unavailable(str(exc))
    yield checker
    checker.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def published(built_settings, tmp_path_factory, checker):
    """A reports folder with the real window-of-need report and the summary page."""
    settings = copy_of_built_data(built_settings, tmp_path_factory.mktemp("browser-data") / "data")
    settings = settings.with_(reports_dir=tmp_path_factory.mktemp("browser") / "reports")
    config = settings.reports_dir.parent / "reports.yaml"
    entries = yaml.safe_load(settings.reports_config.read_text(encoding="utf-8"))["reports"]
    config.write_text(yaml.safe_dump({
        "notebooks_dir": str(PROJECT_ROOT / "notebooks"),
        "reports": [e for e in entries if e["name"] in ("window_of_need", "risk_factors")]}))
    runner.run_reports(config, settings=settings, jobs=1, only=["window_of_need"])
    return settings.reports_dir
