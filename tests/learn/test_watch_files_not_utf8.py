"""The watch's own files (state and history) that are not UTF-8 are refused with our error naming the file,
never a UnicodeDecodeError from deep inside a round."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from incident_mcp.errors import WorkspaceError
from incident_mcp.watch import load_state, observed_spans
from incident_mcp.watch.history import RoundEntry, record_round
from incident_mcp.workspace import Workspace

AT = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
NOT_UTF8 = b'{"version": 1, "last_round_at": "\xff\xfe"}\n'


def test_a_state_file_that_is_not_utf8_is_refused_as_not_a_watch_state_file(tmp_path: Path) -> None:
    (tmp_path / "watch").mkdir()
    (tmp_path / "watch" / "state.json").write_bytes(NOT_UTF8)
    with pytest.raises(WorkspaceError, match=r"watch/state\.json: not a watch state file \(file is not UTF-8"):
        load_state(Workspace.at(tmp_path))


def test_a_history_month_that_is_not_utf8_is_refused_when_read_back(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path)
    record_round(ws, AT, 60, [RoundEntry("api", "up", latency_ms=40)])
    (tmp_path / "watch" / "history" / "api" / "2026-03.json").write_bytes(NOT_UTF8)
    with pytest.raises(WorkspaceError, match=r"api/2026-03\.json: not a watch history file \(file is not UTF-8"):
        observed_spans(ws, until=AT + dt.timedelta(hours=1))


def test_a_history_month_that_is_not_utf8_is_refused_before_a_round_is_added(tmp_path: Path) -> None:
    ws = Workspace.at(tmp_path)
    month = tmp_path / "watch" / "history" / "api" / "2026-03.json"
    month.parent.mkdir(parents=True)
    month.write_bytes(NOT_UTF8)
    with pytest.raises(WorkspaceError, match=r"api/2026-03\.json: not a watch history file \(file is not UTF-8"):
        record_round(ws, AT, 60, [RoundEntry("api", "up", latency_ms=40)])
    assert month.read_bytes() == NOT_UTF8
