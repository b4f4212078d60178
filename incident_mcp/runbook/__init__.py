"""Runbook and post-mortem template generation, tailored to the company's config and RFCs, keeping human edits.

``voice``: the solo-founder voice check; ``standards``: the ``standards/ops/`` paths and their validation
rule; ``views`` and ``context``: the template context built from the config; ``generation``:
``generate_runbook``, which renders, merges into the files on disk and writes (or previews) the result.
"""

from incident_mcp.runbook.context import SECTION_TITLES, runbook_context
from incident_mcp.runbook.generation import (
    DOCUMENTS,
    MAX_EXISTING_BYTES,
    SUMMARY_DIFF_CHARS,
    FileChange,
    GenerationResult,
    generate_runbook,
    render_documents,
    unified_diff,
)
from incident_mcp.runbook.standards import POSTMORTEM_PATH, RUNBOOK_PATH, STANDARDS_DIR, standards_problems
from incident_mcp.runbook.views import Gap, ProviderView, RollbackSection, StepView
from incident_mcp.runbook.voice import solo_voice_problems

__all__ = [
    "DOCUMENTS",
    "MAX_EXISTING_BYTES",
    "POSTMORTEM_PATH",
    "RUNBOOK_PATH",
    "SECTION_TITLES",
    "STANDARDS_DIR",
    "SUMMARY_DIFF_CHARS",
    "FileChange",
    "Gap",
    "GenerationResult",
    "ProviderView",
    "RollbackSection",
    "StepView",
    "generate_runbook",
    "render_documents",
    "runbook_context",
    "solo_voice_problems",
    "standards_problems",
    "unified_diff",
]
