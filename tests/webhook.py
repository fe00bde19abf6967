"""A local HTTP receiver standing in for a Slack webhook (127.0.0.1, a thread)."""

from __future__ import annotations

import contextlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextlib.contextmanager
def receiver(status: int = 200):
    """Yields (url, messages): every JSON body POSTed to the url lands in ``messages``."""
    messages: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            messages.append({"content_type": self.headers.get("Content-Type"), **json.loads(body)})
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/folio", messages
    finally:
        server.shutdown()
        server.server_close()
