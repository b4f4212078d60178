"""validate_artifacts inputs are bounded and de-duplicated before anything is walked: the same folder given a
thousand times (or by another spelling, a link, or under a folder already given) is walked once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from incident_mcp.artifacts import iter_markdown_files
from incident_mcp.errors import ArtifactError
from incident_mcp.server.app import build_server
from incident_mcp.validation import targets, validate_workspace
from incident_mcp.workspace import Workspace


@pytest.fixture
def walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []

    def counting(ws: Workspace, root: Path) -> Iterator[Path]:
        seen.append(root.name)
        return iter_markdown_files(ws, root)

    monkeypatch.setattr(targets, "iter_markdown_files", counting)
    return seen


def test_the_same_folder_a_thousand_times_is_walked_once(example_ws: Path, walks: list[str]) -> None:
    ws = Workspace.at(example_ws)
    whole = validate_workspace(ws, ["artifacts/"])
    walks.clear()
    report = validate_workspace(ws, ["artifacts/"] * 1000)
    assert len(walks) == 1
    assert report.files_checked == whole.files_checked
    assert [f.file for f in report.files] == [f.file for f in whole.files]


def test_links_spellings_and_subfolders_of_a_walked_folder_add_no_walk(example_ws: Path, walks: list[str]) -> None:
    for i in range(20):
        (example_ws / f"view{i}").symlink_to("artifacts")
    paths = ["artifacts/", "artifacts/rfcs/", "artifacts/rfcs", *(f"view{i}/" for i in range(20)),
             "RFC-001", "artifacts/rfcs/RFC-001-billing-stripe.md"]
    report = validate_workspace(Workspace.at(example_ws), paths)
    assert len(walks) == 1
    assert len({f.file for f in report.files}) == len(report.files)


def test_more_than_a_thousand_paths_are_refused_before_any_walk(example_ws: Path, walks: list[str]) -> None:
    with pytest.raises(ArtifactError, match="1,001 paths given; at most 1,000"):
        validate_workspace(Workspace.at(example_ws), [f"artifacts/x{i}" for i in range(1001)])
    assert walks == []


def test_the_mcp_tool_checks_each_file_once_however_often_its_folder_is_named(example_ws: Path) -> None:
    async def run() -> Any:
        async with Client(build_server(str(example_ws), read_only=True)) as client:
            return await client.call_tool("validate_artifacts", {"paths": ["artifacts/"] * 1000})

    result = asyncio.run(run())
    assert not result.is_error
    files = len(list((example_ws / "artifacts").rglob("*.md")))
    assert result.structured_content["files_checked"] == files
