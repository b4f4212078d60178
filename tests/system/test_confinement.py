"""No hostile name, id or link makes the core read or write outside the workspace."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
import signal
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incident_mcp import incidents
from incident_mcp.errors import IncidentMCPError, PathEscapeError
from incident_mcp.promotion import promote
from incident_mcp.validation import validate_workspace
from incident_mcp.workspace import Workspace, atomic_write
from tests.support.crash_worker import make_workspace, probe_text

_PREFIXES = ["..", "../", "../../", "/", "//", "\\", "..\\", "C:", "c:\\", "\\\\server\\share\\", "./../",
             "artifacts/../../", "artifacts/./../", "~/", "%2e%2e/", "．．/", "\u2024\u2024/", "..\u2215",
             "\u202e../", "\u200f..", "..\u200b/", "\x00", "a\x00/../", "\ufeff../", "\u2028../", "\x85../"]
_TARGETS = ["outside.md", "etc/passwd", "company.config.yaml", "artifacts/x.md", "", "..", "INC-001-x.md"]


def hostile_corpus() -> list[str]:
    """At least 200 hostile relative paths built from traversal, absolute, Unicode and control forms."""
    corpus = {p + t for p, t in itertools.product(_PREFIXES, _TARGETS)}
    corpus |= {"artifacts/" + p + t for p, t in itertools.product(_PREFIXES[:8], _TARGETS)}
    return sorted(corpus)


def _snapshot(folder: Path) -> dict[str, str]:
    """Content hashes of every file under ``folder`` (links not followed)."""
    out: dict[str, str] = {}
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture
def fenced(tmp_path: Path) -> tuple[Workspace, Path]:
    """A workspace with an 'outside' neighbour holding a secret, plus links that point out."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("secret")
    root = tmp_path / "ws"
    (root / "artifacts" / "decision-memos").mkdir(parents=True)
    (root / "company.config.yaml").write_text("company:\n  name: X\n")
    (root / "artifacts" / "out-link").symlink_to(outside)
    (root / "artifacts" / "file-link.md").symlink_to(outside / "secret.md")
    (root / "artifacts" / "dangling.md").symlink_to(tmp_path / "nowhere" / "x.md")
    (tmp_path / "ws-evil").mkdir()
    (root / "artifacts" / "sibling").symlink_to(tmp_path / "ws-evil")
    return Workspace.at(root), tmp_path


def _try_write(ws: Workspace, rel: str) -> None:
    try:
        path = ws.path(rel)
    except PathEscapeError:
        return
    assert ws.contains(path), rel
    if path.exists() and path.is_dir():
        return
    with contextlib.suppress(OSError):  # a name the file system refuses is fine: nothing was written
        atomic_write(path, "probe")


def test_the_hostile_corpus_has_at_least_two_hundred_entries() -> None:
    assert len(hostile_corpus()) >= 200


def test_no_hostile_path_reads_or_writes_outside_the_workspace(fenced: tuple[Workspace, Path]) -> None:
    ws, top = fenced
    before = {k: v for k, v in _snapshot(top).items() if not k.startswith(str(ws.root) + os.sep)}
    links = ["artifacts/out-link/secret.md", "artifacts/file-link.md", "artifacts/dangling.md",
             "artifacts/sibling/x.md", "artifacts/out-link/new.md"]
    for rel in [*hostile_corpus(), *links]:
        _try_write(ws, rel)
    after = {k: v for k, v in _snapshot(top).items() if not k.startswith(str(ws.root) + os.sep)}
    assert after == before
    assert not (top / "nowhere").exists()


@pytest.mark.parametrize("rel", ["artifacts/out-link/secret.md", "artifacts/file-link.md",
                                 "artifacts/dangling.md", "artifacts/sibling/x.md"])
def test_links_that_lead_out_are_refused_by_name(fenced: tuple[Workspace, Path], rel: str) -> None:
    ws, _ = fenced
    with pytest.raises(PathEscapeError):
        ws.path(rel)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=80))
def test_any_text_either_is_refused_or_resolves_inside_the_workspace(
        fenced: tuple[Workspace, Path], rel: str) -> None:
    ws, _ = fenced
    try:
        path = ws.path(rel)
    except PathEscapeError:
        return
    assert ws.contains(path)


# ---- hostile ids, slugs and artifact ids through the real core functions (issue 7) ----------------------------
#
# Each call runs in a forked child with an audit hook (sys.addaudithook) that records every open, listing and
# file-system change: nothing may touch the fence (the test's temp folder) outside the workspace, even by
# reading. Every call returns or raises one of our errors; anything else is a failure.

_FS_EVENTS = {"open", "os.listdir", "os.scandir", "os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.link",
              "os.symlink", "os.truncate", "os.chmod", "os.chown", "os.utime", "shutil.copyfile", "shutil.rmtree"}


def hostile_ids(outside: Path) -> list[str]:
    """Incident ids, artifact ids and paths that try to leave the workspace or pass for a real id."""
    ids = [
        "../x", "..", ".", "", " ", "/", "//", "/etc/passwd", "C:\\x", "c:x", "\\\\server\\share\\x", "~/x",
        "%2e%2e/x", "．．/x", "..\u2215x", "\x00", "\u202e", "\u200b", "\ufeff", "\u2028", "\x85", "\ud800",
        "INC-001/../../x", "INC-001/../../../outside/INC-050-evil", "INC-001\x00", "INC-\x00001", "INC-001\x00/../x",
        "ＩＮＣ-００１", "INC-００１", "INC-٠٠١", "INC-०००१", "ınc-001", "INC‐001", "INC−001", "INC_001", "INC-001.md",
        "INC-001-seed-incident-0", "INC-001-seed-incident-0.md", "INC-" + "9" * 5000, "INC-" + "0" * 12 + "1",
        "INC-01", "INC-1", "INC-001;rm -rf ~", "INC-001\n../x", "INC-001\r\n", "INC-001/", "INC-001\\..\\x",
        "INC-001\u202e", "INC-050", "INC-050-evil", "artifacts/decision-memos/INC-050-evil.md",
        "artifacts/decision-memos/../../../outside/INC-050-evil.md", str(outside / "INC-050-evil.md"),
        "file://" + str(outside / "INC-050-evil.md"), "RFC-OUT-001", "artifacts/rfcs/RFC-OUT-001.md",
        "RFC-CRASH-0001/../../x", "artifacts/out-link/secret.md", "artifacts/out-link/../../outside/secret.md",
        "artifacts\\rfcs\\RFC-CRASH-0001-probe.md", "artifacts/rfcs/RFC-CRASH-0001-probe.md\x00.txt",
        "artifacts/rfcs/%2e%2e/%2e%2e/outside/secret.md", "artifacts/rfcs/\u202eevil.md",
    ]
    ids += [prefix + target for prefix in _PREFIXES[:12] for target in ("INC-001", "secret.md", "outside/INC-050-evil")]
    return ids


CORE_CALLS: dict[str, Callable[[Workspace, str], object]] = {
    "get_incident": lambda ws, i: incidents.get_incident(ws, i),
    "read_incident": lambda ws, i: incidents.read_incident(ws, i),
    "update_incident": lambda ws, i: incidents.update_incident(ws, i, event="note", text="probe"),
    "record_status_check": lambda ws, i: incidents.record_status_check(ws, i, "all up", overall="healthy"),
    "record_postmortem": lambda ws, i: incidents.record_postmortem(ws, i, whys=["because"]),
    "draft_communication": lambda ws, i: incidents.draft_communication(ws, "status_page", i),
    "promote": lambda ws, i: promote(ws, i, "review"),
    "validate_workspace": lambda ws, i: validate_workspace(ws, [i]),
    "open_incident(title)": lambda ws, i: incidents.open_incident(ws, title=i if i.strip() else "blank", severity="P2"),
    "open_incident(depends_on)": lambda ws, i: incidents.open_incident(ws, title="x", severity="P2", depends_on=[i]),
}


@pytest.fixture
def hostile_ws(tmp_path: Path) -> tuple[Workspace, Path]:
    """A workspace with incidents and an RFC, plus records outside it reachable only through links."""
    ws = make_workspace(tmp_path / "ws", incidents_open=2, probes=1)
    outside = tmp_path / "outside"
    outside.mkdir()
    record = next((ws.root / "artifacts" / "decision-memos").glob("INC-001-*.md")).read_text(encoding="utf-8")
    (outside / "INC-050-evil.md").write_text(record.replace("id: INC-001", "id: INC-050"), encoding="utf-8")
    (outside / "RFC-OUT-001.md").write_text(probe_text(99).replace("RFC-CRASH-0099", "RFC-OUT-001"), encoding="utf-8")
    (outside / "secret.md").write_text("secret")
    memos = ws.root / "artifacts" / "decision-memos"
    (memos / "INC-050-evil.md").symlink_to(outside / "INC-050-evil.md")
    (ws.root / "artifacts" / "rfcs" / "RFC-OUT-001.md").symlink_to(outside / "RFC-OUT-001.md")
    (ws.root / "artifacts" / "out-link").symlink_to(outside)
    return ws, tmp_path


def _run_confined(ws: Workspace, fence: Path, calls: Mapping[str, Callable[[Workspace, str], object]],
                  ids: list[str]) -> dict[str, list[str]]:
    """Run every call with every id in a forked child under an audit hook; returns what went wrong."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: hook, run, report, exit without returning into pytest
        os.close(read_end)
        try:
            watch = _FenceWatch(os.path.realpath(ws.root), os.path.realpath(fence))
            sys.addaudithook(watch)
            os.write(write_end, json.dumps(_run_calls(ws, calls, ids, watch.touched)).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 1 << 16):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    assert not os.WIFSIGNALED(status) or os.WTERMSIG(status) != signal.SIGKILL
    return dict(json.loads(b"".join(chunks)))


class _FenceWatch:
    """An audit hook that notes every file-system event on a path inside the fence but outside the workspace."""

    def __init__(self, root: str, fence: str) -> None:
        self.root, self.fence = root, fence
        self.touched: list[str] = []
        self._busy = False  # our own realpath calls raise audit events too

    def __call__(self, event: str, args: tuple[object, ...]) -> None:
        if event not in _FS_EVENTS or self._busy or not args:
            return
        self._busy = True
        try:
            for arg in args[:2]:
                path = _path_argument(arg)
                if path is None:
                    continue
                real = os.path.realpath(os.path.join(os.getcwd(), path))
                if _within(real, self.fence) and not _within(real, self.root):
                    self.touched.append(f"{event} {real}")
        finally:
            self._busy = False


def _path_argument(arg: object) -> str | None:
    """An audit event's argument as a path string, or None when it is not a usable path."""
    if isinstance(arg, bytes):
        arg = os.fsdecode(arg)
    if isinstance(arg, os.PathLike):
        arg = os.fspath(arg)
    if not isinstance(arg, str) or not arg or "\x00" in arg:
        return None
    return arg


def _within(real: str, folder: str) -> bool:
    """Whether the resolved path ``real`` is ``folder`` or inside it."""
    return real == folder or real.startswith(folder + os.sep)


def _run_calls(ws: Workspace, calls: Mapping[str, Callable[[Workspace, str], object]], ids: list[str],
               touched: list[str]) -> dict[str, list[str]]:
    """Every call with every id: which succeeded, which raised our errors or others; touches named by call."""
    report: dict[str, list[str]] = {"touched": touched, "other": [], "ok": [], "ours": []}
    for name, call in calls.items():
        for ident in ids:
            before = len(touched)
            try:
                call(ws, ident)
                report["ok"].append(f"{name} {ident[:60]!r}")
            except IncidentMCPError:
                report["ours"].append(name)
            except Exception as err:
                report["other"].append(f"{name} {ident[:60]!r}: {type(err).__name__}: {str(err)[:120]}")
            if len(touched) > before:
                touched[before:] = [f"{name} {ident[:60]!r}: {t}" for t in touched[before:]]
    return report


def test_hostile_ids_passed_to_the_core_functions_never_touch_anything_outside_the_workspace(
        hostile_ws: tuple[Workspace, Path]) -> None:
    ws, fence = hostile_ws
    outside_before = {k: v for k, v in _snapshot(fence).items() if not k.startswith(str(ws.root) + os.sep)}
    ids = hostile_ids(fence / "outside")
    report = _run_confined(ws, fence, CORE_CALLS, ids)
    assert report["touched"] == []
    assert report["other"] == []
    assert len(report["ok"]) + len(report["ours"]) == len(CORE_CALLS) * len(ids) >= 500
    outside_after = {k: v for k, v in _snapshot(fence).items() if not k.startswith(str(ws.root) + os.sep)}
    assert outside_after == outside_before
    # What did succeed acted on the workspace's own records: hostile titles became plain slugs inside it.
    for path in (ws.root / "artifacts" / "decision-memos").iterdir():
        assert path.is_symlink() or re.fullmatch(r"(INC-[0-9]{3}-[a-z0-9-]+|DM-[0-9]{3}-[a-z-]+)\.md", path.name)


def test_the_audit_hook_does_see_a_read_outside_the_workspace(hostile_ws: tuple[Workspace, Path]) -> None:
    ws, fence = hostile_ws
    leak = {"leaky": lambda _ws, _i: (fence / "outside" / "secret.md").read_text()}
    assert len(_run_confined(ws, fence, leak, ["x"])["touched"]) == 1


@pytest.mark.parametrize("ident", ["INC-٠٠١", "INC-００１", "ınc-001", "ＩＮＣ-００１", "INC-" + "9" * 5000],
                         ids=["arabic-indic-digits", "fullwidth-digits", "dotless-i", "fullwidth", "5000-digits"])
def test_look_alike_or_absurd_incident_ids_are_refused_not_taken_for_a_real_one(
        hostile_ws: tuple[Workspace, Path], ident: str) -> None:
    ws, _ = hostile_ws
    with pytest.raises(IncidentMCPError, match="not of the form INC-NNN"):
        incidents.get_incident(ws, ident)
    with pytest.raises(IncidentMCPError, match="not of the form INC-NNN"):
        incidents.update_incident(ws, ident, event="note", text="x")


def test_a_record_file_linked_from_outside_is_not_an_incident_but_one_linked_within_is(
        hostile_ws: tuple[Workspace, Path]) -> None:
    ws, _ = hostile_ws
    memos = ws.root / "artifacts" / "decision-memos"
    inside = ws.root / "artifacts" / "kept" / "INC-051-inside.md"
    inside.parent.mkdir()
    inside.write_text(next(memos.glob("INC-002-*.md")).read_text().replace("id: INC-002", "id: INC-051"))
    (memos / "INC-051-inside.md").symlink_to(inside)
    with pytest.raises(IncidentMCPError, match="no incident INC-050"):
        incidents.get_incident(ws, "INC-050")
    assert incidents.get_incident(ws, "INC-051").id == "INC-051"
    assert [s.id for s in incidents.list_incidents(ws).incidents] == ["INC-051", "INC-002", "INC-001"]


def test_a_state_folder_linked_out_of_the_workspace_is_refused_and_nothing_written_there(
        hostile_ws: tuple[Workspace, Path]) -> None:
    ws, fence = hostile_ws
    elsewhere = fence / "state-elsewhere"
    elsewhere.mkdir()
    state = ws.root / ".incident-mcp"
    if state.exists():
        for child in state.iterdir():
            child.unlink()
        state.rmdir()
    state.symlink_to(elsewhere)
    with pytest.raises(IncidentMCPError, match="outside the workspace"):
        incidents.update_incident(ws, "INC-001", event="note", text="x")
    with pytest.raises(IncidentMCPError, match="outside the workspace"):
        promote(ws, "RFC-CRASH-0001", "review")
    assert list(elsewhere.iterdir()) == []
