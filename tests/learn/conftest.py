"""Fixtures of the watch tests: a loopback service that flaps on command, real webhook and SMTP receivers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.watch_support import FlapServer, SmtpSink, WebhookReceiver


@pytest.fixture(scope="module")
def flap() -> Iterator[FlapServer]:
    server = FlapServer()
    yield server
    server.close()


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    sink.close()
