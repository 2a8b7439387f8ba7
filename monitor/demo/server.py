"""The monitor's API served by uvicorn in a background thread of the current process.

The demo, the status-page tests and the benchmarks all need a real HTTP
server around a runtime they built themselves (with their own clock or
store), which ``monitor serve`` cannot give them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from monitor.api import create_app
from monitor.bootstrap import Runtime


@contextmanager
def running_server(
    runtime: Runtime, *, host: str, port: int, start_worker: bool = True
) -> Iterator[str]:
    """Serve the runtime's API in a background thread; yields its base URL."""
    app = create_app(runtime, start_worker=start_worker)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="demo-server", daemon=True)
    thread.start()
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the demo server did not start on {url}")
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)
