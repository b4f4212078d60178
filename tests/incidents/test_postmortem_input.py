"""Post-mortem input parsed in the core: accepted keys, one-line errors naming the source and field."""

from __future__ import annotations

import pytest

from incident_mcp.errors import IncidentError
from incident_mcp.incidents import parse_postmortem_document, postmortem_fields


def test_a_document_with_an_unknown_key_is_refused_naming_the_key() -> None:
    with pytest.raises(IncidentError, match=r"pm.yaml: unknown keys \['why'\]"):
        parse_postmortem_document("why: [a]\n", "pm.yaml")


def test_a_document_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(IncidentError, match=r"pm\.yaml: expected a mapping"):
        parse_postmortem_document("- a\n- b\n", "pm.yaml")


def test_an_empty_document_gives_no_sections() -> None:
    assert postmortem_fields(parse_postmortem_document("", "-")).whys is None


def test_whys_must_be_a_list_of_text() -> None:
    with pytest.raises(IncidentError, match="whys must be a list of text"):
        postmortem_fields({"whys": "because"})


def test_sections_come_back_as_models() -> None:
    fields = postmortem_fields(parse_postmortem_document(
        "whys: [Why? Because.]\nimpact: {users: checkout failed}\n", "pm.yaml"))
    assert fields.whys == ["Why? Because."]
    assert fields.impact is not None and fields.impact.users == "checkout failed"
