"""Reports from a results store: ``report.md`` (with ``figures/``) and one self-contained ``report.html``.

:func:`write_report` reads finished cells and models from a :class:`~sr_audit.store.Store` and
recomputes nothing. :mod:`sr_audit.report.tables` builds the content (train x eval matrices and
their definitions), :mod:`sr_audit.report.plots` draws the heatmaps and
:mod:`sr_audit.report.render` writes the files.
"""
from sr_audit.report.render import REPORT_METRICS, ReportFiles, write_report

__all__ = ["REPORT_METRICS", "ReportFiles", "write_report"]
