"""The sandbox's guards: filters, ``str`` methods, operators and ``range`` checked before they build something huge.

Each guard spends from the render budget (``incident_mcp.render.budget``) and refuses, with a
``RenderLimitError``, a result that would pass the string, integer or size limits, before it is built.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from jinja2.exceptions import SecurityError

from incident_mcp.render.budget import RenderLimitError, _check_int, _check_size, _limits, _sized, _state

# printf-style (%10000000d, %.9999999f) and str.format-style ({:>9999999}) widths that would build huge strings.
_PRINTF_WIDE = re.compile(r"%[-#0 +]*(?:\*|\d{6,})|%[-#0 +]*\d*\.(?:\*|\d{6,})")
_FORMAT_WIDE = re.compile(r"\{[^{}]*:[^{}]*\d{6,}[^{}]*\}")
MAX_INT_BITS = 100_000  # integers a template computes with '*' and '**' (about 30,000 decimal digits)
_SMALL = 4096  # results up to this size are never checked (every limit is larger)
_GROWING_FILTERS = frozenset({"center", "indent", "wordwrap", "replace", "format", "join"})
_REFUSED_STR_METHODS = frozenset({"translate", "maketrans", "expandtabs", "encode"})


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


def _value_index(func: Callable[..., Any]) -> int:
    """Where the filtered value sits in a filter's arguments: second for a ``pass_*`` filter, else first.

    ``jinja2.pass_context``, ``pass_eval_context`` and ``pass_environment`` mark a filter with the attribute
    ``jinja_pass_arg`` and the compiler then passes the context first. Jinja has no public way to ask which
    mark a function carries (its own check, ``jinja2.utils._PassArg.from_obj``, is private), so we read the
    attribute the public decorators set; ``functools.wraps`` copies it onto our wrappers for the compiler.
    """
    return 1 if getattr(func, "jinja_pass_arg", None) is not None else 0


def _check_int_arguments(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], value_index: int) -> None:
    """A filter's arguments after the value: integers over the limit are refused (``truncate(10**9)``)."""
    for extra in (*args[value_index + 1:], *kwargs.values()):
        _check_int(extra, f"filter {name!r}")


def _prechecked_args(name: str, args: tuple[Any, ...], kwargs: dict[str, Any], value_index: int) -> tuple[Any, ...]:
    """A growing filter's arguments once its result size is checked (``join`` gets its items as a list)."""
    if len(args) <= value_index:
        return args
    value = args[value_index]
    if name == "join":
        items = list(value)
        separator = args[value_index + 1] if len(args) > value_index + 1 else kwargs.get("d", "")
        _joined_length(items, str(separator))
        return (*args[:value_index], items, *args[value_index + 1:])
    rest = _precheck_filter(name, value, args[value_index + 1:], kwargs)
    return (*args[:value_index + 1], *rest)


def _light_filter(name: str, func: Callable[..., Any], value_index: int) -> Callable[..., Any]:
    """A filter that cannot grow much beyond its input: int arguments capped, only a large result checked."""

    @functools.wraps(func)
    def light(*args: Any, **kwargs: Any) -> Any:
        _state().tick()
        if len(args) > value_index + 1 or kwargs:
            _check_int_arguments(name, args, kwargs, value_index)
        result = func(*args, **kwargs)
        if isinstance(result, str | list | tuple) and len(result) > _SMALL:
            _check_size(len(result), f"filter {name!r}")
        return result

    return light


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a filter: int arguments capped, growth checked before the call, result size checked after."""
    value_index = _value_index(func)
    if name not in _GROWING_FILTERS:
        return _light_filter(name, func, value_index)

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _state().tick()
        _check_int_arguments(name, args, kwargs, value_index)
        result = func(*_prechecked_args(name, args, kwargs, value_index), **kwargs)
        size = _sized(result)
        if size is not None:
            _check_size(size, f"filter {name!r}")
        return result

    return guarded


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


# ---- operators ----------------------------------------------------------------------------------------------


def _check_repetition(left: Any, right: Any) -> None:
    """``*``: a repeated string or list, or a product of integers, that would be too large."""
    for seq, count in ((left, right), (right, left)):
        size = _sized(seq)
        if size is not None and isinstance(count, int):
            _check_size(size * max(count, 0), "'*' repetition")
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise RenderLimitError(f"'*' would build an integer with more than {MAX_INT_BITS:,} bits")


def _check_power(left: Any, right: Any) -> None:
    """``**``: an exponent over 10,000, or a power whose result would be too large an integer."""
    if isinstance(right, int) and abs(right) > 10_000 and isinstance(left, int | float) and abs(left) > 1:
        raise RenderLimitError(f"'**' exponent {right:,} is larger than 10,000")
    # (9 ** 9999) ** 9999 passes the exponent check but would take minutes: bound the result's size.
    if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1 \
            and (abs(left).bit_length() - 1) * right > MAX_INT_BITS:
        raise RenderLimitError(f"'**' would build an integer with more than {MAX_INT_BITS:,} bits")


def _check_concatenation(left: Any, right: Any) -> None:
    """``+``: two strings or lists whose sum would be too large."""
    left_size, right_size = _sized(left), _sized(right)
    if left_size is not None and right_size is not None:
        _check_size(left_size + right_size, "'+' concatenation")


def _check_printf(left: Any, _right: Any) -> None:
    """``%`` on a string: huge or ``*`` field widths refused (the result's size is checked once built)."""
    if isinstance(left, str) and _PRINTF_WIDE.search(left):
        raise RenderLimitError("'%' formatting: field widths of a million or '*' widths are not allowed")


# The checks made before each operator the sandbox intercepts (``TemplateEnvironment.intercepted_binops``).
OPERAND_CHECKS: dict[str, Callable[[Any, Any], None]] = {
    "*": _check_repetition, "**": _check_power, "+": _check_concatenation, "%": _check_printf,
}


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
