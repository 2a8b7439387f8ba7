"""The webhook targets the playbooks call, to check them against the configured URLs.

A target with no URL is delivered to the notification sink, which is what the
demo wants and what a production deployment must not get by accident: a fee
waiver written to the console is a fee not waived. ``monitor check`` lists
such targets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from monitor.playbooks.schema import PlaybookSpec, StepSpec


def webhook_targets(playbooks: Iterable[PlaybookSpec]) -> dict[str, list[str]]:
    """Each webhook target named by a step (or a customer message's ``publish_to``) → playbooks."""
    found: dict[str, list[str]] = {}
    for playbook in playbooks:
        for target in _targets([*playbook.steps, *playbook.on_resolve]):
            users = found.setdefault(target, [])
            if playbook.id not in users:
                users.append(playbook.id)
    return found


def unconfigured_targets(
    playbooks: Iterable[PlaybookSpec], urls: Mapping[str, str]
) -> dict[str, list[str]]:
    """The targets of ``webhook_targets`` that have no URL in ``urls``."""
    return {t: ids for t, ids in webhook_targets(playbooks).items() if t not in urls}


def _targets(steps: Iterable[StepSpec]) -> Iterable[str]:
    for step in steps:
        if step.webhook is not None:
            yield step.webhook.target
        if step.customer_message is not None and step.customer_message.publish_to:
            yield step.customer_message.publish_to
        nested = step.repeat or step.escalate
        if nested is not None:
            yield from _targets(nested.steps)
