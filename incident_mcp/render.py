"""The Jinja2 environment for every document we generate: packaged templates, workspace overrides, a sandbox.

Lookup. A template is found by name, first in the workspace's override folder
``templates/incident-mcp/`` (committed with the company's repository, so an override is
reviewed like any other file; ``.incident-mcp/`` is not used because it is git-ignored), then in
the packaged folder: ``incident_mcp/_bundled/templates`` in an installed wheel, ``<repo>/templates``
in a source checkout. A name is a relative path of plain segments (``runbook/severity.md.j2``):
no ``..``, no absolute paths, no hidden segments; an override that is a link leading out of the
override folder, or an override folder that leads out of the workspace, is refused.

Sandbox. Templates run in an ``ImmutableSandboxedEnvironment`` with ``StrictUndefined`` (a
misspelt variable is an error, never an empty string) and no autoescaping (the output is
Markdown). Because an override is code written by whoever edits the repository (often an
agent), rendering is bounded: every call, loop step and guarded operation spends from a step
budget and is checked against a wall-clock deadline; macro and recursive-loop nesting is
capped; strings built by ``*``, ``+``, ``~``, ``%``, ``format`` and the growth-prone filters and
``str`` methods are size-checked *before* they are built; and the output is streamed and capped.
Every failure becomes a ``TemplateError`` naming the template, where it came from, and the line.

Managed blocks. ``{% call managed("name") %}…{% endcall %}`` wraps its body in a managed block
(``incident_mcp.blocks.wrap``); every ``{{ value }}`` is passed through ``neutralize`` so data
can never open or close a block.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, StrictUndefined, TemplateSyntaxError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, TemplateNotFound, UndefinedError
from jinja2.runtime import Context, LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

from incident_mcp.blocks import inline, neutralize, wrap
from incident_mcp.errors import PathEscapeError, TemplateError
from incident_mcp.workspace import Workspace

OVERRIDE_DIR = "templates/incident-mcp"
MAX_TEMPLATE_BYTES = 256 * 1024
_NAME_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
_BLOCK_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# printf-style (%10000000d, %.9999999f) and str.format-style ({:>9999999}) widths that would build huge strings.
_PRINTF_WIDE = re.compile(r"%[-#0 +]*(?:\*|\d{6,})|%[-#0 +]*\d*\.(?:\*|\d{6,})")
_FORMAT_WIDE = re.compile(r"\{[^{}]*:[^{}]*\d{6,}[^{}]*\}")


class RenderLimitError(TemplateError):
    """A template exceeded one of the render limits (work, time, nesting or size)."""


@dataclass(frozen=True)
class RenderLimits:
    """Bounds on one render; the defaults are far above what the packaged templates need."""

    max_output_chars: int = 4_000_000
    max_string_chars: int = 1_000_000
    max_steps: int = 2_000_000
    max_nesting: int = 64
    max_int_argument: int = 100_000
    deadline_seconds: float = 10.0


DEFAULT_LIMITS = RenderLimits()


@dataclass
class _RenderState:
    """Per-render counters, found through a context variable so one cached environment serves all renders."""

    limits: RenderLimits
    deadline: float
    steps: int = 0
    depth: int = 0
    block_names: list[str] = field(default_factory=list)
    fresh: dict[str, bool] = field(default_factory=dict)  # templates already checked for changes in this render

    def tick(self, amount: int = 1) -> None:
        self.steps += amount
        if self.steps > self.limits.max_steps:
            raise RenderLimitError(f"the template did more than {self.limits.max_steps:,} steps of work "
                                   "(a runaway loop?)")
        if (self.steps & 0x3FF) < amount and time.monotonic() > self.deadline:
            raise RenderLimitError(f"rendering took longer than {self.limits.deadline_seconds:g} s")


_STATE: contextvars.ContextVar[_RenderState | None] = contextvars.ContextVar("incident_mcp_render", default=None)


def _state() -> _RenderState:
    state = _STATE.get()
    if state is None:  # compile-time constant folding, or a direct use of the environment: a throwaway budget
        return _RenderState(DEFAULT_LIMITS, time.monotonic() + DEFAULT_LIMITS.deadline_seconds)
    return state


def _limits() -> RenderLimits:
    state = _STATE.get()
    return state.limits if state is not None else DEFAULT_LIMITS


def _check_size(length: int, what: str) -> None:
    limit = _limits().max_string_chars
    if length > limit:
        shown = f"{length:,}" if length < 10**18 else "more than 10^18"
        raise RenderLimitError(f"{what} would build a string of {shown} characters (limit {limit:,})")


def _check_int(value: Any, what: str) -> None:
    limit = _limits().max_int_argument
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > limit:
        raise RenderLimitError(f"{what}: argument {value:,} is larger than {limit:,}")


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, str | list | tuple) else None


# ---- filters and str methods that can grow a string far beyond their input ------------------------------


def _joined_length(items: list[Any], separator: str) -> int:
    """The length ``separator.join(items)`` would have, refused as soon as it passes the limit."""
    _state().tick(len(items) + 1)
    limit = _limits().max_string_chars
    total = len(separator) * max(len(items) - 1, 0)
    for item in items:
        total += len(item) if type(item) is str else len(str(item))
        if total > limit:
            _check_size(total, "join")
    _check_size(total, "join")
    return total


def _replaced_length(text: str, old: str, new: str, count: int | None) -> int:
    hits = len(text) + 1 if old == "" else text.count(old)
    if count is not None and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * (len(new) - len(old))


def _precheck_filter(name: str, value: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Refuse a filter call whose result would be huge; returns (possibly materialised) positional args."""
    text = value if isinstance(value, str) else None
    if name == "center":
        _check_size(int(args[0] if args else kwargs.get("width", 80)), "center")
    elif name == "indent" and text is not None:
        width = args[0] if args else kwargs.get("width", 4)
        pad = len(width) if isinstance(width, str) else int(width)
        _check_size(len(text) + pad * (text.count("\n") + 1), "indent")
    elif name == "wordwrap" and text is not None:
        width = int(args[0] if args else kwargs.get("width", 79))
        wrapstring = str(args[2] if len(args) > 2 else kwargs.get("wrapstring") or "\n")
        _check_size(len(text) + len(wrapstring) * (len(text) // max(width, 1) + 1), "wordwrap")
    elif name == "replace" and text is not None and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count")
        _check_size(_replaced_length(text, str(args[0]), str(args[1]), count), "replace")
    elif name == "format" and text is not None and _PRINTF_WIDE.search(text):
        raise RenderLimitError("format: field widths of a million or '*' widths are not allowed")
    return args


MAX_INT_BITS = 100_000  # integers a template computes with '*' and '**' (about 30,000 decimal digits)
_SMALL = 4096  # results up to this size are never checked (every limit is larger)
_GROWING_FILTERS = frozenset({"center", "indent", "wordwrap", "replace", "format", "join"})


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a filter: int arguments capped, growth checked before the call, result size checked after."""
    # pass_context / pass_eval_context / pass_environment mark a filter with ``jinja_pass_arg``: its first
    # argument is then the context, and the value filtered comes second.
    value_index = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0
    if name not in _GROWING_FILTERS:

        @functools.wraps(func)
        def light(*args: Any, **kwargs: Any) -> Any:
            _state().tick()
            if len(args) > value_index + 1 or kwargs:
                for extra in (*args[value_index + 1:], *kwargs.values()):
                    _check_int(extra, f"filter {name!r}")
            result = func(*args, **kwargs)
            if isinstance(result, str | list | tuple) and len(result) > _SMALL:
                _check_size(len(result), f"filter {name!r}")
            return result

        return light

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _state().tick()
        for extra in (*args[value_index + 1:], *kwargs.values()):
            _check_int(extra, f"filter {name!r}")
        if len(args) > value_index:
            value = args[value_index]
            if name == "join":
                items = list(value)
                separator = args[value_index + 1] if len(args) > value_index + 1 else kwargs.get("d", "")
                _joined_length(items, str(separator))
                args = (*args[:value_index], items, *args[value_index + 1:])
            else:
                rest = _precheck_filter(name, value, args[value_index + 1:], kwargs)
                args = (*args[:value_index + 1], *rest)
        result = func(*args, **kwargs)
        size = _sized(result)
        if size is not None:
            _check_size(size, f"filter {name!r}")
        return result

    return guarded


_REFUSED_STR_METHODS = frozenset({"translate", "maketrans", "expandtabs", "encode"})


def _precheck_str_method(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
    """Size-check the str methods that can grow their result; returns possibly materialised args."""
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, str):
        return args
    name = getattr(method, "__name__", "")
    if name in _REFUSED_STR_METHODS:
        raise SecurityError(f"str.{name} is not available in templates")
    if name in ("center", "ljust", "rjust", "zfill") and args:
        _check_size(int(args[0]), f"str.{name}")
    elif name == "join" and args:
        items = list(args[0])
        _joined_length(items, owner)
        return (items, *args[1:])
    elif name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 else kwargs.get("count")
        _check_size(_replaced_length(owner, str(args[0]), str(args[1]), count), "str.replace")
    return args


# ---- the environment -------------------------------------------------------------------------------------


class _GuardedCodeGenerator(CodeGenerator):
    """Compiles ``for`` loops through ``environment.guard_iter`` and ``~`` through ``environment.guard_concat``."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        if not isinstance(node.iter, nodes.Call) or not _is_guard(node.iter.node):
            node.iter = nodes.Call(nodes.EnvironmentAttribute("guard_iter", lineno=node.lineno), [node.iter], [],
                                   None, None, lineno=node.lineno)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.guard_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


def _is_guard(node: nodes.Node) -> bool:
    return isinstance(node, nodes.EnvironmentAttribute) and node.name == "guard_iter"


def _finalize(value: Any) -> str:
    """Every ``{{ value }}``: as text, with anything that looks like a managed-block marker defused."""
    text = value if type(value) is str else str(value)
    return neutralize(text) if "<!--" in text else text


class TemplateEnvironment(ImmutableSandboxedEnvironment):
    """The sandboxed, bounded environment; one per workspace, cached, templates compiled once."""

    code_generator_class = _GuardedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, loader: TemplateLoader) -> None:
        super().__init__(loader=loader, undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
                         trim_blocks=True, lstrip_blocks=True, finalize=_finalize, auto_reload=True,
                         cache_size=200)
        self.template_loader = loader
        self.filters = {name: _guard_filter(name, func) for name, func in self.filters.items()}
        self.filters["inline"] = _guard_filter("inline", _inline_filter)
        self.filters["neutralize"] = _guard_filter("neutralize", _neutralize_filter)
        self.filters["line"] = _guard_filter("line", _line_filter)
        self.filters["code"] = _guard_filter("code", code_span)
        self.globals["range"] = _guarded_range
        self.globals["managed"] = _managed

    # -- hooks the compiled template calls --

    def guard_iter(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """Every loop step spends from the budget, so nested loops cannot run for ever."""
        state = _state()
        for item in iterable:
            state.tick()
            yield item

    def guard_concat(self, parts: tuple[Any, ...]) -> str:
        """``a ~ b``: refused before building when the result would be too large."""
        texts = [part if isinstance(part, str) else str(part) for part in parts]
        _check_size(sum(len(t) for t in texts), "'~' concatenation")
        _state().tick()
        return "".join(texts)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """``*``, ``**``, ``+`` and ``%``: refused before they build something huge."""
        _state().tick()
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                size = _sized(seq)
                if size is not None and isinstance(count, int):
                    _check_size(size * max(count, 0), "'*' repetition")
            if isinstance(left, int) and isinstance(right, int) \
                    and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise RenderLimitError(f"'*' would build an integer with more than {MAX_INT_BITS:,} bits")
        elif operator == "**":
            if isinstance(right, int) and abs(right) > 10_000 and isinstance(left, int | float) and abs(left) > 1:
                raise RenderLimitError(f"'**' exponent {right:,} is larger than 10,000")
            # (9 ** 9999) ** 9999 passes the exponent check but would take minutes: bound the result's size.
            if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1 \
                    and (abs(left).bit_length() - 1) * right > MAX_INT_BITS:
                raise RenderLimitError(f"'**' would build an integer with more than {MAX_INT_BITS:,} bits")
        elif operator == "+":
            left_size, right_size = _sized(left), _sized(right)
            if left_size is not None and right_size is not None:
                _check_size(left_size + right_size, "'+' concatenation")
        elif operator == "%" and isinstance(left, str):
            if _PRINTF_WIDE.search(left):
                raise RenderLimitError("'%' formatting: field widths of a million or '*' widths are not allowed")
            result = self.binop_table[operator](left, right)
            _check_size(len(result), "'%' formatting")
            return result
        return self.binop_table[operator](left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Every call spends from the budget; macro and recursive-loop nesting is capped; str growth checked."""
        state = _state()
        state.tick()
        args = _precheck_str_method(__obj, args, kwargs)
        if isinstance(__obj, Macro | LoopContext):
            if state.depth >= state.limits.max_nesting:
                raise RenderLimitError(f"macro calls or recursive loops nested deeper than {state.limits.max_nesting}")
            state.depth += 1
            try:
                return super().call(__context, __obj, *args, **kwargs)
            finally:
                state.depth -= 1
        result = super().call(__context, __obj, *args, **kwargs)
        size = _sized(result)
        if size is not None:
            _check_size(size, "a call")
        return result

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attr``: a fast path for the plain data we pass (dict keys, dataclass fields), else the sandbox's."""
        if attribute[:1] != "_":
            kind = type(obj)
            if kind is dict and attribute in obj and attribute not in _DICT_ATTRIBUTES:
                return obj[attribute]
            if kind in _RECORD_TYPES or (dataclasses.is_dataclass(obj) and _remember_record(kind)):
                value = getattr(obj, attribute, _MISSING)
                if type(value) in _PLAIN_TYPES or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
                    return value
        return super().getattr(obj, attribute)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``"{}".format(...)``: huge field widths refused, result size checked."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        template_text = value.__self__

        def checked(*args: Any, **kwargs: Any) -> str:
            if _FORMAT_WIDE.search(template_text):
                raise RenderLimitError("str.format: field widths of a million or more are not allowed")
            for argument in (*args, *kwargs.values()):
                _check_int(argument, "str.format")
            result = wrapped(*args, **kwargs)
            _check_size(len(result), "str.format")
            return result

        return checked


_DICT_ATTRIBUTES = frozenset(dir(dict))
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), tuple, list, dict})
_RECORD_TYPES: set[type] = set()
_MISSING = object()


def _remember_record(kind: type) -> bool:
    """Dataclass types whose plain-data fields skip the sandbox's per-access checks (methods still get them)."""
    if not isinstance(kind, type):
        return False
    _RECORD_TYPES.add(kind)
    return True


def _guarded_range(*args: int) -> range:
    limits = _limits()
    result = range(*args)
    try:
        shown = f"{len(result):,}" if len(result) > limits.max_int_argument else ""
    except OverflowError:  # more items than fit a C size: far past the limit
        shown = "more than 2^63"
    if shown:
        raise RenderLimitError(f"range() of {shown} items is larger than {limits.max_int_argument:,}")
    return result


_LINE_BREAKS = re.compile(r"[\r\n\u0085\u2028\u2029]")


def _inline_filter(value: Any) -> str:
    """One-line Markdown for a table cell or list item (pipes escaped, line breaks flattened)."""
    text = value if type(value) is str else str(value)
    if "|" in text or "<!--" in text or _LINE_BREAKS.search(text):
        return inline(text)
    return text


def _line_filter(value: Any) -> str:
    """One line of text for a code block: line breaks flattened, markers neutralised, nothing escaped."""
    text = value if type(value) is str else str(value)
    if "<!--" in text or _LINE_BREAKS.search(text):
        return neutralize(re.sub(r"[\r\n\u0085\u2028\u2029]+", " ", text))
    return text


def _neutralize_filter(value: Any) -> str:
    return neutralize(value if isinstance(value, str) else str(value))


def code_span(value: Any) -> str:
    """Markdown inline code for any text: a fence of backticks longer than any run inside it."""
    text = inline(value if isinstance(value, str) else str(value)).replace("\\|", "|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _managed(name: str, caller: Callable[[], str]) -> str:
    """``{% call managed("name") %}…{% endcall %}``: the body as a managed block (trimmed, one trailing newline)."""
    if not isinstance(name, str) or not _BLOCK_NAME.match(name):
        raise TemplateError(f"managed block name {name!r} must be lowercase letters, digits, '-' or '_'")
    state = _state()
    if name in state.block_names:
        raise TemplateError(f"managed block {name!r} is rendered twice")
    state.block_names.append(name)
    return wrap(name, tidy_markdown(neutralize(str(caller())))) + "\n"


_FENCE_LINE = re.compile(r"^\s*(`{3,}|~{3,})")


def tidy_markdown(text: str) -> str:
    """Trailing spaces removed, runs of blank lines collapsed to one (not inside code fences), one final newline."""
    lines: list[str] = []
    fence: str | None = None
    for raw in text.strip("\n").split("\n"):
        line = raw.rstrip()
        marker = _FENCE_LINE.match(line) if ("```" in line or "~~~" in line) else None
        if marker and (fence is None or marker.group(1).startswith(fence)):
            fence = None if fence is not None else marker.group(1)[:3]
        elif fence is None and not line and lines and not lines[-1]:
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


# ---- the loader ------------------------------------------------------------------------------------------


def packaged_templates_dir() -> Path:
    """The packaged templates: ``_bundled/templates`` in a wheel, else ``<repo>/templates`` in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_bundled" / "templates", here.parent / "templates"):
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
                    raise TemplateError(f"override template {name!r} is a link leading outside {OVERRIDE_DIR}/")
                if not resolved.is_file():
                    raise TemplateError(f"override template {name!r} ({OVERRIDE_DIR}/{name}) is not a file")
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
            raise TemplateError(f"{origin.describe(self.workspace)} cannot be read: {err.strerror}") from None
        if len(raw) > MAX_TEMPLATE_BYTES:
            raise TemplateError(f"{origin.describe(self.workspace)} is larger than {MAX_TEMPLATE_BYTES:,} bytes")
        try:
            source = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise TemplateError(f"{origin.describe(self.workspace)} is not UTF-8 text (byte {err.start})") from None
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


# ---- rendering -------------------------------------------------------------------------------------------

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


def _message(err: BaseException) -> str:
    if isinstance(err, RecursionError):
        return "recursion too deep (a template that includes or calls itself?)"
    if isinstance(err, MemoryError):
        return "ran out of memory"
    if isinstance(err, TemplateNotFound):
        return f"template {err.name!r} not found (looked in {OVERRIDE_DIR}/ and the packaged templates)"
    if isinstance(err, SecurityError):
        return f"not allowed in the sandbox: {err}"
    if isinstance(err, UndefinedError):
        return f"{err.message} (misspelt variable, or a value the context does not provide)"
    if isinstance(err, TemplateError):
        return str(err)
    text = str(err) or type(err).__name__
    return f"{type(err).__name__}: {text}"
