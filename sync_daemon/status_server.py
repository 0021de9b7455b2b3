"""``/healthz`` and ``/metrics`` over HTTP, on a thread beside the scheduler.

prometheus_client's own server answers every path with metrics; this one also serves the health
report, whose status code (200 or 503) is what an orchestrator's probe looks at.
"""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

_logger = logging.getLogger(__name__)


class StatusServer:
    def __init__(self, host, port, metrics, intervals):
        self._metrics = metrics
        self._intervals = intervals
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="status-server", daemon=True
        )

    @property
    def port(self):
        return self._server.server_address[1]

    def start(self):
        self._thread.start()
        _logger.info("Serving /healthz and /metrics on port %s", self.port)
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    healthy, report = server._metrics.health.report(server._intervals)
                    self._send(200 if healthy else 503, "application/json",
                               json.dumps(report).encode())
                elif path == "/metrics":
                    self._send(200, CONTENT_TYPE_LATEST, generate_latest(server._metrics.registry))
                else:
                    self._send(404, "application/json", b'{"error": "not found"}')

            def _send(self, status, content_type, body):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                _logger.debug("status server: " + format, *args)

        return Handler
