"""The few words of the status page, in English and French."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "fr")

WORDS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "Service status",
        "indicator.none": "All services are operating normally",
        "indicator.minor": "Some services are degraded",
        "indicator.major": "Partial outage",
        "indicator.critical": "Major outage",
        "state.operational": "Operational",
        "state.degraded_performance": "Degraded performance",
        "state.partial_outage": "Partial outage",
        "state.major_outage": "Major outage",
        "state.under_maintenance": "Under maintenance",
        "incident.investigating": "Investigating",
        "incident.identified": "Identified",
        "incident.monitoring": "Monitoring",
        "incident.resolved": "Resolved",
        "open_incidents": "Current incidents",
        "recent_incidents": "Past incidents (7 days)",
        "maintenance": "Scheduled maintenance",
        "no_incidents": "No incident.",
        "since": "since",
        "affects": "Affects",
        "uptime": "uptime over 90 days",
        "days_ago": "90 days ago",
        "today": "Today",
        "feed": "Subscribe to updates (Atom)",
        "updated": "Updated",
        "started": "Started",
        "no_update_yet": "We are aware of the problem and are investigating.",
        "resolved_note": "This incident has been resolved.",
        "other_language": "Français",
        "and_more": " and {count} more",
    },
    "fr": {
        "title": "État des services",
        "indicator.none": "Tous les services fonctionnent normalement",
        "indicator.minor": "Certains services sont dégradés",
        "indicator.major": "Panne partielle",
        "indicator.critical": "Panne majeure",
        "state.operational": "Opérationnel",
        "state.degraded_performance": "Performances dégradées",
        "state.partial_outage": "Panne partielle",
        "state.major_outage": "Panne majeure",
        "state.under_maintenance": "En maintenance",
        "incident.investigating": "Analyse en cours",
        "incident.identified": "Cause identifiée",
        "incident.monitoring": "Sous surveillance",
        "incident.resolved": "Résolu",
        "open_incidents": "Incidents en cours",
        "recent_incidents": "Incidents passés (7 jours)",
        "maintenance": "Maintenances prévues",
        "no_incidents": "Aucun incident.",
        "since": "depuis",
        "affects": "Concerne",
        "uptime": "de disponibilité sur 90 jours",
        "days_ago": "il y a 90 jours",
        "today": "Aujourd'hui",
        "feed": "S'abonner aux mises à jour (Atom)",
        "updated": "Mis à jour",
        "started": "Début",
        "no_update_yet": "Nous avons connaissance du problème et l'analysons.",
        "resolved_note": "Cet incident est résolu.",
        "other_language": "English",
        "and_more": " et {count} autres",
    },
}


def pick_language(query: str | None, accept: str | None) -> str:
    """The page language: ``?lang=`` first, then Accept-Language, else English."""
    if query in LANGUAGES:
        return query
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"
