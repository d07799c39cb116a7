"""A tiny webhook receiver for tests, run in a thread or as its own process.

It verifies the signature, records every accepted event id (one line per id, fsynced,
so a killed process loses nothing it acknowledged) and can be told to fail the first
N requests with HTTP 500.

As a process: ``python receiver_server.py PORT LOGFILE SECRET [FAIL_FIRST]``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, secret: str, fail_first: int = 0, log: str | None = None):
        super().__init__(("127.0.0.1", port), Handler)
        self.secret = secret
        self.fail_first = fail_first
        self.log = log
        self.lock = threading.Lock()
        self.requests = 0
        self.accepted: list[str] = []
        self.bad_signatures = 0
        self.bodies: list[bytes] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks"


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        srv = self.server
        expected = "sha256=" + hmac.new(srv.secret.encode(), body, hashlib.sha256).hexdigest()
        with srv.lock:
            srv.requests += 1
            if not hmac.compare_digest(expected, self.headers.get("X-Shelfwise-Signature", "")):
                srv.bad_signatures += 1
                status = 401
            elif srv.requests <= srv.fail_first:
                status = 500
            else:
                event_id = self.headers.get("X-Shelfwise-Event-Id", "")
                srv.accepted.append(event_id)
                srv.bodies.append(body)
                if srv.log:
                    with open(srv.log, "a") as f:
                        f.write(event_id + "\n")
                        f.flush()
                        os.fsync(f.fileno())
                status = 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()


def serve_in_thread(port: int, secret: str, fail_first: int = 0) -> Receiver:
    srv = Receiver(port, secret, fail_first)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


if __name__ == "__main__":
    port, log, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    fail = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    server = Receiver(port, secret, fail, log)
    print("ready", flush=True)
    server.serve_forever()
