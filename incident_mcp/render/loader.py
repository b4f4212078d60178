"""Finding and reading templates: workspace overrides first, then the packaged folder, every path confined.

A template is found by name, first in the workspace's override folder ``templates/incident-mcp/``
(committed with the company's repository, so an override is reviewed like any other file;
``.incident-mcp/`` is not used because it is git-ignored), then in the packaged folder:
``incident_mcp/_bundled/templates`` in an installed wheel, ``<repo>/templates`` in a source checkout.
A name is a relative path of plain segments (``runbook/severity.md.j2``): no ``..``, no absolute
paths, no hidden segments; an override that is a link leading out of the override folder, or an
override folder that leads out of the workspace, is refused.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader
from jinja2.exceptions import TemplateNotFound

from incident_mcp.errors import PathEscapeError, TemplateError
from incident_mcp.frontmatter.reading import decode_utf8
from incident_mcp.render.budget import _STATE
from incident_mcp.workspace import Workspace

OVERRIDE_DIR = "templates/incident-mcp"


class TemplateSourceError(TemplateError):
    """A template that cannot be used as found; the message already names it and where it was looked up."""
MAX_TEMPLATE_BYTES = 256 * 1024
_NAME_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")


def packaged_templates_dir() -> Path:
    """The packaged templates: ``_bundled/templates`` in a wheel, else ``<repo>/templates`` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_bundled" / "templates", package.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise TemplateError("the packaged templates are missing (neither incident_mcp/_bundled/templates nor "
                        "templates/ next to the package); reinstall incident-mcp")


def check_template_name(name: str) -> tuple[str, ...]:
    """Split a template name into plain segments, refusing anything that could leave the template folder."""
    if not isinstance(name, str) or not name or len(name) > 300:
        raise TemplateError(f"template name {name!r} is empty or too long")
    parts = tuple(name.split("/"))
    for part in parts:
        if not _NAME_SEGMENT.match(part) or part in (".", ".."):
            raise TemplateError(f"template name {name!r} is not a plain relative name "
                                "(letters, digits, '_', '.', '-' and '/'; no '..', no hidden or absolute paths)")
    return parts


@dataclass(frozen=True)
class TemplateOrigin:
    """Where a template was loaded from, for error messages and listings."""

    name: str
    path: Path
    override: bool

    def describe(self, workspace: Workspace | None) -> str:
        """'template 'x' (workspace override templates/incident-mcp/x)' or '… (packaged)'."""
        if self.override and workspace is not None:
            return f"template {self.name!r} (workspace override {workspace.rel(self.path)})"
        return f"template {self.name!r} (packaged)"


class TemplateLoader(BaseLoader):
    """Workspace overrides first, then the packaged folder; every path confined to its folder."""

    def __init__(self, workspace: Workspace | None, packaged: Path) -> None:
        self.workspace = workspace
        self.packaged = packaged.resolve()
        self.origins: dict[str, TemplateOrigin] = {}
        self._lock = threading.Lock()

    def override_root(self) -> Path | None:
        """The workspace override folder if it exists (confined to the workspace)."""
        if self.workspace is None:
            return None
        try:
            root = self.workspace.path(OVERRIDE_DIR)
        except PathEscapeError:
            raise TemplateError(f"the template override folder {OVERRIDE_DIR}/ leads outside the workspace") from None
        return root.resolve() if root.is_dir() else None

    def _find(self, name: str) -> TemplateOrigin:
        parts = check_template_name(name)
        root = self.override_root()
        if root is not None:
            candidate = root.joinpath(*parts)
            if candidate.is_symlink() or candidate.exists():
                resolved = candidate.resolve()
                if root not in resolved.parents:
                    raise TemplateSourceError(f"override template {name!r} is a link leading outside {OVERRIDE_DIR}/")
                if not resolved.is_file():
                    raise TemplateSourceError(f"override template {name!r} ({OVERRIDE_DIR}/{name}) is not a file")
                return TemplateOrigin(name, resolved, True)
        candidate = self.packaged.joinpath(*parts)
        if candidate.is_file() and self.packaged in candidate.resolve().parents:
            return TemplateOrigin(name, candidate.resolve(), False)
        raise TemplateNotFound(name)

    def get_source(self, environment: Any, template: str) -> tuple[str, str, Callable[[], bool]]:
        """Source text, file name and an up-to-date check that also notices a new or removed override."""
        origin = self._find(template)
        try:
            with origin.path.open("rb") as handle:
                raw = handle.read(MAX_TEMPLATE_BYTES + 1)
            stat = origin.path.stat()
        except OSError as err:
            raise TemplateSourceError(f"{origin.describe(self.workspace)} cannot be read: {err.strerror}") from None
        if len(raw) > MAX_TEMPLATE_BYTES:
            raise TemplateSourceError(f"{origin.describe(self.workspace)} is larger than {MAX_TEMPLATE_BYTES:,} bytes")
        source = decode_utf8(raw, lambda reason: TemplateSourceError(f"{origin.describe(self.workspace)} is {reason}"))
        with self._lock:
            self.origins[str(origin.path)] = origin
        signature = (stat.st_mtime_ns, stat.st_size)

        def uptodate() -> bool:
            state = _STATE.get()
            if state is not None:  # one check per template per render (includes in loops ask many times)
                known = state.fresh.get(template)
                if known is None:
                    known = state.fresh[template] = check()
                return known
            return check()

        def check() -> bool:
            try:
                current = self._find(template)
                now = current.path.stat()
            except (TemplateError, TemplateNotFound, OSError):
                return False
            return current.path == origin.path and (now.st_mtime_ns, now.st_size) == signature

        return source, str(origin.path), uptodate

    def list_templates(self) -> list[str]:
        """Every template name available (packaged and overrides)."""
        names = {p.relative_to(self.packaged).as_posix() for p in self.packaged.rglob("*.j2") if p.is_file()}
        root = self.override_root()
        if root is not None:
            names |= {p.relative_to(root).as_posix() for p in root.rglob("*.j2")
                      if p.is_file() and root in p.resolve().parents}
        return sorted(names)

