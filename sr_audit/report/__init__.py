"""Reports from a results store: ``report.md`` (with ``figures/``) and one self-contained ``report.html``.

:func:`write_report` reads finished cells and models from a :class:`~sr_audit.matrix.store.Store` and
recomputes nothing. :mod:`sr_audit.report.tables` builds the content (train x eval matrices and
their definitions), :mod:`sr_audit.report.plots` draws the heatmaps and
:mod:`sr_audit.report.render` writes the files; :mod:`sr_audit.report.summary` is the terminal
summary of a matrix run, the report's own train x eval tables (one builder, one set of labels);
:mod:`sr_audit.report.markdown` is the one markdown table formatter, used by every layer that
prints a table.
"""
import importlib
from typing import Any

#: Where each public name lives. They are imported on first use, so the lower layers may import
#: :mod:`sr_audit.report.markdown` without matplotlib and jinja2.
_SOURCES = {
    "BICUBIC_ROW": "tables",
    "REPORT_METRICS": "render",
    "ReportFiles": "render",
    "format_duration": "render",
    "Summary": "summary",
    "format_summaries": "summary",
    "summary_tables": "summary",
    "write_report": "render",
}

__all__ = sorted(_SOURCES)


def __getattr__(name: str) -> Any:
    if name not in _SOURCES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_SOURCES[name]}"), name)
