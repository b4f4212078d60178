"""The render budget: the limits on one render, its running counters, and the size and integer checks.

Every guard in the sandbox spends from the same per-render state, found through a context variable so
one cached environment serves every render (and every thread) at once.
"""

from __future__ import annotations

import contextvars
import time
from dataclasses import dataclass, field
from typing import Any

from incident_mcp.errors import TemplateError


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
