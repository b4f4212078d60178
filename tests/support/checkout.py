"""Where this checkout and its test data are, and the environment that runs its CLI from here."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
COMPANY_OS = FIXTURES / "company-os"
EXAMPLE_COMPANY = REPO / "incident_mcp" / "example_company"


def cli_env(**extra: str) -> dict[str, str]:
    """Environment for running the CLI from this checkout, whether or not it is installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("INCIDENT_MCP_WORKSPACE", None)
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def stack_workspace(root: Path, stack: str) -> Path:
    """A workspace at ``root`` holding only the config of the fixture company ``stack`` (``blank``: Company OS's)."""
    root.mkdir()
    source = COMPANY_OS if stack == "blank" else FIXTURES / "stacks" / stack
    shutil.copy(source / "company.config.yaml", root / "company.config.yaml")
    return root


def company_os_workspace(root: Path) -> Path:
    """A workspace at ``root`` holding Company OS's own unmodified config template and example artifacts."""
    root.mkdir(parents=True)
    shutil.copy(COMPANY_OS / "company.config.yaml", root / "company.config.yaml")
    shutil.copytree(COMPANY_OS / "artifacts", root / "artifacts")
    return root
