"""Sending one notice to one channel: generic webhook, Slack, Discord, ntfy (HTTP POST) and email (SMTP).

Each send is bounded by the channel's timeout and never raises: it returns an outcome whose text has every
secret (URL, token, password read from the environment) replaced by ``***``, so it is safe to log and store.
"""

from __future__ import annotations

import asyncio
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage

import httpx

from incident_mcp import __version__
from incident_mcp.config import NotifyChannel
from incident_mcp.notify.message import Notice

USER_AGENT = f"incident-mcp/{__version__} (notify)"


@dataclass(frozen=True)
class Outcome:
    """How one delivery went: ``ok``, and a one-line detail free of secrets."""

    channel: str
    ok: bool
    detail: str
    retry: bool = True  # worth trying again (False: the config is wrong, retrying will not help)


class MissingSecret(Exception):
    """An environment variable the channel names is not set."""


def _env(name: str, env: Mapping[str, str]) -> str:
    value = env.get(name, "")
    if not value:
        raise MissingSecret(f"environment variable {name} is not set")
    return value


def secrets_of(channel: NotifyChannel, env: Mapping[str, str] | None = None) -> list[str]:
    """The secret values this channel uses (for redaction); unset ones are skipped."""
    env = os.environ if env is None else env
    names = [channel.url_env, channel.token_env, channel.password_env]
    return [env[n] for n in names if n and env.get(n)]


def redact(text: str, secrets: list[str]) -> str:
    """``text`` with every secret value (and its host-less tail) replaced by ``***``."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


async def _post(channel: NotifyChannel, url: str, *, json_body: object | None = None, content: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> tuple[bool, str]:
    timeout = httpx.Timeout(channel.timeout_seconds)
    sent_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        async with asyncio.timeout(channel.timeout_seconds):  # whole request, not per read
            response = await client.post(url, json=json_body, content=content, headers=sent_headers)
    ok = 200 <= response.status_code < 300
    return ok, f"HTTP {response.status_code}"


def _url(channel: NotifyChannel, env: Mapping[str, str]) -> str:
    return channel.url or _env(channel.url_env, env)


async def _send_http(channel: NotifyChannel, notice: Notice, env: Mapping[str, str]) -> tuple[bool, str]:
    url = _url(channel, env)
    auth = {"Authorization": f"Bearer {_env(channel.token_env, env)}"} if channel.token_env else {}
    if channel.type == "webhook":
        return await _post(channel, url, json_body=notice.webhook_payload(),
                           headers={**auth, "Idempotency-Key": notice.event_id, "X-Incident-Mcp-Event": notice.event})
    if channel.type == "slack":
        return await _post(channel, url, json_body={"text": notice.plain()})
    if channel.type == "discord":
        return await _post(channel, url, json_body={"content": notice.discord_content()})
    return await _post(channel, url, content=notice.plain().encode("utf-8"),
                       headers={**auth, **notice.ntfy_headers(), "Content-Type": "text/plain; charset=utf-8"})


def _send_email(channel: NotifyChannel, notice: Notice, env: Mapping[str, str]) -> tuple[bool, str]:
    password = _env(channel.password_env, env) if channel.password_env else ""
    message = EmailMessage()
    message["Subject"] = " ".join(notice.headline.split())[:250]  # the email policy encodes non-ASCII itself
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.to)
    message["Message-ID"] = f"<{notice.event_id.replace(':', '.')}@incident-mcp>"
    message["X-Incident-Mcp-Event"] = notice.event
    message.set_content(notice.plain())
    timeout = channel.timeout_seconds
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if channel.security == "tls":
        smtp = smtplib.SMTP_SSL(channel.host, channel.smtp_port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(channel.host, channel.smtp_port, timeout=timeout)
    with smtp:
        if channel.security == "starttls":
            smtp.starttls(context=context)
        if channel.username and password:
            smtp.login(channel.username, password)
        refused = smtp.send_message(message)
    if refused:
        return False, f"refused recipients: {', '.join(sorted(refused))}"
    return True, f"accepted by {channel.host}:{channel.smtp_port}"


async def send(channel: NotifyChannel, notice: Notice, env: Mapping[str, str] | None = None) -> Outcome:
    """Deliver ``notice`` on ``channel`` within its timeout; never raises."""
    env = os.environ if env is None else env
    secrets = secrets_of(channel, env)
    try:
        if channel.type == "email":
            async with asyncio.timeout(channel.timeout_seconds * 2):
                ok, detail = await asyncio.to_thread(_send_email, channel, notice, env)
        else:
            ok, detail = await _send_http(channel, notice, env)
        return Outcome(channel.label, ok, redact(detail, secrets))
    except MissingSecret as err:
        return Outcome(channel.label, False, str(err), retry=True)
    except TimeoutError:
        return Outcome(channel.label, False, f"no answer within {channel.timeout_seconds:g} s")
    except (httpx.HTTPError, OSError, smtplib.SMTPException, ssl.SSLError, ValueError) as err:
        return Outcome(channel.label, False, redact(f"{type(err).__name__}: {err}"[:300], secrets))
