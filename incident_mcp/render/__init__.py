"""The Jinja2 environment for every document we generate: packaged templates, workspace overrides, a sandbox.

Lookup (``loader``): a template is found by name, first in the workspace's override folder
``templates/incident-mcp/``, then in the packaged templates; names and paths are confined.

Sandbox (``sandbox``, ``guards``, ``budget``): templates run in an immutable, strict sandbox whose every
call, loop step and growth-prone operation spends from a per-render budget of work, time, nesting and
size. Every failure becomes a ``TemplateError`` naming the template, where it came from, and the line
(``rendering``).

Managed blocks (``markdown``): ``{% call managed("name") %}…{% endcall %}`` wraps its body in a managed
block (``incident_mcp.blocks.wrap``); every ``{{ value }}`` is passed through ``neutralize`` so data can
never open or close a block.
"""

from incident_mcp.render.budget import DEFAULT_LIMITS, RenderLimitError, RenderLimits
from incident_mcp.render.guards import MAX_INT_BITS
from incident_mcp.render.loader import (
    MAX_TEMPLATE_BYTES,
    OVERRIDE_DIR,
    TemplateLoader,
    TemplateOrigin,
    check_template_name,
    packaged_templates_dir,
)
from incident_mcp.render.markdown import code_span, tidy_markdown
from incident_mcp.render.rendering import Rendered, environment_for, render, render_many
from incident_mcp.render.sandbox import TemplateEnvironment

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_INT_BITS",
    "MAX_TEMPLATE_BYTES",
    "OVERRIDE_DIR",
    "RenderLimitError",
    "RenderLimits",
    "Rendered",
    "TemplateEnvironment",
    "TemplateLoader",
    "TemplateOrigin",
    "check_template_name",
    "code_span",
    "environment_for",
    "packaged_templates_dir",
    "render",
    "render_many",
    "tidy_markdown",
]
