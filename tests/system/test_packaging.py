"""The built wheel carries everything the product needs: templates, tools, skill, example company."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.checkout import REPO


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package built as a wheel and installed (without dependencies) into a private folder."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(REPO)], check=True, capture_output=True)
    wheel = next(out.glob("incident_mcp-*.whl"))
    site = out / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                    str(wheel)], check=True, capture_output=True)
    return site


def test_the_wheel_contains_templates_tools_skill_and_the_example_company(installed: Path) -> None:
    package = installed / "incident_mcp"
    assert (package / "example_company" / "company.config.yaml").is_file()
    assert any((package / "_bundled" / "templates").glob("*.j2"))
    assert (package / "_bundled" / "tools" / "ops" / "status-check.sh").is_file()
    assert (package / "_bundled" / "tools" / "artifact" / "validate.sh").is_file()
    assert (package / "_bundled" / "SKILL.md").is_file()


def test_the_demo_runs_from_the_installed_wheel_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(installed)
    env["NO_COLOR"] = "1"
    done = subprocess.run([sys.executable, "-m", "incident_mcp", "demo", "--into", str(tmp_path / "demo")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Brightdesk" in done.stdout
