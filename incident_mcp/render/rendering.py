"""Rendering: the cached environment per workspace, ``render``/``render_many``, and one-line error messages.

Each render runs with its own budget (``incident_mcp.render.budget``), its output streamed and capped;
every failure becomes a ``TemplateError`` naming the template, where it came from, and the line.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.exceptions import SecurityError, TemplateNotFound, UndefinedError

from incident_mcp.errors import TemplateError
from incident_mcp.render.budget import _STATE, DEFAULT_LIMITS, RenderLimitError, RenderLimits, _RenderState
from incident_mcp.render.loader import (
    OVERRIDE_DIR,
    TemplateLoader,
    TemplateOrigin,
    TemplateSourceError,
    packaged_templates_dir,
)
from incident_mcp.render.sandbox import TemplateEnvironment
from incident_mcp.workspace import Workspace

_ENVIRONMENTS: dict[tuple[Path | None, Path], TemplateEnvironment] = {}
_ENVIRONMENTS_LOCK = threading.Lock()
_MAX_ENVIRONMENTS = 16


def environment_for(workspace: Workspace | None) -> TemplateEnvironment:
    """The cached environment for a workspace (``None``: packaged templates only)."""
    key = (workspace.root if workspace is not None else None, packaged_templates_dir())
    with _ENVIRONMENTS_LOCK:
        env = _ENVIRONMENTS.get(key)
        if env is None:
            if len(_ENVIRONMENTS) >= _MAX_ENVIRONMENTS:
                _ENVIRONMENTS.pop(next(iter(_ENVIRONMENTS)))
            env = TemplateEnvironment(TemplateLoader(workspace, key[1]))
            _ENVIRONMENTS[key] = env
        return env


@dataclass
class Rendered:
    """A rendered document and the managed blocks it produced, in order."""

    text: str
    block_names: list[str]


def render(workspace: Workspace | None, name: str, context: Mapping[str, Any], *,
           limits: RenderLimits = DEFAULT_LIMITS) -> Rendered:
    """Render template ``name`` with ``context``; any failure is a TemplateError naming template and line."""
    return next(render_many(workspace, name, [context], limits=limits))


def render_many(workspace: Workspace | None, name: str, contexts: Iterable[Mapping[str, Any]], *,
                limits: RenderLimits = DEFAULT_LIMITS) -> Iterator[Rendered]:
    """Render template ``name`` once per context (a page per incident), each render bounded on its own.

    The template and its includes are found and checked for changes once for the whole batch, not once per
    render: with hundreds of pages that check, not the rendering, was most of the time.
    """
    env = environment_for(workspace)
    fresh: dict[str, bool] = {}
    template = None
    for context in contexts:
        state = _RenderState(limits, time.monotonic() + limits.deadline_seconds, fresh=fresh)
        token = _STATE.set(state)
        chunks: list[str] = []
        total = 0
        try:
            if template is None:
                template = env.get_template(name)
            for chunk in template.generate(dict(context)):
                total += len(chunk)
                if total > limits.max_output_chars:
                    raise RenderLimitError(f"the output is longer than {limits.max_output_chars:,} characters")
                chunks.append(chunk)
        except (Exception, RecursionError) as err:
            raise _describe(err, env.template_loader, workspace, name) from None
        finally:
            _STATE.reset(token)
        yield Rendered("".join(chunks), list(state.block_names))


def _describe(err: BaseException, loader: TemplateLoader, workspace: Workspace | None, name: str) -> TemplateError:
    """One-line error: which template (override or packaged), which line, what went wrong."""
    if isinstance(err, TemplateSourceError):
        return err
    origin: TemplateOrigin | None = None
    line: int | None = None
    if isinstance(err, TemplateSyntaxError):
        origin = loader.origins.get(err.filename or "")
        line = err.lineno
        message = f"syntax error: {err.message}"
    else:
        for frame in reversed(traceback.extract_tb(err.__traceback__)):
            if frame.filename in loader.origins:
                origin, line = loader.origins[frame.filename], frame.lineno
                break
        message = _message(err)
    if origin is None and isinstance(err, TemplateNotFound):
        return TemplateError(message)
    where = origin.describe(workspace) if origin is not None else f"template {name!r}"
    if line:
        where += f", line {line}"
    error_type = RenderLimitError if isinstance(err, RenderLimitError | RecursionError | MemoryError) else TemplateError
    return error_type(f"{where}: {message}")


# How each kind of failure reads, first match wins (TemplateNotFound and RenderLimitError are subclasses of others).
_MESSAGES: tuple[tuple[type[BaseException], Callable[[Any], str]], ...] = (
    (RecursionError, lambda err: "recursion too deep (a template that includes or calls itself?)"),
    (MemoryError, lambda err: "ran out of memory"),
    (TemplateNotFound,
     lambda err: f"template {err.name!r} not found (looked in {OVERRIDE_DIR}/ and the packaged templates)"),
    (SecurityError, lambda err: f"not allowed in the sandbox: {err}"),
    (UndefinedError, lambda err: f"{err.message} (misspelt variable, or a value the context does not provide)"),
    (TemplateError, str),
)


def _message(err: BaseException) -> str:
    """What went wrong, in words; an unexpected exception is named by its type."""
    for kind, describe in _MESSAGES:
        if isinstance(err, kind):
            return describe(err)
    text = str(err) or type(err).__name__
    return f"{type(err).__name__}: {text}"
