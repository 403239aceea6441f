"""A real HTTP server on loopback that speaks the OpenAI chat-completions protocol, scripted by
the test: each request takes the next behaviour (an answer, a status code, a delay). The
generator's real client code (httpx, tenacity, pybreaker) talks to it over TCP."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int = 200
    content: str = ""
    delay_s: float = 0.0


class ChatServer:
    """``script`` replies in order; when it runs out, ``then`` answers every request."""

    def __init__(self, then: Reply) -> None:
        self.script: deque[Reply] = deque()
        self.then = then
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with server._lock:
                    server.requests.append({"path": self.path, "body": body})
                    reply = server.script.popleft() if server.script else server.then
                time.sleep(reply.delay_s)
                payload = (
                    {"choices": [{"message": {"role": "assistant", "content": reply.content}}]}
                    if reply.status == 200
                    else {"error": {"message": "scripted failure"}}
                )
                data = json.dumps(payload).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout the test asked for)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
