"""Shared fixtures: real workspaces in temp folders and the real CLI as a subprocess."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.checkout import EXAMPLE_COMPANY, cli_env, company_os_workspace
from tests.support.http_fixtures import ServerFarm


@pytest.fixture
def company_os_ws(tmp_path: Path) -> Path:
    """A workspace holding Company OS's own unmodified config template and example artifacts."""
    return company_os_workspace(tmp_path / "company")


@pytest.fixture
def example_ws(tmp_path: Path) -> Path:
    """A workspace holding the bundled example company (Brightdesk)."""
    root = tmp_path / "brightdesk"
    shutil.copytree(EXAMPLE_COMPANY, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m incident_mcp ARGS`` as a subprocess and capture its output."""

    def run(*args: str, cwd: Path | None = None, input: str | None = None,
            env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "incident_mcp", *args], cwd=cwd, input=input,
                              capture_output=True, text=True, env=env or cli_env(), timeout=timeout,
                              check=False)

    return run


@pytest.fixture(scope="module")
def farm() -> Iterator[ServerFarm]:
    """Real misbehaving HTTP servers on 127.0.0.1 for one test module (they stop by themselves)."""
    with ServerFarm(lifetime=180, max_hold=20) as servers:
        yield servers


@pytest.fixture(scope="module")
def base(farm: ServerFarm) -> str:
    """The base URL of the module's server farm."""
    return farm.serve()
