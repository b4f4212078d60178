"""Tests of status checks against real loopback servers."""
