"""What the agent reads stays within the budgets of bench/token_budget.py (sizes, not timings)."""

from __future__ import annotations

import anyio

from bench.token_budget import BUDGETS, measure


def test_every_answer_the_bench_measures_is_within_its_budget() -> None:
    figures = anyio.run(measure, 30)
    over = {name: (figures[name], budget) for name, budget in BUDGETS.items() if figures[name] > budget}
    assert over == {}, over
