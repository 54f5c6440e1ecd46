"""Configuration: every path, URL and setting comes from one :class:`Settings` object.

The data and reports folders default to ``./data`` and ``./reports`` in the current folder
(where the command is run, as the README says), never the folder the package was installed
from; the Makefile runs from the project folder and sets both, and ``make reports`` hands the
resolved paths to every notebook. The project's own files (notebooks, ``config/reports.yaml``)
and the ``../shared`` folders beside it are found from the project folder. Each can be
overridden by an environment variable so that CI, notebooks run by papermill and analysts'
machines all agree on where things are.

Environment variables
---------------------
``CW_POPHEALTH_EXTRACTS``
    Folder holding the real Fingertips/ONS extracts used for offline runs. Defaults to
    ``../shared/fingertips-extracts`` beside the project when that folder exists.
``CW_POPHEALTH_CLAIMS``
    Folder of claims files (plain YAML: a strategy document's numeric statements, checked by
    :mod:`cw_pophealth.analysis.claims`). Defaults to ``../shared/claims`` beside the project when
    that folder exists. Claims files are read in place, never copied into the project.
``CW_POPHEALTH_DATA``
    Root of ``raw/`` and ``processed/`` (default ``./data``, in the current folder).
``CW_POPHEALTH_REPORTS``
    Where ``make reports`` writes (default ``./reports``, in the current folder).
``FINGERTIPS_API_URL``
    Base URL of the Fingertips API (default ``https://fingertips.phe.org.uk/api/``). Credentials
    in it (``https://user:pass@host/api/``) are sent as basic auth and never written anywhere.
``CW_POPHEALTH_OFFLINE``
    ``1``/``true`` to serve every API call from the raw cache and never touch the network.
``CW_POPHEALTH_TIMEOUT``
    Read timeout in seconds for one HTTP request (default 60).
``CW_POPHEALTH_DEADLINE``
    Most seconds one attempt at a request may take in all, however the bytes trickle in
    (default 600).
``CW_POPHEALTH_MAX_BODY_MB``
    Largest answer accepted, in MB once decompressed (default 512).
``CW_POPHEALTH_MAX_WORKERS``
    Most requests in flight to the API at once (default 4). Fingertips is a public service
    with no rate limiting of its own (none in its server source), and fingertipsR and
    fingertips_py send one request at a time, so the default is modest; the client also halves
    it on its own when the server answers 429/5xx or times out (see
    :mod:`cw_pophealth.fingertips.throttle`).
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://fingertips.phe.org.uk/api/"
#: Most requests in flight to the API at once unless ``CW_POPHEALTH_MAX_WORKERS`` says
#: otherwise. It was 16; fingertipsR and fingertips_py send one request at a time and the
#: server source has no rate limiting, so 16 at once from a scheduled job was not a polite
#: default for a public service.
DEFAULT_MAX_WORKERS = 4
#: Most seconds one attempt at a request may take in all (``CW_POPHEALTH_DEADLINE``).
DEFAULT_REQUEST_DEADLINE = 600.0
#: Largest answer accepted, decompressed, in MB (``CW_POPHEALTH_MAX_BODY_MB``): the largest
#: real all_data CSVs (a whole profile at district level) are tens of MB.
DEFAULT_MAX_BODY_MB = 512


def redact_url(url: str) -> str:
    """``url`` without any ``user:password@`` part, for messages, caches and tables.

    Examples
    --------
    >>> redact_url("https://ana:s3cret@api.example.org:8443/api/?a=1")
    'https://api.example.org:8443/api/?a=1'
    >>> redact_url("https://fingertips.phe.org.uk/api/")
    'https://fingertips.phe.org.uk/api/'
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _find_project_root() -> Path:
    """Return the project folder (the one holding ``pyproject.toml``) for a ``src/`` layout."""
    here = Path(__file__).resolve()
    for candidate in here.parents:
        if (candidate / "pyproject.toml").is_file() and (candidate / "src").is_dir():
            return candidate
    # Installed without the source tree (a wheel): fall back to the working directory.
    return Path.cwd().resolve()


PROJECT_ROOT = _find_project_root()
#: Whether PROJECT_ROOT is a source checkout (installed from a wheel, it is the working folder).
_CHECKOUT = (PROJECT_ROOT / "src" / "cw_pophealth").is_dir()


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _env_flag(name: str, default: bool = False) -> bool:
    """An on/off setting from the environment variable ``name`` (unset means ``default``).

    Raises
    ------
    cw_pophealth.errors.ConfigError
        For a value that is neither on (1, true, yes, on) nor off (0, false, no, off).
    """
    text = os.environ.get(name, "").strip().lower()
    if not text:
        return default
    if text in _TRUE | _FALSE:
        return text in _TRUE
    from cw_pophealth.errors import ConfigError

    raise ConfigError(f"{name}={os.environ[name]!r} is not valid: use 1 (on) or 0 (off), or unset "
                      "it.")


def _env_number(name: str, default: float, kind: type = float, minimum: float = 0) -> float:
    """A number from the environment variable ``name``, or ``default`` when it is unset.

    Raises
    ------
    cw_pophealth.errors.ConfigError
        If the value is not a ``kind`` of at least ``minimum``; the message names the variable.
    """
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value < minimum:
        from cw_pophealth.errors import ConfigError

        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name}={text!r} is not valid: use {what} of at least {minimum:g}, "
                          f"or unset it for the default ({default:g}).")
    return value


def _api_url(text: str) -> str:
    """The API base URL, ending in ``/``.

    Raises
    ------
    cw_pophealth.errors.ConfigError
        If it is not an http(s) URL with a host; the message names FINGERTIPS_API_URL.
    """
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        from cw_pophealth.errors import ConfigError

        raise ConfigError(f"FINGERTIPS_API_URL={redact_url(text)!r} is not a web address: use "
                          f"{DEFAULT_API_URL} (the default), or unset it.")
    return text.strip() if text.strip().endswith("/") else text.strip() + "/"


def _default_extracts_dir(project_root: Path) -> Path | None:
    env = os.environ.get("CW_POPHEALTH_EXTRACTS")
    if env:
        return Path(env).expanduser().resolve()
    candidate = (project_root.parent / "shared" / "fingertips-extracts").resolve()
    return candidate if candidate.is_dir() else None


def _default_claims_dir(project_root: Path) -> Path | None:
    env = os.environ.get("CW_POPHEALTH_CLAIMS")
    if env:
        return Path(env).expanduser().resolve()
    candidate = (project_root.parent / "shared" / "claims").resolve()
    return candidate if candidate.is_dir() else None


@dataclass(frozen=True)
class Settings:
    """Every path and network setting the package uses.

    Build one with :func:`get_settings`; pass ``dataclasses.replace(settings, ...)`` copies to
    functions that should use different locations (tests do this with ``tmp_path``).

    Attributes
    ----------
    project_root : pathlib.Path
        The checkout (holds ``pyproject.toml``).
    data_dir : pathlib.Path
        Parent of ``raw/`` and ``processed/``.
    reports_dir : pathlib.Path
        Output of ``make reports``.
    extracts_dir : pathlib.Path or None
        Real Fingertips/ONS extracts for offline runs; ``None`` if not found.
    claims_dir : pathlib.Path or None
        Claims files (YAML) to check against the data; ``None`` if not found.
    api_base_url : str
        Fingertips API base URL, ending in ``/``.
    connect_timeout, read_timeout : float
        Seconds allowed to open a connection and to wait for bytes.
    request_deadline : float
        Most seconds one attempt at a request may take in all.
    max_body_bytes : int
        Largest answer accepted, in bytes once decompressed.
    retries : int
        Extra attempts after a timeout, connection error, 429 or 5xx.
    backoff : float
        Base of the exponential back-off in seconds (``backoff * 2**attempt`` plus jitter).
    offline : bool
        Serve API calls from the raw cache only.
    max_workers : int
        Most requests in flight to the API at once (threads for multi-request pulls, and the
        ceiling of the client's adaptive per-host cap, which halves on 429/5xx/timeouts).
        Default 4: polite to a public API that does no rate limiting of its own.
    slides : bool
        Also export each saved figure for slides (a 300-dpi PNG and a page of the report's
        PDF; ``CW_POPHEALTH_SLIDES``, default on). Off for a large fan-out, where the exports
        cost more than the rest of the figure (a report config entry's ``slides: false``).
    """

    project_root: Path
    data_dir: Path
    reports_dir: Path
    extracts_dir: Path | None
    claims_dir: Path | None = None
    api_base_url: str = DEFAULT_API_URL
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    request_deadline: float = DEFAULT_REQUEST_DEADLINE
    max_body_bytes: int = DEFAULT_MAX_BODY_MB * 2**20
    retries: int = 3
    backoff: float = 0.5
    offline: bool = False
    max_workers: int = DEFAULT_MAX_WORKERS
    slides: bool = True

    @property
    def raw_dir(self) -> Path:
        """Raw API responses exactly as received, each with a ``.meta.json`` sidecar."""
        return self.data_dir / "raw"

    @property
    def processed_dir(self) -> Path:
        """Tables produced only by code."""
        return self.data_dir / "processed"

    @property
    def indicators_table(self) -> Path:
        """The one tidy, validated indicator table (Parquet)."""
        return self.processed_dir / "indicators.parquet"

    @property
    def burden_table(self) -> Path:
        """The GBD burden-attributable-to-risks table (Parquet), built with the indicators."""
        return self.processed_dir / "burden.parquet"

    @property
    def local_estimates_table(self) -> Path:
        """Undated local estimates (OHID Local Health life expectancy), built with the
        indicators."""
        return self.processed_dir / "local_estimates.parquet"

    @property
    def notebooks_dir(self) -> Path:
        """Source notebooks (committed without outputs)."""
        return self.project_root / "notebooks"

    @property
    def reports_config(self) -> Path:
        """The one file of report parameters used by ``make reports``."""
        return self.project_root / "config" / "reports.yaml"

    def require_extracts_dir(self) -> Path:
        """Return :attr:`extracts_dir` or raise a clear error saying how to set it.

        Raises
        ------
        cw_pophealth.errors.ConfigError
            If the extracts folder is not configured or does not exist.
        """
        from cw_pophealth.errors import ConfigError

        if self.extracts_dir is None or not self.extracts_dir.is_dir():
            raise ConfigError(
                f"The offline extracts folder was not found (looked for "
                f"{self.extracts_dir or self.project_root.parent / 'shared/fingertips-extracts'}). "
                "Set CW_POPHEALTH_EXTRACTS to the folder holding PROVENANCE.md and the "
                "trafford_themes/ and ons_els/ sub-folders."
            )
        return self.extracts_dir

    def claims_file(self, name: str) -> Path:
        """The path of a claims file: ``name`` itself when it is a path to a file, else
        ``name`` inside :attr:`claims_dir`.

        Raises
        ------
        cw_pophealth.errors.ConfigError
            If the file is not found (the message names CW_POPHEALTH_CLAIMS).
        """
        from cw_pophealth.errors import ConfigError

        direct = Path(name).expanduser()
        if direct.is_file():
            return direct.resolve()
        if self.claims_dir is not None and (self.claims_dir / name).is_file():
            return (self.claims_dir / name).resolve()
        raise ConfigError(
            f"Claims file {name!r} not found (claims folder: {self.claims_dir or 'not found'}). "
            "Set CW_POPHEALTH_CLAIMS to the folder holding it, or pass a path to the file.")

    def with_(self, **changes) -> Settings:
        """Return a copy with some fields changed (a thin wrapper on ``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


def _default_base(cwd: Path, project_root: Path, *, checkout: bool) -> Path:
    """The folder whose ``data/`` and ``reports/`` are used when no variable names them: the
    project's own when working anywhere inside it (a notebook opened in ``notebooks/`` works in
    that folder, and must read the project's snapshot, not build a second one beside itself);
    otherwise, or when installed from a wheel (no ``checkout``), the working folder.

    Examples
    --------
    >>> [str(_default_base(Path(c), Path("/p"), checkout=True))
    ...  for c in ("/p/notebooks", "/p", "/q", "/pq")]
    ['/p', '/p', '/q', '/pq']
    >>> str(_default_base(Path("/p/notebooks"), Path("/p"), checkout=False))
    '/p/notebooks'
    """
    cwd, project_root = cwd.resolve(), project_root.resolve()
    inside = cwd == project_root or project_root in cwd.parents
    return project_root if checkout and inside else cwd


def get_settings(**overrides) -> Settings:
    """Build :class:`Settings` from the environment, then apply keyword overrides.

    Parameters
    ----------
    **overrides
        Any :class:`Settings` field, e.g. ``offline=True`` or ``data_dir=Path(...)``.

    Returns
    -------
    Settings

    Examples
    --------
    >>> s = get_settings(offline=True)
    >>> s.raw_dir.name
    'raw'
    """
    root = PROJECT_ROOT
    here = _default_base(Path.cwd(), root, checkout=_CHECKOUT)
    data_dir = Path(os.environ.get("CW_POPHEALTH_DATA") or here / "data").expanduser().resolve()
    reports_dir = Path(os.environ.get("CW_POPHEALTH_REPORTS") or here / "reports").expanduser()
    base_url = _api_url(os.environ.get("FINGERTIPS_API_URL", DEFAULT_API_URL))
    settings = Settings(
        project_root=root,
        data_dir=data_dir,
        reports_dir=reports_dir.resolve(),
        extracts_dir=_default_extracts_dir(root),
        claims_dir=_default_claims_dir(root),
        api_base_url=base_url,
        read_timeout=_env_number("CW_POPHEALTH_TIMEOUT", 60.0, float, minimum=0.001),
        request_deadline=_env_number("CW_POPHEALTH_DEADLINE", DEFAULT_REQUEST_DEADLINE, float,
                                     minimum=0.001),
        max_body_bytes=int(_env_number("CW_POPHEALTH_MAX_BODY_MB", DEFAULT_MAX_BODY_MB, float,
                                       minimum=0.001) * 2**20),
        max_workers=int(_env_number("CW_POPHEALTH_MAX_WORKERS", DEFAULT_MAX_WORKERS, int,
                                    minimum=1)),
        offline=_env_flag("CW_POPHEALTH_OFFLINE"),
        slides=_env_flag("CW_POPHEALTH_SLIDES", default=True),
    )
    return dataclasses.replace(settings, **overrides) if overrides else settings
