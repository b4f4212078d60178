"""A full disk (ENOSPC) or a read-only file system (EROFS) gives one line and exit 2 on every write command, a
ToolError over MCP, and leaves every file as it was.

The real conditions need root (a tiny tmpfs, a read-only bind mount); without it those tests skip and the
failure is injected at the OS boundary in a subprocess instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from incident_mcp.server.app import build_server
from tests.support.checkout import EXAMPLE_COMPANY, cli_env
from tests.support.mcp_client import first_text

WRITES: list[list[str]] = [
    ["incident", "open", "--title", "API down", "--severity", "P1"],
    ["incident", "update", "INC-001", "--event", "note", "--text", "checked the logs"],
    ["incident", "update", "INC-001", "--state", "resolved", "--text", "fixed"],
    ["promote", "RFC-003", "archived"],
    ["runbook"],
    ["init"],
]


def _tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (state folder excepted: an empty lock file may appear) and its digest."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and ".incident-mcp" not in p.parts}


def _prepare(root: Path) -> None:
    shutil.copytree(EXAMPLE_COMPANY, root, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    subprocess.run([sys.executable, "-m", "incident_mcp", "incident", "open", "--title", "First", "--severity",
                    "P1", "--workspace", str(root)], env=cli_env(), check=True, capture_output=True)


def _mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True, check=False).returncode == 0


@contextlib.contextmanager
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A workspace on a 2 MB tmpfs filled to the last byte."""
    mount = tmp_path / "full"
    mount.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        root = mount / "ws"
        _prepare(root)
        with contextlib.suppress(OSError), (mount / "filler").open("wb") as filler:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        with contextlib.suppress(OSError), (mount / "filler").open("ab") as filler:
            while True:
                filler.write(b"\0")
                filler.flush()
        yield root
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@contextlib.contextmanager
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A workspace seen through a read-only bind mount."""
    root, view = tmp_path / "ws", tmp_path / "ro"
    _prepare(root)
    view.mkdir()
    if not _mount("--bind", str(root), str(view)):
        pytest.skip("cannot bind-mount here (needs root)")
    try:
        if not _mount("-o", "remount,ro,bind", str(view)):
            pytest.skip("cannot remount read-only here")
        yield view
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)


CONDITIONS: dict[str, tuple[Callable[[Path], Any], str]] = {
    "ENOSPC": (full_disk, "No space left on device"),
    "EROFS": (read_only, "Read-only file system"),
}


@pytest.mark.parametrize("condition", sorted(CONDITIONS))
def test_every_write_command_fails_in_one_line_with_exit_2_and_changes_nothing(
        tmp_path: Path, run_cli: Callable[..., Any], condition: str) -> None:
    make, reason = CONDITIONS[condition]
    with make(tmp_path) as root:
        before = _tree(root)
        for command in WRITES:
            result = run_cli(*command, "--workspace", str(root))
            assert result.returncode == 2, (command, result.stdout, result.stderr)
            assert "Traceback" not in result.stderr, (command, result.stderr)
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and reason in lines[0] and "nothing was changed" in lines[0], (command, lines)
        assert _tree(root) == before
        assert not list(root.rglob("*incident-mcp-tmp*"))


@pytest.mark.parametrize("condition", sorted(CONDITIONS))
def test_write_tools_over_mcp_give_a_tool_error_naming_the_cause(tmp_path: Path, condition: str) -> None:
    make, reason = CONDITIONS[condition]
    with make(tmp_path) as root:
        before = _tree(root)

        async def run() -> list[Any]:
            async with Client(build_server(str(root))) as client:
                return [await client.call_tool("open_incident", {"title": "DB down", "severity": "P0"}),
                        await client.call_tool("update_incident", {"incident_id": "INC-001", "event": "note",
                                                                   "text": "x"}),
                        await client.call_tool("generate_runbook", {})]

        for result in asyncio.run(run()):
            assert result.is_error and reason in first_text(result), first_text(result)
        assert _tree(root) == before


INJECT = """
import errno, os, sys
real_open = os.open
def failing_open(path, flags, *args, **kwargs):
    if "incident-mcp-tmp" in str(path):
        raise OSError(errno.{code}, os.strerror(errno.{code}), str(path))
    return real_open(path, flags, *args, **kwargs)
os.open = failing_open
from incident_mcp.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("code", ["ENOSPC", "EROFS", "EDQUOT"])
def test_a_failure_injected_at_the_os_boundary_is_one_line_and_exit_2(tmp_path: Path, code: str) -> None:
    root = tmp_path / "ws"
    _prepare(root)
    before = _tree(root)
    for command in WRITES[:4]:
        result = subprocess.run([sys.executable, "-c", INJECT.replace("{code}", code), *command,
                                 "--workspace", str(root)], env=cli_env(), capture_output=True, text=True,
                                check=False, timeout=60)
        assert result.returncode == 2 and "Traceback" not in result.stderr, (command, result.stderr)
        assert result.stderr.strip().count("\n") == 0, (command, result.stderr)
        assert "nothing was changed" in result.stderr
    assert _tree(root) == before
