"""Notifications: what to say (``message``), how each channel sends it (``channels``), and the outbox that
makes delivery retried, bounded and exactly once per event (``outbox``)."""

from incident_mcp.notify.channels import Outcome, redact, secrets_of, send
from incident_mcp.notify.message import SCHEMA, NextStep, Notice
from incident_mcp.notify.outbox import OUTBOX_FILE, Delivery, deliver, enqueue, load_outbox, prune, save_outbox

__all__ = [
    "OUTBOX_FILE",
    "SCHEMA",
    "Delivery",
    "NextStep",
    "Notice",
    "Outcome",
    "deliver",
    "enqueue",
    "load_outbox",
    "prune",
    "redact",
    "save_outbox",
    "secrets_of",
    "send",
]
