"""A loopback TCP forwarder that a test can cut, stall and restore, to make a server vanish.

Pointing the monitor at the proxy instead of at PostgreSQL or the Slack
server lets a test take that dependency away for real, locally, without
touching the server other processes use:

- ``refuse()``: existing connections are reset and the port is closed, so new
  connections are refused (the server is down);
- ``hang()``: existing connections are reset; new ones are accepted but never
  answered (a server that stopped responding, or a black-holed network);
- ``restore()``: forward again, on the same port.

Everything is plain threads and sockets, usable outside pytest.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

Mode = Literal["forward", "refuse", "hang"]


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target``; see the module docstring for the faults."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.mode: Mode = "forward"
        self.connections = 0
        """How many client connections were accepted so far (all modes)."""
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def host_port(self) -> str:
        """``127.0.0.1:<port>``, to put in a URL."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        """Listen (on a free port the first time, on the same port afterwards)."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = int(listener.getsockname()[1])
        self._listener = listener
        self._thread = threading.Thread(
            target=self._accept, args=(listener,), name="tcp-proxy", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Close the port and every connection."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        self._reset_all()

    def refuse(self) -> None:
        """Reset every connection and close the port: connecting is refused."""
        self.mode = "refuse"
        self.stop()

    def hang(self) -> None:
        """Reset every connection; accept new ones but never forward a byte."""
        if self._listener is None:
            self.start()
        self.mode = "hang"
        self._reset_all()

    def restore(self) -> None:
        """Forward again."""
        self.mode = "forward"
        self._reset_all()  # connections held by ``hang`` would never answer
        if self._listener is None:
            self.start()

    def _reset_all(self) -> None:
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                # linger 0: the peer sees a reset, as when a server or network dies
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            _end(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self.connections += 1
            with self._lock:
                self._open.add(client)
            if self.mode != "forward":
                continue  # held open and silent until reset
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                self._close(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.add(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pump, args=(source, sink), name="tcp-proxy-pump", daemon=True
                ).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                chunk = source.recv(65536)
                if not chunk:
                    break
                sink.sendall(chunk)
        except OSError:
            pass
        self._close(source)
        self._close(sink)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)
        _end(sock)


def _end(sock: socket.socket) -> None:
    """Really end a connection, even while a pump thread is blocked in ``recv`` on it.

    ``close()`` alone leaves the kernel's socket open (and the peer none the
    wiser) as long as another thread is inside a call on it; ``shutdown()``
    ends it for the peer and wakes that thread.
    """
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


@contextmanager
def tcp_proxy(target_host: str, target_port: int) -> Iterator[TcpProxy]:
    """A started TcpProxy to ``target``, stopped when the block ends."""
    proxy = TcpProxy(target_host, target_port)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
