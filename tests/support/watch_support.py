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
        self.server = _SmtpServer(self)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _SmtpServer(socketserver.ThreadingTCPServer):
    """The sink's listening socket; each connection gets an ``_SmtpSession``."""

    allow_reuse_address = True
    daemon_threads = True
    address_family = socket.AF_INET

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink
        super().__init__(("127.0.0.1", 0), _SmtpSession)


class _SmtpSession(socketserver.StreamRequestHandler):
    """One SMTP conversation: one method per command, each saying whether the conversation goes on."""

    timeout = 10
    server: _SmtpServer
    mail: Mail

    def reply(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode("ascii"))

    def secure(self) -> None:
        assert self.server.sink.tls is not None
        self.request = self.server.sink.tls.wrap_socket(self.request, server_side=True)
        self.rfile = self.request.makefile("rb")
        self.wfile = self.request.makefile("wb", buffering=0)
        self.mail.tls = True

    def handle(self) -> None:
        self.mail = Mail("", [], b"")
        if self.server.sink.tls is not None and self.server.sink.implicit:
            self.secure()
        self.reply("220 sink ESMTP")
        with contextlib.suppress(OSError, TimeoutError):
            while raw := self.rfile.readline(65536):
                if not self.command(raw.decode("utf-8", "replace").rstrip("\r\n")):
                    return

    def command(self, line: str) -> bool:
        if line.upper() == "STARTTLS" and self.server.sink.tls is not None:
            self.reply("220 go ahead")
            self.secure()
            return True
        verbs = {"EHLO": self.ehlo, "HELO": self.helo, "AUTH": self.auth, "MAIL": self.mail_from,
                 "RCPT": self.rcpt_to, "DATA": self.data, "QUIT": self.quit}
        verb = verbs.get(line[:4].upper())
        if verb is None:
            self.reply("250 ok")
            return True
        return verb(line)

    def ehlo(self, line: str) -> bool:
        offer = b"250-STARTTLS\r\n" if self.server.sink.tls is not None and not self.mail.tls else b""
        self.wfile.write(b"250-sink\r\n" + offer + b"250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
        return True

    def helo(self, line: str) -> bool:
        self.reply("250 sink")
        return True

    def auth(self, line: str) -> bool:
        parts = line.split()
        if parts[1].upper() == "PLAIN":
            token = parts[2] if len(parts) > 2 else ""
            if not token:
                self.reply("334 ")
                token = self.rfile.readline().decode().strip()
            self.mail.auth = base64.b64decode(token).decode("utf-8", "replace")
        else:
            self.reply("334 VXNlcm5hbWU6")
            user = base64.b64decode(self.rfile.readline().strip()).decode()
            self.reply("334 UGFzc3dvcmQ6")
            self.mail.auth = user + "\0" + base64.b64decode(self.rfile.readline().strip()).decode()
        self.reply("235 ok")
        return True

    def mail_from(self, line: str) -> bool:
        self.mail.sender = line.split(":", 1)[1].strip(" <>")
        self.reply("250 ok")
        return True

    def rcpt_to(self, line: str) -> bool:
        self.mail.recipients.append(line.split(":", 1)[1].strip(" <>"))
        self.reply("250 ok")
        return True

    def data(self, line: str) -> bool:
        self.reply("354 go ahead")
        chunks = []
        while (part := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
            chunks.append(part)
        self.mail.data = b"".join(chunks)
        self.server.sink.messages.append(self.mail)
        self.mail = Mail("", [], b"", self.mail.auth, self.mail.tls)
        self.reply("250 queued")
        return True

    def quit(self, line: str) -> bool:
        self.reply("221 bye")
        return False
