"""A real HTTP server on 127.0.0.1 (port 0) in a thread, scripted to fail before it accepts.

Usage::

    with hook_server(fail=[503, 503]) as server:   # two 503s, then 200s
        WebhookSink(server.url).send(events)
        server.requests                              # [Received(path, headers, body), ...]
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class HookServer:
    url: str
    fail: list[int]
    requests: list[Received] = field(default_factory=list)


def _handler(state: HookServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.requests.append(Received(self.path, dict(self.headers), json.loads(raw)))
            status = state.fail.pop(0) if state.fail else 200
            body = b'{"ok": true}' if status == 200 else b'{"error": "scripted failure"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if 300 <= status < 400:
                self.send_header("Location", f"{state.url}/elsewhere")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

    return Handler


@contextlib.contextmanager
def hook_server(fail: Sequence[int] = ()) -> Iterator[HookServer]:
    state = HookServer("", list(fail))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
