"""Incidents that only gained alerts are planned again after a pause; news is planned at once."""

from __future__ import annotations

from monitor.services.replan import Replans


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_news_is_planned_at_once_and_joined_incidents_after_the_pause() -> None:
    clock = Clock()
    replans = Replans(every=2.0, clock=clock)
    assert replans.due({1, 2}, urgent={1}) == {1}
    assert replans.waiting()
    clock.now += 1.0
    assert replans.due({2, 3}, urgent=set()) == set()  # 2 waits from its first touch
    clock.now += 1.0
    assert replans.due(set(), urgent=set()) == {2}
    clock.now += 1.0
    assert replans.due(set(), urgent=set()) == {3}
    assert not replans.waiting()


def test_news_for_a_waiting_incident_plans_it_now_and_ends_its_wait() -> None:
    clock = Clock()
    replans = Replans(every=2.0, clock=clock)
    replans.due({5}, urgent=set())
    assert replans.due({5}, urgent={5}) == {5}
    clock.now += 5.0
    assert replans.due(set(), urgent=set()) == set()
