"""Real HTTP servers for the daemon's tests: the answers the daemon meets, sent over a socket."""

import contextlib
import http.server
import threading


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A handler that answers with ``send_body`` and keeps the test output clean."""

    def send_body(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(handler, **attributes):
    """A server on a free local port, with ``attributes`` set on it and its ``url``."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    for name, value in attributes.items():
        setattr(server, name, value)
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
