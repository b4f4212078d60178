"""The rules and promotion gates every run uses, listed in one place.

To add a rule for your own files, write ``fn(RuleInput) -> Iterable[Problem]`` in your core module
and list it in ``RULES``; a promotion gate ``fn(artifact, to_status) -> list[str]`` goes in ``GATES``.
Order matters only for the order of the reported problems.
"""

from __future__ import annotations

from incident_mcp.incidents.record import INCIDENT_DIR
from incident_mcp.incidents.rules import incident_review_gate, record_rule
from incident_mcp.promotion import Gate
from incident_mcp.runbook import STANDARDS_DIR, standards_problems
from incident_mcp.validation.rules import Rule

RULES: tuple[Rule, ...] = (
    Rule.for_files(STANDARDS_DIR, standards_problems, name="runbook.standards_ops"),
    Rule.for_files(f"{INCIDENT_DIR}/INC-", record_rule, name="incidents.record"),
)

GATES: tuple[Gate, ...] = (
    Gate("incidents.review_gate", incident_review_gate),
)
