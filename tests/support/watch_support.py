"""Real loopback helpers for the watch tests: services that flap on command, a webhook receiver that
records every POST, and a tiny SMTP sink (plain SMTP with AUTH PLAIN/LOGIN, enough for smtplib)."""

from __future__ import annotations

import base64
import contextlib
import socket
import socketserver
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FlapServer:
    """One HTTP server on 127.0.0.1; ``/<name>`` answers the code set for ``name`` (default 200)."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        farm = self

        class Handler(_Quiet):
            def do_GET(self) -> None:
                code = farm.codes.get(self.path.strip("/"), 200)
                body = b"ok\n" if code < 400 else b"failing\n"
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"

    def set(self, name: str, code: int) -> None:
        self.codes[name] = code

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """Records every POST on 127.0.0.1; ``fail`` answers 500 for the next N requests."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.fail = 0
        receiver = self

        class Handler(_Quiet):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if receiver.fail > 0:
                    receiver.fail -= 1
                    code = 500
                else:
                    receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                    code = 200
                self.send_response(code)
                self.send_header("Content-Length", "2")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def on(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    data: bytes
    auth: str = ""
    tls: bool = False


@dataclass
class SmtpSink:
    """An SMTP server on 127.0.0.1 that keeps every message (and the credentials it was given): plain, with
    STARTTLS offered (``tls`` given), or implicit TLS (``tls`` and ``implicit``)."""

    tls: ssl.SSLContext | None = None
    implicit: bool = False
    messages: list[Mail] = field(default_factory=list)

    def __post_init__(self) -> None:
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 10

            def reply(self, line: str) -> None:
                self.wfile.write((line + "\r\n").encode("ascii"))

            def secure(self) -> None:
                assert sink.tls is not None
                self.request = sink.tls.wrap_socket(self.request, server_side=True)
                self.rfile = self.request.makefile("rb")
                self.wfile = self.request.makefile("wb", buffering=0)

            def handle(self) -> None:
                mail = Mail("", [], b"")
                if sink.tls is not None and sink.implicit:
                    self.secure()
                    mail.tls = True
                self.reply("220 sink ESMTP")
                with contextlib.suppress(OSError, TimeoutError):
                    while True:
                        raw = self.rfile.readline(65536)
                        if not raw:
                            return
                        line = raw.decode("utf-8", "replace").rstrip("\r\n")
                        verb = line[:4].upper()
                        if verb == "EHLO":
                            offer = b"250-STARTTLS\r\n" if sink.tls is not None and not mail.tls else b""
                            self.wfile.write(b"250-sink\r\n" + offer + b"250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
                        elif line.upper() == "STARTTLS" and sink.tls is not None:
                            self.reply("220 go ahead")
                            self.secure()
                            mail.tls = True
                        elif verb == "HELO":
                            self.reply("250 sink")
                        elif verb == "AUTH":
                            parts = line.split()
                            if parts[1].upper() == "PLAIN":
                                token = parts[2] if len(parts) > 2 else ""
                                if not token:
                                    self.reply("334 ")
                                    token = self.rfile.readline().decode().strip()
                                mail.auth = base64.b64decode(token).decode("utf-8", "replace")
                            else:
                                self.reply("334 VXNlcm5hbWU6")
                                user = base64.b64decode(self.rfile.readline().strip()).decode()
                                self.reply("334 UGFzc3dvcmQ6")
                                mail.auth = user + "\0" + base64.b64decode(self.rfile.readline().strip()).decode()
                            self.reply("235 ok")
                        elif verb == "MAIL":
                            mail.sender = line.split(":", 1)[1].strip(" <>")
                            self.reply("250 ok")
                        elif verb == "RCPT":
                            mail.recipients.append(line.split(":", 1)[1].strip(" <>"))
                            self.reply("250 ok")
                        elif verb == "DATA":
                            self.reply("354 go ahead")
                            chunks = []
                            while True:
                                part = self.rfile.readline()
                                if part in (b".\r\n", b".\n", b""):
                                    break
                                chunks.append(part)
                            mail.data = b"".join(chunks)
                            sink.messages.append(mail)
                            mail = Mail("", [], b"", mail.auth, mail.tls)
                            self.reply("250 queued")
                        elif verb == "QUIT":
                            self.reply("221 bye")
                            return
                        else:
                            self.reply("250 ok")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True
            address_family = socket.AF_INET

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
