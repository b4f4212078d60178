"""Dependency floors stay past known vulnerabilities: every floor in pyproject.toml, every pin in constraints.txt
(what CI installs) and every installed version is at or above the first version with the fix.

Add a line to KNOWN_FIXED when an advisory lands for a dependency; the test then fails until the floor moves.
"""

from __future__ import annotations

import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.support.checkout import REPO

# package -> (first fixed version, why)
KNOWN_FIXED: dict[str, tuple[str, str]] = {
    "starlette": ("1.3.1", "CVE-2025-54121 (multipart blocking), CVE-2025-62727 (Range header DoS), "
                           "CVE-2026-48710 / GHSA-86qp-5c8j-p5mr (Host header poisons request.url), PYSEC-2026-248 "
                           "(path moves the authority of request.url), 1.3.1 FormParser limits"),
    "certifi": ("2024.7.4", "CVE-2024-39689 (GLOBALTRUST roots); the trust store of TLS health checks"),
    "jinja2": ("3.1.6", "CVE-2024-56201, CVE-2024-56326, CVE-2025-27516 (sandbox escapes)"),
    "mcp": ("2.2", "earlier 2.x kept unbounded Streamable HTTP sessions"),
    "h11": ("0.16.0", "CVE-2025-43859 (request smuggling through chunked trailers)"),
    "anyio": ("4.4", "thread-pool race fixed in 4.4.0"),
    "pyyaml": ("5.4", "CVE-2020-14343 (full_load code execution)"),
    "pydantic": ("2.4.0", "CVE-2024-3772 (email regex DoS)"),
}


def _floors() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {canonicalize_name(r.name): r for r in map(Requirement, project["dependencies"])}


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = Version(version)
    return pins


def _floor(requirement: Requirement) -> Version | None:
    lows = [Version(s.version) for s in requirement.specifier if s.operator in (">=", "==", "~=")]
    return max(lows, default=None)


@pytest.mark.parametrize("package", sorted(KNOWN_FIXED))
def test_the_floor_in_pyproject_is_past_every_known_fix(package: str) -> None:
    fixed, why = KNOWN_FIXED[package]
    requirement = _floors().get(canonicalize_name(package))
    if requirement is None:
        pytest.skip(f"{package} is not a direct dependency")
    floor = _floor(requirement)
    assert floor is not None and floor >= Version(fixed), f"{requirement}: needs >={fixed} ({why})"


@pytest.mark.parametrize("package", sorted(KNOWN_FIXED))
def test_the_constraints_ci_installs_and_the_installed_versions_are_past_every_known_fix(package: str) -> None:
    fixed, why = KNOWN_FIXED[package]
    pinned = _pins().get(canonicalize_name(package))
    assert pinned is not None and pinned >= Version(fixed), f"constraints.txt {package}=={pinned}: needs {fixed} "\
                                                            f"({why})"
    assert Version(metadata.version(package)) >= Version(fixed), f"installed {package}: needs {fixed} ({why})"


def test_every_runtime_dependency_is_pinned_in_the_constraints_and_the_pin_meets_its_floor() -> None:
    pins = _pins()
    for name, requirement in _floors().items():
        assert name in pins, f"{name} is a dependency but constraints.txt does not pin it"
        assert requirement.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} vs {requirement}"


def test_a_floor_below_a_known_fix_is_caught() -> None:
    floor = _floor(Requirement("starlette>=0.40"))
    assert floor is not None and floor < Version(KNOWN_FIXED["starlette"][0])
    assert _floor(Requirement("certifi")) is None
