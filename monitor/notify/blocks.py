"""Block Kit for the incident's head message and for customer-message drafts.

The head message is rebuilt from the template context each time it is
edited, so it always shows the current touchpoint states, estimate and
customer signals (complaints and low scores per touchpoint); its digest
tells whether an edit would change anything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

Block = dict[str, Any]

ACKNOWLEDGE = "acknowledge"
ESCALATE = "escalate"
RESOLVE = "resolve"
APPROVE = "approve_customer_message"


def _text(text: str, *, kind: str = "mrkdwn") -> dict[str, Any]:
    return {"type": kind, "text": text[:2900]}


def _button(label: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": _text(label, kind="plain_text"),
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def head_blocks(context: Mapping[str, Any], *, intro: str = "") -> list[Block]:
    """The incident's head message: states, affected customers, why, links and buttons."""
    incident = context["incident"]
    estimate = context["estimate"]
    blocks: list[Block] = [
        {
            "type": "header",
            "text": _text(
                f"Incident {incident['id']}: {incident['title']}"[:150], kind="plain_text"
            ),
        }
    ]
    if intro:
        blocks.append({"type": "section", "text": _text(intro)})
    acknowledged = incident["acknowledged_by"] or "not yet"
    blocks.append(
        {
            "type": "section",
            "fields": [
                _text(f"*State*\n{incident['state']}"),
                _text(f"*Severity*\n{incident['severity']}"),
                _text(f"*Acknowledged*\n{acknowledged}"),
                _text(f"*Affected customers*\n{estimate['affected_text']}"),
            ],
        }
    )
    blocks.append({"type": "section", "text": _text(_touchpoint_lines(context["touchpoints"]))})
    said = context.get("signals", {}).get("text")
    if said:  # complaints and low scores attached to the incident, per touchpoint
        blocks.append({"type": "section", "text": _text(f"*Customer signals*\n{said}")})
    if incident["explanation"]:
        why = "\n".join(f"`{line}`" for line in incident["explanation"][:5])
        blocks.append({"type": "section", "text": _text(f"*Why*\n{why}")})
    notes = [_window(estimate)]
    if context["unmapped"]["text"]:
        notes.append(context["unmapped"]["text"])
    links = context["links"]
    notes.append(
        f"<{links['incident']}|Incident> · <{links['status_api']}|Status API>"
        + (f" · <{links['report']}|Report>" if links.get("report") else "")
    )
    blocks.append({"type": "context", "elements": [_text(n) for n in notes if n]})
    if incident["state"] != "resolved":
        value = str(incident["id"])
        blocks.append(
            {
                "type": "actions",
                "block_id": f"incident-{value}",
                "elements": [
                    _button("Acknowledge", ACKNOWLEDGE, value, style="primary"),
                    _button("Escalate", ESCALATE, value),
                    _button("Resolve", RESOLVE, value, style="danger"),
                ],
            }
        )
    return blocks


def draft_blocks(text: str, *, approve_key: str, incident_id: int) -> list[Block]:
    """A customer-message draft with the button that releases it."""
    return [
        {"type": "section", "text": _text(text)},
        {
            "type": "actions",
            "block_id": f"draft-{incident_id}",
            "elements": [
                _button("Approve customer message", APPROVE, approve_key, style="primary")
            ],
        },
    ]


def head_text(context: Mapping[str, Any]) -> str:
    """The plain-text fallback of the head message (notifications, screen readers)."""
    incident = context["incident"]
    said = context.get("signals", {}).get("sentence")
    return (
        f"Incident {incident['id']} ({incident['severity']}, {incident['state']}): "
        f"{incident['title']} — affected customers {context['estimate']['affected_text']}"
    ) + (f" — {said}" if said else "")


def digest(blocks: Sequence[Block]) -> str:
    """A stable digest of blocks, to skip edits that change nothing."""
    return hashlib.sha256(json.dumps(list(blocks), sort_keys=True).encode()).hexdigest()


def _touchpoint_lines(touchpoints: Sequence[Mapping[str, Any]]) -> str:
    if not touchpoints:
        return "*Touchpoints*\nnone identified yet"
    lines = [
        f"• *{t['name']}*: {t['state']} — affected customers {t['affected_text']}"
        for t in touchpoints
    ]
    return "*Touchpoints*\n" + "\n".join(lines)


def _window(estimate: Mapping[str, Any]) -> str:
    window = estimate.get("window")
    if estimate["pending"] or not isinstance(window, Mapping):
        return "Impact estimate pending"
    final = "final" if estimate["final"] else "provisional"
    return f"Estimate ({final}) for {window.get('start')} – {window.get('end')}"
