"""Shared fixtures.

Fake Fingertips API (used by the tests in ``tests/fingertips/``)
---------------------------------------------------------------
``extracts_dir``, ``snapshot_table`` (session)
    The real extracts folder (tests using it are skipped when it is absent) and the tidy table
    built once from it (about 3 s).
``api_table`` (session)
    What the fake API serves: the current release of each Fingertips indicator in
    ``snapshot_table`` (:func:`helpers.fake_api_rows`).
``extracts_settings`` (session)
    Settings with the real extracts folder.
``fake_server`` (session)
    A :class:`fake_fingertips.FakeFingertips` serving ``api_table`` over real HTTP.
``fake_api``
    The same server with its faults and request log cleared before and after each test.
``settings``
    Settings writing under ``tmp_path`` and talking to ``fake_api``, with short timeouts and
    back-off so fault tests stay fast.
``dead_api_url``
    A base URL on a loopback port with nothing listening (connection refused).
``fake_clock``
    The HTTP layer's sleeps and waits on a fake clock that records them.
``fresh_request_throttles`` (autouse)
    Resets the client's adaptive per-host request caps around every test.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pandas as pd
import pytest

from cw_pophealth import snapshot
from cw_pophealth.config import Settings, get_settings


@pytest.fixture(autouse=True)
def fresh_request_throttles():
    """Each test starts with the client's per-host request caps at their ceiling (a 429 in one
    test would otherwise slow the next tests that use the same fake server)."""
    from cw_pophealth.fingertips.throttle import reset_throttles

    reset_throttles()
    yield
    reset_throttles()


@pytest.fixture
def fake_clock():
    """The HTTP layer on a :class:`~fake_clock.FakeClock`: retries and Retry-After holds
    return at once, and the clock records the seconds each asked for."""
    from cw_pophealth.fingertips import clock
    from fake_clock import FakeClock

    with clock.use(FakeClock()) as fake:
        yield fake


@pytest.fixture(scope="session")
def extracts_dir() -> Path:
    """The real extracts folder; tests that need it are skipped where it is absent."""
    path = get_settings().extracts_dir
    if path is None or not path.is_dir():
        pytest.skip("the shared fingertips-extracts folder is not available")
    return path


@pytest.fixture(scope="session")
def built_settings(extracts_dir, tmp_path_factory) -> Settings:
    """Settings whose (temporary) data folder holds the snapshot built from the real extracts."""
    settings = get_settings(data_dir=tmp_path_factory.mktemp("data"))
    snapshot.build_snapshot(settings)
    return settings


@pytest.fixture(scope="session")
def snapshot_table(built_settings) -> pd.DataFrame:
    """The tidy table built from the real extracts."""
    return snapshot.load_indicators(built_settings)


@pytest.fixture(scope="session")
def api_table(snapshot_table) -> pd.DataFrame:
    """The current Fingertips rows of the snapshot: what the fake API serves."""
    from helpers import fake_api_rows

    return fake_api_rows(snapshot_table)


@pytest.fixture(scope="session")
def extracts_settings(extracts_dir) -> Settings:
    return get_settings()


@pytest.fixture(scope="session")
def fake_server(extracts_settings, api_table):
    from fake_fingertips import FakeFingertips

    fake = FakeFingertips(api_table, settings=extracts_settings).start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_api(fake_server):
    fake_server.reset()
    yield fake_server
    fake_server.reset()


@pytest.fixture
def settings(tmp_path, fake_api, extracts_settings) -> Settings:
    return extracts_settings.with_(
        data_dir=tmp_path / "data",
        reports_dir=tmp_path / "reports",
        api_base_url=fake_api.url,
        connect_timeout=2.0,
        read_timeout=5.0,
        retries=2,
        backoff=0.01,
        offline=False,
        max_workers=4,
    )


@pytest.fixture
def dead_api_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/"
