"""The public status page (``/``) and its Atom feed: server-rendered, no JavaScript needed.

Only public words appear here: touchpoint names and states, published
updates, maintenance. Component names, alert text and counts never do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from monitor.api.deps import RuntimeDep
from monitor.api.i18n import LANGUAGES, WORDS, pick_language
from monitor.catalog import Catalog
from monitor.domain import Incident, IncidentEvent, TouchpointState
from monitor.services.status import DayUptime, StatusSnapshot, daily_uptime, touchpoint_periods
from monitor.store import Store

router = APIRouter(tags=["status page"])
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "atom"], default=True),
    undefined=StrictUndefined,
)
_RANK = [
    TouchpointState.MAJOR_OUTAGE,
    TouchpointState.PARTIAL_OUTAGE,
    TouchpointState.DEGRADED_PERFORMANCE,
    TouchpointState.UNDER_MAINTENANCE,
]


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def status_page(
    request: Request,
    rt: RuntimeDep,
    lang: Annotated[str | None, Query(max_length=5)] = None,
) -> HTMLResponse:
    """The status page, in the reader's language."""
    language = pick_language(lang, request.headers.get("accept-language"))
    snap: StatusSnapshot = request.app.state.status_cache.get()
    days: Mapping[str, list[DayUptime]] = request.app.state.uptime_cache.get()
    words = WORDS[language]
    context = {
        "lang": language,
        "other_lang": next(code for code in LANGUAGES if code != language),
        "t": words,
        "company": rt.catalog.company,
        "feed_url": f"/feed.atom?lang={language}",
        "generated_at": _when(snap.generated_at),
        "status": {
            "indicator": snap.indicator.value,
            "incidents": [_incident(i, snap, rt.catalog, language) for i in snap.incidents],
            "recently_resolved": [
                _incident(i, snap, rt.catalog, language) for i in snap.recently_resolved
            ],
        },
        "maintenance": [
            {
                "title": m.title,
                "starts_at": _when(m.starts_at),
                "ends_at": _when(m.ends_at),
                "touchpoints": ", ".join(_names(rt.catalog, m.touchpoints)),
            }
            for m in snap.maintenance
        ],
        "touchpoints": [
            {
                "id": t.id,
                "name": t.name,
                "state": t.state.value,
                "since": _when(t.since) if t.since else "",
                "days": [
                    {"day": d.day, "worst": d.worst.value, "percent": f"{d.uptime:.2%}"}
                    for d in days.get(t.id, [])
                ],
                "uptime": _uptime(days.get(t.id, [])),
            }
            for t in snap.touchpoints
        ],
    }
    html = TEMPLATES.get_template("status.html").render(context)
    return HTMLResponse(
        html,
        headers={"Cache-Control": "public, max-age=15", "Content-Language": language},
    )


@router.get("/feed.atom", include_in_schema=False)
def feed(
    request: Request,
    rt: RuntimeDep,
    lang: Annotated[str | None, Query(max_length=5)] = None,
) -> Response:
    """Incident updates as an Atom feed: started, each published update, resolved."""
    language = pick_language(lang, request.headers.get("accept-language"))
    snap: StatusSnapshot = request.app.state.status_cache.get()
    entries = sorted(
        (
            entry
            for incident in (*snap.incidents, *snap.recently_resolved)
            for entry in _entries(incident, snap, rt.catalog, language)
        ),
        key=lambda e: str(e["iso"]),
        reverse=True,
    )
    xml = TEMPLATES.get_template("feed.atom").render(
        lang=language,
        t=WORDS[language],
        company=rt.catalog.company,
        base_url=rt.settings.public_base_url.rstrip("/"),
        updated=(entries[0]["iso"] if entries else _iso(snap.generated_at)),
        entries=entries,
    )
    return Response(xml, media_type="application/atom+xml; charset=utf-8")


def uptime_by_touchpoint(
    store: Store, *, catalog: Catalog, now: datetime
) -> dict[str, list[DayUptime]]:
    """90 days of daily uptime for every touchpoint (one query)."""
    periods = touchpoint_periods(store, touchpoint=None, now=now)
    return {
        tid: daily_uptime([p for p in periods if p.touchpoint == tid], now=now)
        for tid in catalog.touchpoints
    }


def _incident(
    incident: Incident, snap: StatusSnapshot, catalog: Catalog, language: str
) -> dict[str, Any]:
    return {
        "id": incident.id,
        "state": incident.state.value,
        "headline": _headline(incident, catalog, language),
        "started_at": _when(incident.opened_at),
        "updates": [
            {"at": _when(e.at), "iso": _iso(e.at), "text": _text(e, language)}
            for e in reversed(snap.updates.get(incident.id, ()))
        ],
    }


def _entries(
    incident: Incident, snap: StatusSnapshot, catalog: Catalog, language: str
) -> list[dict[str, object]]:
    words = WORDS[language]
    headline = _headline(incident, catalog, language)
    found: list[dict[str, object]] = [
        {
            "incident_id": incident.id,
            "key": "started",
            "title": f"{words['incident.investigating']}: {headline}",
            "iso": _iso(incident.opened_at),
            "text": words["no_update_yet"],
        }
    ]
    for event in snap.updates.get(incident.id, ()):
        found.append(
            {
                "incident_id": incident.id,
                "key": f"update-{event.id}",
                "title": headline,
                "iso": _iso(event.at),
                "text": _text(event, language),
            }
        )
    if incident.resolved_at is not None:
        found.append(
            {
                "incident_id": incident.id,
                "key": "resolved",
                "title": f"{words['incident.resolved']}: {headline}",
                "iso": _iso(incident.resolved_at),
                "text": words["resolved_note"],
            }
        )
    return found


def _headline(incident: Incident, catalog: Catalog, language: str) -> str:
    states = dict(incident.touchpoints or incident.peak_touchpoints)
    if not states:
        return WORDS[language]["indicator.minor"]
    worst = next((s for s in _RANK if s in states.values()), TouchpointState.OPERATIONAL)
    names = _names(catalog, sorted(states))
    shown = ", ".join(names[:3])
    if len(names) > 3:
        shown += WORDS[language]["and_more"].format(count=len(names) - 3)
    return f"{shown} — {WORDS[language]['state.' + worst.value]}"


def _text(event: IncidentEvent, language: str) -> str:
    text = str(event.data.get(language) or "") if language != "en" else ""
    return text or str(event.data.get("en", ""))


def _names(catalog: Catalog, touchpoints: Sequence[str]) -> list[str]:
    return [catalog.touchpoints[t].name if t in catalog.touchpoints else t for t in touchpoints]


def _uptime(days: Sequence[DayUptime]) -> str:
    if not days:
        return "100%"
    return f"{sum(d.uptime for d in days) / len(days):.2%}"


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
