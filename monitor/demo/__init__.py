"""``monitor demo``: one command that shows the whole monitor at work on a simulated outage.

``world`` simulates a scenario and serves its metrics and records,
``alerts`` turns its faults into Alertmanager webhooks, ``clock`` runs the
monitor in the scenario's time, ``observe`` reads back what the monitor
concludes, ``display`` shows it and ``play`` ties them together.
``server.running_server`` serves any runtime's API in a thread.
"""

from monitor.demo.play import DEFAULT_SCENARIO, DemoOptions, run_demo
from monitor.demo.server import running_server

__all__ = ["DEFAULT_SCENARIO", "DemoOptions", "run_demo", "running_server"]
