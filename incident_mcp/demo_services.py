"""Three tiny local services for the demo, on 127.0.0.1: one healthy, one failing, one slow.

They let the demo's status check find something real without touching the network.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from incident_mcp.workspace import Workspace, atomic_write

SLOW_SECONDS = 2.4
# The example config's service URLs and the local path each is served on.
ROUTES = {
    "https://app.brightdesk.example/": "/web",
    "https://api.brightdesk.example/health": "/api/health",
    "https://help.brightdesk.example/": "/help",
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/web":
            self._send(200, "text/html", b"<html><body>Brightdesk</body></html>")
        elif self.path == "/api/health":
            body = {"status": "fail", "checks": {"stripe:webhooks": [{"status": "fail",
                                                                       "output": "signature mismatch"}]}}
            self._send(500, "application/health+json", json.dumps(body).encode())
        elif self.path == "/help":
            time.sleep(SLOW_SECONDS)
            self._send(200, "text/html", b"<html><body>Help center</body></html>")
        else:
            self._send(404, "text/plain", b"not found")

    def _send(self, code: int, content_type: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the demo prints its own story."""


@contextlib.contextmanager
def demo_services() -> Iterator[str]:
    """Serve the three demo services until the block ends; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="demo-services", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def point_services_at(ws: Workspace, base_url: str) -> None:
    """Rewrite the example config's service URLs to the local demo services (text edit, comments kept)."""
    text = ws.config_path.read_text(encoding="utf-8")
    for public, path in ROUTES.items():
        text = re.sub(rf"(url: ){re.escape(public)}$", rf"\g<1>{base_url}{path}", text, flags=re.M)
    atomic_write(ws.config_path, text)
