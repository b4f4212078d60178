"""``standards/ops/``: where the generated documents live, and the validation rule for every file there.

Frontmatter: none. Company OS keeps standards (``standards/**``) as plain Markdown documents, not
artifacts: they have no id, lifecycle or references, and giving them artifact frontmatter would
put a fake artifact type into the repository. Our validator checks ``standards/ops/`` files with
standards rules (balanced managed blocks, non-empty, solo-founder voice) instead.
"""

from __future__ import annotations

from incident_mcp.blocks import BlockError, find_blocks
from incident_mcp.runbook.voice import solo_voice_problems
from incident_mcp.validation import Problem, RuleInput

STANDARDS_DIR = "standards/ops/"
RUNBOOK_PATH = "standards/ops/incident-runbook.md"
POSTMORTEM_PATH = "standards/ops/post-mortem-template.md"


def standards_problems(doc: RuleInput) -> list[Problem]:
    """Validation rule for ``standards/ops/*.md``: readable, not empty, intact managed blocks, solo-founder voice.

    Standards are plain Markdown (no artifact frontmatter); broken block markers are an error because
    regeneration refuses such a file, team language a warning (the reader may really have help).
    """
    if doc.text is None:  # unreadable: the validator itself reports the encoding
        return []
    problems: list[Problem] = []
    if not doc.text.strip():
        problems.append(doc.problem("standards.empty", "the file is empty; run `incident-mcp runbook` to generate it"))
    try:
        find_blocks(doc.text)
    except BlockError as err:
        problems.append(doc.problem("standards.blocks", f"{err}; regeneration refuses this file until the "
                                    "incident-mcp markers are repaired"))
    for line, phrase in solo_voice_problems(doc.text):
        problems.append(doc.problem("standards.solo_voice", f"{phrase!r} assumes a team behind the reader; the "
                                    "reader is the one person on call (name your host's support, a contractor "
                                    "or yourself instead)", line=line, severity="warning"))
    return problems
