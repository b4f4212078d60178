"""The sandbox every template runs in: an immutable, strict, bounded Jinja2 environment.

Templates run in an ``ImmutableSandboxedEnvironment`` with ``StrictUndefined`` (a misspelt variable
is an error, never an empty string) and no autoescaping (the output is Markdown). Because an override
is code written by whoever edits the repository (often an agent), rendering is bounded: every call,
loop step and guarded operation spends from a step budget and is checked against a wall-clock
deadline; macro and recursive-loop nesting is capped; strings built by ``*``, ``+``, ``~``, ``%``,
``format`` and the growth-prone filters and ``str`` methods are size-checked *before* they are built
(``incident_mcp.render.guards``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import Context, LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment

from incident_mcp.blocks import neutralize
from incident_mcp.render.budget import RenderLimitError, _check_int, _check_size, _sized, _state
from incident_mcp.render.guards import (
    _FORMAT_WIDE,
    OPERAND_CHECKS,
    _guard_filter,
    _guarded_range,
    _precheck_str_method,
)
from incident_mcp.render.loader import TemplateLoader
from incident_mcp.render.markdown import _inline_filter, _line_filter, _managed, _neutralize_filter, code_span


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
    intercepted_binops = frozenset(OPERAND_CHECKS)  # "*", "**", "+" and "%"

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
        OPERAND_CHECKS[operator](left, right)
        result = self.binop_table[operator](left, right)
        if operator == "%" and isinstance(left, str):
            _check_size(len(result), "'%' formatting")
        return result

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
