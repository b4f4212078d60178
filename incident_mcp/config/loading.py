"""Reading company.config.yaml: size, bytes and encoding checks, YAML parsing, then the typed model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from incident_mcp.artifacts import SAFE_LOADER, YAMLExpansionError
from incident_mcp.config.model import CompanyConfig
from incident_mcp.config.placement import config_error
from incident_mcp.config.providers import provider_warnings
from incident_mcp.errors import ConfigError
from incident_mcp.frontmatter.reading import decode_utf8

MAX_CONFIG_BYTES = 1_000_000


@dataclass(frozen=True)
class LoadedConfig:
    """A loaded config, where it came from, and warnings that do not stop anything."""

    path: Path
    config: CompanyConfig
    warnings: tuple[str, ...]


def load_config(path: Path) -> LoadedConfig:
    """Read and parse ``company.config.yaml``."""
    return parse_config(read_config_text(path), path)


def parse_config(text: str, path: Path) -> LoadedConfig:
    """Parse config text (already read) into the typed model; errors name file, line and field."""
    root, data = _parse_yaml(text, path)
    if data is None:
        raise ConfigError("file is empty; expected the Company OS config (a mapping of sections)", file=path)
    if not isinstance(data, dict):
        raise ConfigError(f"top level is a {type(data).__name__}; expected a mapping of sections "
                          "(company:, tech_stack:, …)", file=path, line=1)
    try:
        config = CompanyConfig.model_validate(data)
    except ValidationError as err:
        raise config_error(err, root, path) from None
    return LoadedConfig(path=path, config=config, warnings=tuple(provider_warnings(config)))


def _parse_yaml(text: str, path: Path) -> tuple[yaml.Node | None, Any]:
    """The YAML node tree (for error lines) and the data; ConfigError with the line of a syntax error."""
    try:
        root = yaml.compose(text, Loader=SAFE_LOADER)
        data = yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        what = "YAML refused" if isinstance(err, YAMLExpansionError) else "YAML syntax error"
        raise ConfigError(f"{what}: {problem}", file=path,
                          line=mark.line + 1 if mark is not None else None) from None
    except RecursionError:
        raise ConfigError("YAML is nested too deeply", file=path) from None
    return root, data


def read_config_text(path: Path) -> str:
    """The file's text, refused when missing, too large, binary or not UTF-8 (the message says which byte)."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ConfigError("file not found; create it from the Company OS template", file=path) from None
    except OSError as err:
        raise ConfigError(f"cannot read: {err.strerror}", file=path) from None
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(f"file is {size:,} bytes; the limit is {MAX_CONFIG_BYTES:,}", file=path)
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise ConfigError("file is binary (contains NUL bytes), not YAML", file=path)
    return decode_utf8(raw, lambda reason: ConfigError(f"file is {reason}", file=path))
