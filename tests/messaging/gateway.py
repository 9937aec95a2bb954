"""A gateway stand-in on 127.0.0.1: a real HTTP server (a thread) that records every request
(its headers under ``_headers``), deduplicates on the message id as a provider does, and can
answer 500 or hang, or answer what a test sets (``answer``: a provider's own shape)."""

import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Gateway:
    def __init__(self, id_field: str = "message_id") -> None:
        self.id_field = id_field
        self.received: list[dict[str, Any]] = []
        self.accepted: set[str] = set()
        self.mode = "ok"  # ok, fail (500) or hang (no answer until released)
        self.delay = 0.0  # seconds before each answer
        # a provider's own answer to every request (status, JSON body, headers), if set
        self.answer: tuple[int, dict[str, Any], dict[str, str]] | None = None
        self.released = threading.Event()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/send"

    def start(self) -> "Gateway":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()

    def delivered(self) -> Counter[str]:
        """How many times each message id was taken (a duplicate is answered but not sent)."""
        with self.lock:
            return Counter(r[self.id_field] for r in self.received if r["_accepted"])

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real gateway
            disable_nagle_algorithm = True  # headers and body apart: no delayed-ACK stall

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                body["_headers"] = dict(self.headers)
                if gateway.id_field not in body:  # cut off by a killed sender: no message
                    self._answer(400, {"error": "no message"})
                    return
                if gateway.answer is not None:  # a provider's answer, whatever it says
                    with gateway.lock:
                        gateway.received.append({**body, "_accepted": False})
                    self._answer(*gateway.answer)
                    return
                mode = gateway.mode
                if gateway.delay:
                    time.sleep(gateway.delay)
                if mode == "hang":
                    with gateway.lock:
                        gateway.received.append({**body, "_accepted": False})
                    gateway.released.wait(60)
                    return
                if mode == "fail":
                    with gateway.lock:
                        gateway.received.append({**body, "_accepted": False})
                    self._answer(500, {"error": "gateway down"})
                    return
                with gateway.lock:
                    duplicate = body.get(gateway.id_field) in gateway.accepted
                    gateway.received.append({**body, "_accepted": not duplicate})
                    if not duplicate:
                        gateway.accepted.add(body[gateway.id_field])
                self._answer(200, {"status": "duplicate" if duplicate else "queued"})

            def _answer(
                self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler


def wait_for(predicate: Any, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
