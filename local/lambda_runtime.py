"""A local Lambda Runtime API, so AWS's runtime interface client (awslambdaric) runs a handler as Lambda does.

moto runs no Lambda code without Docker. The managed python runtime is awslambdaric polling the Runtime API
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html): `GET .../invocation/next` hands it an
event, and it answers `POST .../invocation/{id}/response` or `.../error`, or `POST .../init/error` when the
handler cannot even be loaded. This server speaks that API on loopback, HTTP/1.1, with every header the
client reads (its native part crashes when `/next` has no Content-Type).
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from time import time
from typing import Any

API = "/2018-06-01/runtime"


@dataclass(frozen=True)
class Outcome:
    """What the function answered: its response, or the error it reported (errorType, errorMessage, ...)."""

    kind: str  # "response", "error" or "init_error"
    body: dict[str, Any]
    error_type: str | None = None  # the Lambda-Runtime-Function-Error-Type header of an error


@dataclass
class _Invocation:
    event: dict[str, Any]
    deadline_ms: int
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    outcome: queue.Queue[Outcome] = field(default_factory=lambda: queue.Queue(maxsize=1))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a stopped function drops its open /next call
            super().handle_error(request, client_address)


class RuntimeApi:
    """Queue events with `invoke`; a runtime client polling `address` takes them one at a time."""

    def __init__(self, function_arn: str) -> None:
        self._function_arn = function_arn
        self._next: queue.Queue[_Invocation] = queue.Queue()
        self._running: dict[str, _Invocation] = {}
        self._init_errors: queue.Queue[Outcome] = queue.Queue()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), self._handler_class())

    @property
    def address(self) -> str:
        """The value of AWS_LAMBDA_RUNTIME_API."""
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def invoke(self, event: dict[str, Any], timeout_seconds: float = 60) -> Outcome:
        """Hand one event to the runtime client and wait for its answer (or its init error)."""
        invocation = _Invocation(event=event, deadline_ms=int((time() + timeout_seconds) * 1000))
        self._next.put(invocation)
        waited = 0.0
        while waited < timeout_seconds:
            try:
                return invocation.outcome.get(timeout=0.2)
            except queue.Empty:
                waited += 0.2
            try:
                return self._init_errors.get_nowait()
            except queue.Empty:
                pass
        raise TimeoutError(f"the function did not answer within {timeout_seconds:g} s")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                if self.path != f"{API}/invocation/next":
                    return self._reply(404, {"errorMessage": f"no such path {self.path}"})
                while not api._stopping.is_set():
                    try:
                        invocation = api._next.get(timeout=0.2)
                    except queue.Empty:
                        continue
                    api._running[invocation.request_id] = invocation
                    return self._reply(
                        200,
                        invocation.event,
                        {
                            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                            "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                            "Lambda-Runtime-Invoked-Function-Arn": api._function_arn,
                            "Lambda-Runtime-Trace-Id": f"Root=1-{int(time()):08x}-{uuid.uuid4().hex[:24]};"
                            f"Parent={uuid.uuid4().hex[:16]};Sampled=1",
                        },
                    )
                return self._reply(503, {"errorMessage": "the runtime API is stopping"})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                document = json.loads(body) if body else {}
                error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
                parts = self.path.removeprefix(f"{API}/").split("/")
                if parts == ["init", "error"]:
                    api._init_errors.put(Outcome("init_error", document, error_type))
                    return self._reply(202, {"status": "OK"})
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    invocation = api._running.pop(parts[1], None)
                    if invocation is None:
                        return self._reply(400, {"errorMessage": f"unknown request id {parts[1]}"})
                    invocation.outcome.put(Outcome(parts[2], document, error_type))
                    return self._reply(202, {"status": "OK"})
                return self._reply(404, {"errorMessage": f"no such path {self.path}"})

            def _reply(self, status: int, document: Any, headers: dict[str, str] | None = None) -> None:
                payload = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    @contextmanager
    def serving(self) -> Iterator[RuntimeApi]:
        """Serve on loopback until the block ends (on error and Ctrl-C too)."""
        thread = threading.Thread(target=self._server.serve_forever, name="lambda-runtime-api", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stopping.set()
            self._server.shutdown()
            self._server.server_close()
