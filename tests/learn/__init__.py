"""Tests of what the product learns and publishes: watch, status page, changes, metrics, uptime."""
