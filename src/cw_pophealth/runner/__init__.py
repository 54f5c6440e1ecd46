"""``make reports``: run the report notebooks through papermill into ``reports/``.

:mod:`~cw_pophealth.runner.config`
    The reports config (``config/reports.yaml``) and its fan-outs.
:mod:`~cw_pophealth.runner.notebooks`, :mod:`~cw_pophealth.runner.parameters`
    What each notebook declares, and the checks of its parameters before it runs.
:mod:`~cw_pophealth.runner.execute`
    papermill and nbconvert, in worker processes or on a Dask cluster.
:mod:`~cw_pophealth.runner.state`
    Stamps (skip unchanged runs), outcomes and the atomic swap of a finished report.
:mod:`~cw_pophealth.runner.index`
    ``reports/index.html``.
:mod:`~cw_pophealth.runner.run`
    :func:`run_reports`, which ties them together.
"""

from __future__ import annotations

from cw_pophealth.runner.config import ReportRun, load_report_config
from cw_pophealth.runner.run import run_reports
from cw_pophealth.runner.state import ReportRunError, ReportSummary, RunOutcome

__all__ = ["ReportRun", "ReportRunError", "ReportSummary", "RunOutcome", "load_report_config",
           "run_reports"]
