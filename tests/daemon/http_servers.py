"""Real HTTP servers for the daemon's tests: the answers the daemon meets, sent over a socket."""

import contextlib
import http.server
import json
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


class OdooLogin(QuietHandler):
    """Odoo's JSON-RPC as far as odoorpc's login goes; ``answer_call`` answers the rest.

    ``answer_call(method, args)`` returns the call's result, or None once it has sent an answer
    of its own (an error page, say).
    """

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        params = request.get("params", {})
        if self.path == "/web/webclient/version_info":
            result = {"server_version": "18.0", "server_version_info": [18, 0, 0, "final", 0, ""]}
        elif params.get("method") == "login":
            result = 2
        elif params.get("method") == "execute" and params["args"][-1] == "context_get":
            result = {"lang": "en_US", "tz": False}
        else:
            result = self.answer_call(params.get("method"), params.get("args", []))
            if result is None:
                return
        body = json.dumps({"jsonrpc": "2.0", "id": request.get("id"), "result": result})
        self.send_body(200, "application/json", body.encode())

    def answer_call(self, method, args):
        raise NotImplementedError


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
