"""frontmatter.line_fields: a few fields of block-style frontmatter read line by line, or None to step aside."""

from __future__ import annotations

from incident_mcp.frontmatter.line_fields import LineShape, read_line_fields

SHAPE = LineShape(scalars=frozenset({"id", "severity"}), lists=frozenset({"services"}), table="timeline",
                  row_fields=frozenset({"at", "kind"}))


def test_asked_fields_come_back_as_the_text_written_and_others_as_none() -> None:
    text = ("---\nid: INC-001\nseverity: 'P1'\ntitle: \"Checkout: down\"\nservices:\n- api\n- web\n"
            "timeline:\n- at: '2026-03-01T00:00:00Z'\n  kind: detected\n  text: \"first\"\n"
            "postmortem:\n  whys: []\n---\nbody\n")
    assert read_line_fields(text, SHAPE) == {
        "id": "INC-001", "severity": "P1", "title": None, "services": ["api", "web"], "postmortem": None,
        "timeline": [{"at": "2026-03-01T00:00:00Z", "kind": "detected", "text": None}]}


def test_the_table_is_an_empty_list_when_the_document_has_none() -> None:
    assert read_line_fields("---\nid: INC-002\nseverity: ~\n---\n", SHAPE) == {
        "id": "INC-002", "severity": None, "timeline": []}


def test_anything_outside_the_one_line_block_shape_steps_aside() -> None:
    for front in ("services: [api]", "title: |\n  two\n  lines", "id: \"esc\\\"aped\"", "id: INC-001\nid: INC-002",
                  "timeline:\n- {at: x, kind: detected}", "severity:\n  - P1", "title: 'open\n  quote'"):
        assert read_line_fields(f"---\n{front}\n---\n", SHAPE) is None, front


def test_a_document_without_frontmatter_or_with_crlf_line_ends_steps_aside() -> None:
    assert read_line_fields("id: INC-001\n", SHAPE) is None
    assert read_line_fields("---\r\nid: INC-001\r\n---\r\n", SHAPE) is None
    assert read_line_fields("---\nid: INC-001\n", SHAPE) is None
