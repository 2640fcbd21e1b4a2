"""The built site served on loopback as a web host serves it: compressed, kept-alive.

Browser tests, the benchmark and ``make pdf`` load the site over HTTP (browsers refuse ES-module
imports, Mermaid's, from file:// URLs, and Pagefind needs HTTP). Python's own http.server sends
every file as it is on disk; a web host such as Read the Docs sends HTML, CSS, JavaScript and
JSON gzip-compressed, and a browser's timing and byte counts depend on it (Lighthouse put the
first paint of every page at 1.8-2.0 s uncompressed against 1.2 s compressed). So files of
those types go gzip-compressed when the browser accepts it, over HTTP/1.1 connections kept
alive; images and Pagefind's index files (gzip already inside) go as they are.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import io
import os
import socketserver
import sys
import threading
from pathlib import Path

COMPRESSED_TYPES = ("text/", "application/javascript", "application/json", "application/xml", "image/svg+xml")


class _Handler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # The headers and the body go out in two writes; with Nagle's algorithm on, a small body then
    # waits for the browser's delayed ACK of the headers: about 40 ms per small file, which no
    # web host adds (it put 50 ms on every Pagefind request of a search).
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:
        pass

    def send_head(self):
        path = self.translate_path(self.path)
        kind = self.guess_type(path)
        if (
            not os.path.isfile(path)
            or "gzip" not in self.headers.get("Accept-Encoding", "")
            or not kind.startswith(COMPRESSED_TYPES)
        ):
            return super().send_head()
        with open(path, "rb") as file:
            body = gzip.compress(file.read(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return io.BytesIO(body)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        """Quiet about browsers that drop a connection mid-response (Lighthouse does, between
        its passes); anything else is printed as usual."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(directory: Path):
    """Serve ``directory`` on a free loopback port, from a background thread, until the block
    ends: yields the base URL (``http://127.0.0.1:PORT``, no trailing slash)."""
    server = _Server(("127.0.0.1", 0), functools.partial(_Handler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
