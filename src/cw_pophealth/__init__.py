"""cw_pophealth: population-health analytics from OHID Fingertips data.

The package is one folder per stage: :mod:`~cw_pophealth.fingertips` (the API client and its
raw cache), :mod:`~cw_pophealth.snapshot` (the offline source), :mod:`~cw_pophealth.stats`,
:mod:`~cw_pophealth.analysis`, :mod:`~cw_pophealth.plots`, :mod:`~cw_pophealth.report` (what a
notebook calls) and :mod:`~cw_pophealth.runner` (``make reports``).
"""

#: The package version: the one place it is written (``pyproject.toml`` reads it from here).
__version__ = "0.2.0.dev0"
