"""Small real servers on 127.0.0.1 that answer like things a project URL may point at by
mistake: another web server's HTML 404 page (nginx's), and a server that accepts the connection
and never answers (for cancelling a check). Also keys shaped like a real project's."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt

NGINX_404 = (
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    b"<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


class _Nginx404(BaseHTTPRequestHandler):
    server_version = "nginx/1.22.1"
    sys_version = ""

    def do_GET(self) -> None:
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(NGINX_404)))
        self.end_headers()
        self.wfile.write(NGINX_404)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def html_404_server() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a web server that is not Supabase (an nginx 404 page)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Nginx404)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def silent_server() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` where the connection is accepted (by the kernel's backlog) and
    no answer ever comes."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@contextmanager
def refused_url() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` where nothing listens (the port was just freed)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    yield f"http://127.0.0.1:{port}"


def project_key(role: str, *, ref: str, secret: str, exp: int = 2_000_000_000) -> str:
    """A key shaped like a hosted project's (``iss: supabase``, its ``ref``, ``role``)."""
    return jwt.encode(
        {"iss": "supabase", "ref": ref, "role": role, "iat": 1_700_000_000, "exp": exp},
        secret,
        algorithm="HS256",
    )


def unsigned_segment(payload: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
