"""Communication playbooks: strict loading of ``playbooks/*.yaml``, triggers, steps → intents."""

from monitor.playbooks.context import IncidentView, template_context, unmapped_line
from monitor.playbooks.loader import PlaybookSet, check_playbooks, empty_playbooks, load_playbooks
from monitor.playbooks.plan import Plan, plan_incident, plan_timer
from monitor.playbooks.templates import Templates, format_customers

__all__ = [
    "IncidentView",
    "Plan",
    "PlaybookSet",
    "Templates",
    "check_playbooks",
    "empty_playbooks",
    "format_customers",
    "load_playbooks",
    "plan_incident",
    "plan_timer",
    "template_context",
    "unmapped_line",
]
