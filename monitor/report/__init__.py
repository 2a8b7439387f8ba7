"""Post-incident reports: what customers went through, how the incident was handled.

``assemble`` turns what the store holds about an incident into a frozen
``Report`` (aggregate figures only, see ``privacy``); ``milestones`` defines
detected, acknowledged, first internal message, first customer
communication, mitigated and resolved; ``render`` writes Markdown, HTML with
inline SVG charts (``charts``) or JSON; ``writer`` stores a report when an
incident is resolved; ``period`` sums up every incident of a period.
"""

from monitor.report.assemble import build_report
from monitor.report.model import Report
from monitor.report.period import PeriodSummary, period_summary
from monitor.report.render import MEDIA_TYPES, ReportFormat, render, render_period, report_json
from monitor.report.writer import (
    due_reports,
    report_path,
    store_report,
    write_due_reports,
    write_report,
)

__all__ = [
    "MEDIA_TYPES",
    "PeriodSummary",
    "Report",
    "ReportFormat",
    "build_report",
    "due_reports",
    "period_summary",
    "render",
    "render_period",
    "report_json",
    "report_path",
    "store_report",
    "write_due_reports",
    "write_report",
]
