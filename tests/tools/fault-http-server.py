#!/usr/bin/env python3
"""An HTTP cache in Bazel's remote-cache layout that can misbehave on demand,
for sealexec's integration tests (tests/integration/lib/servers.sh starts it).

Usage: fault-http-server.py --port N --root DIR

GET, HEAD and PUT on /cache/ac/<64 hex> and /cache/cas/<64 hex>; a PUT's body
becomes DIR/store/ac/<hex> or DIR/store/cas/<hex> (written to a temporary
file, then renamed). A GET or HEAD of anything else answers 404, a PUT 400.
Once the socket listens, DIR/ready holds the port.

Before every request the server reads DIR/fault, one line
"MODE [WHICH] [SECONDS]": WHICH (ac, cas or all, the default) picks the kind
of path faulted, SECONDS the delay of "slow" (default: $FAULT_SLOW, else 5).
Only GETs are faulted, except by status500, which answers every method.
  none            normal answers
  wrong-bytes     the body's length is right, every byte is xor 0xff
  truncated       Content-Length of the whole body (1 for an empty one), half
                  of it, then the connection closes
  status500       500 with a short body (a PUT's body is read and dropped)
  slow            sleeps SECONDS, then answers normally
  garbage-status  "HELLO\\r\\n\\r\\n" instead of a response, then closes
  huge-length     Content-Length: 10000000000, a few bytes, then closes
wrong-bytes and truncated change hits only: a missing entry stays a 404.

Each request appends "METHOD PATH STATUS" to DIR/requests.log, plus the mode
when a fault changed the answer ("-" as STATUS for garbage-status). The line
is written before the answer, so a client that got one finds it logged.
SIGTERM and SIGINT stop the server.
"""

import argparse
import os
import re
import signal
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH_RE = re.compile(r"^/cache/(ac|cas)/[0-9a-f]{64}$")
MODES = {"none", "wrong-bytes", "truncated", "status500", "slow",
         "garbage-status", "huge-length"}
XOR_FF = bytes(b ^ 0xFF for b in range(256))
CHUNK = 1 << 16


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fault-http-server"
    sys_version = ""

    def log_message(self, format, *args):  # quiet: requests.log has it all
        pass

    # --- helpers ---------------------------------------------------------

    def fault(self, kind):
        """The mode in force for this request's kind of path, and the delay."""
        try:
            with open(os.path.join(self.server.root, "fault")) as f:
                words = f.read().split()
        except FileNotFoundError:
            return "none", 0.0
        mode, which = (words or ["none"])[0], "all"
        delay = float(os.environ.get("FAULT_SLOW", "5"))
        for word in words[1:]:
            if word in ("ac", "cas", "all"):
                which = word
            else:
                delay = float(word)
        if mode not in MODES:
            sys.stderr.write(f"fault-http-server: unknown mode {mode!r}\n")
            mode = "none"
        if which not in ("all", kind):
            mode = "none"
        return mode, delay

    def record(self, status, mode=None):
        line = f"{self.command} {self.path} {status}"
        if mode:
            line += f" {mode}"
        with self.server.log_lock:
            with open(os.path.join(self.server.root, "requests.log"), "a") as f:
                f.write(line + "\n")

    def answer(self, status, body=b"", mode=None, length=None, close=False):
        self.record(status, mode)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def body_chunks(self):
        """The request body, by Content-Length or chunked encoding."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                yield self.rfile.read(size)
                self.rfile.readline()
        left = int(self.headers.get("Content-Length", "0"))
        while left > 0:
            data = self.rfile.read(min(left, CHUNK))
            if not data:
                raise ConnectionError("request body cut short")
            left -= len(data)
            yield data

    def target(self):
        """(kind, file) for a valid cache path, else (None, None)."""
        m = PATH_RE.match(self.path)
        if not m:
            return None, None
        return m.group(1), os.path.join(self.server.root, "store", self.path[len("/cache/"):])

    # --- methods ---------------------------------------------------------

    def do_PUT(self):
        kind, file = self.target()
        mode = self.fault(kind)[0] if kind else "none"
        if not kind or mode == "status500":
            for _ in self.body_chunks():
                pass
            if not kind:
                return self.answer(400, b"bad path\n")
            return self.answer(500, b"injected failure\n", mode)
        os.makedirs(os.path.dirname(file), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(file), prefix=".put-")
        try:
            with os.fdopen(fd, "wb") as f:
                for data in self.body_chunks():
                    f.write(data)
            existed = os.path.exists(file)
            os.replace(tmp, file)
        except BaseException:
            os.unlink(tmp)
            raise
        self.answer(204 if existed else 201)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        kind, file = self.target()
        if not kind:
            return self.answer(404, b"not found\n")
        mode, delay = self.fault(kind)
        if self.command == "HEAD" and mode != "status500":
            mode = "none"
        if mode == "status500":
            return self.answer(500, b"injected failure\n", mode)
        if mode == "slow":
            time.sleep(delay)
        if mode == "garbage-status":
            self.record("-", mode)
            self.close_connection = True
            self.wfile.write(b"HELLO\r\n\r\n")
            return
        if mode == "huge-length":
            return self.answer(200, b"0123456789", mode, length=10000000000, close=True)
        try:
            with open(file, "rb") as f:
                body = f.read()
        except FileNotFoundError:
            return self.answer(404, b"not found\n", mode if mode == "slow" else None)
        if mode == "wrong-bytes":
            return self.answer(200, body.translate(XOR_FF), mode)
        if mode == "truncated":
            return self.answer(200, body[: len(body) // 2], mode,
                               length=max(len(body), 1), close=True)
        self.answer(200, body, mode if mode == "slow" else None)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # to stderr


def main():
    parser = argparse.ArgumentParser(description="fault-injecting HTTP cache")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", required=True)
    args = parser.parse_args()

    def stop(signum, frame):
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    server = Server(("127.0.0.1", args.port), Handler)
    server.root = args.root
    server.log_lock = threading.Lock()
    os.makedirs(os.path.join(args.root, "store"), exist_ok=True)
    with open(os.path.join(args.root, "ready.tmp"), "w") as f:
        f.write(f"{server.server_address[1]}\n")
    os.replace(os.path.join(args.root, "ready.tmp"), os.path.join(args.root, "ready"))
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
