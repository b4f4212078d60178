"""One exception tree for the whole core, so adapters can turn any of ours into a clear message.

IncidentMCPError            base: every error we raise on purpose; ``str(err)`` is one readable line
├── ConfigError             company.config.yaml is unreadable, malformed or has a wrong value
├── CatalogError            a packaged provider catalog file is malformed (names file, entry and field)
├── WorkspaceError          no workspace found, or a path would leave it (``PathEscapeError``)
│   └── PathEscapeError     an id, slug or path that would read or write outside the workspace
├── ArtifactError           an artifact is missing, unparsable or cannot be written
│   └── ArtifactNotFoundError
├── PromotionError          a lifecycle step or gate refused the promotion
├── TemplateError           a Jinja2 template is missing, broken or misbehaved
├── IncidentError           an incident operation that makes no sense for the record's state
├── TargetError             a status-check target that is malformed or not allowed to be probed
└── LearnError              a deploy, change or metrics request that cannot be answered (bad time, unknown id)
"""

from __future__ import annotations

from pathlib import Path


class IncidentMCPError(Exception):
    """Base of every error the core raises deliberately; the message is meant for a human."""


class ConfigError(IncidentMCPError):
    """The config could not be loaded; names the file, line and field where known."""

    def __init__(self, message: str, *, file: Path | str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        where = ""
        if self.file:
            where = self.file + (f":{line}" if line else "")
        if field:
            where = f"{where} ({field})" if where else field
        super().__init__(f"{where}: {message}" if where else message)


class CatalogError(IncidentMCPError):
    """A provider catalog file is malformed, or a lookup named a provider the catalog does not have."""


class WorkspaceError(IncidentMCPError):
    """The workspace could not be found or used."""


class PathEscapeError(WorkspaceError):
    """A name or path would leave the workspace, or is not a plain relative name."""


class ArtifactError(IncidentMCPError):
    """An artifact could not be read, parsed or written."""


class ArtifactNotFoundError(ArtifactError):
    """No artifact with the given id or path exists."""


class PromotionError(IncidentMCPError):
    """A promotion was refused by the lifecycle or one of its gates."""


class TemplateError(IncidentMCPError):
    """A template is missing, does not parse, or failed while rendering."""


class IncidentError(IncidentMCPError):
    """An incident operation that is invalid for the record as it stands."""


class TargetError(IncidentMCPError):
    """A status-check target is malformed or may not be probed."""


class LearnError(IncidentMCPError):
    """A deploy record, a change lookup or a metrics request that cannot be answered as asked."""
