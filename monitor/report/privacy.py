"""Keeping customer references out of reports.

A report is built from aggregate figures only; the structured parts never
read customer-level data. Free text written by people or tools (notes,
status updates, step outcomes) may still quote a customer, so it passes
through ``redact`` before a report keeps it: e-mail addresses, phone and
card numbers, IBANs, UUIDs, long digit runs and prefixed references
(``cust-10042``, ``customer_id=…``, ``passenger ABC123``) become
``[redacted]``.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

_PATTERNS = (
    # anchored at a boundary and bounded (RFC 5321: 64-character local part), so a
    # long word is scanned once, not retried from each of its characters
    re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+"),
    re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I),
    re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"),
    re.compile(
        r"\b(?:cust(?:omer)?|client|user|account|acct|member|passenger|pax|employee|emp|"
        r"subscriber|booking|pnr)[\s_\-:#=]*(?:id|ref|no|number|key)?[\s_\-:#=]*"
        r"[A-Za-z0-9]*\d[A-Za-z0-9\-]*",
        re.I,
    ),
    re.compile(r"\+?\d(?:[ \-]?\d){8,}"),
    re.compile(r"\b\d{6,}\b"),
)


def redact(text: str) -> str:
    """``text`` with anything that looks like a customer reference replaced."""
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text
