"""cw_pophealth: population-health analytics from OHID Fingertips data.

The package is one folder per stage: :mod:`~cw_pophealth.fingertips` (the API client and its
raw cache), :mod:`~cw_pophealth.snapshot` (the offline source), :mod:`~cw_pophealth.stats`,
:mod:`~cw_pophealth.analysis`, :mod:`~cw_pophealth.plots`, :mod:`~cw_pophealth.report` (what a
notebook calls) and :mod:`~cw_pophealth.runner` (``make reports``).
"""

#: The package version: the one place it is written (``pyproject.toml`` reads it from here).
__version__ = "0.2.0.dev0"

#: Sub-packages and modules reachable as attributes after a plain ``import cw_pophealth``, so
#: that the hints in error messages (``cw_pophealth.fingertips.areas(502)``) work as written.
_SUBMODULES = frozenset({
    "analysis", "catalogue", "config", "errors", "fingertips", "geography", "neighbours",
    "periods", "plots", "report", "runner", "schema", "snapshot", "sources", "stats",
})


def __getattr__(name: str):
    """Import a sub-package on first use (PEP 562); nothing is imported before it is asked for."""
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
