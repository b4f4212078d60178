"""Post-mortem input as a person writes it (a YAML/JSON document, then flags on top), checked into the models.

Any adapter that takes a post-mortem as one document uses this, so the accepted keys and the error
messages are the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from incident_mcp.artifacts import SAFE_LOADER
from incident_mcp.errors import IncidentError
from incident_mcp.incidents.record import FollowUp, Impact, Lessons, RemediationAction, validation_message

POSTMORTEM_KEYS = ("whys", "contributing_factors", "impact", "remediation", "follow_ups", "lessons")


def parse_postmortem_document(text: str, source: str) -> dict[str, Any]:
    """The mapping in a YAML or JSON document; ``source`` names it in errors. Unknown keys are refused."""
    try:
        data = yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - the bounded safe loader
    except yaml.YAMLError as err:
        raise IncidentError(f"{source}: not valid YAML/JSON ({str(err).splitlines()[0]})") from None
    except RecursionError:
        raise IncidentError(f"{source}: nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise IncidentError(f"{source}: expected a mapping with whys, impact, remediation, …")
    unknown = sorted(set(data) - set(POSTMORTEM_KEYS))
    if unknown:
        raise IncidentError(f"{source}: unknown keys {unknown}; expected {', '.join(POSTMORTEM_KEYS)}")
    return data


@dataclass(frozen=True)
class PostmortemFields:
    """The sections given (None: leave that section as it is), as ``record_postmortem`` takes them."""

    whys: list[str] | None = None
    contributing_factors: list[str] | None = None
    impact: Impact | None = None
    remediation: list[RemediationAction] | None = None
    follow_ups: list[FollowUp] | None = None
    lessons: Lessons | None = None


def postmortem_fields(data: dict[str, Any]) -> PostmortemFields:
    """The post-mortem sections in ``data``, checked; one-line ``IncidentError`` naming the bad field."""
    try:
        impact = Impact.model_validate(data["impact"]) if "impact" in data else None
        lessons = Lessons.model_validate(data["lessons"]) if "lessons" in data else None
        remediation = ([RemediationAction.model_validate(a) for a in data["remediation"]]
                       if "remediation" in data else None)
        follow_ups = [FollowUp.model_validate(f) for f in data["follow_ups"]] if "follow_ups" in data else None
    except (ValidationError, TypeError) as err:
        message = validation_message(err) if isinstance(err, ValidationError) else str(err)
        raise IncidentError(f"post-mortem input: {message}") from None
    return PostmortemFields(whys=_str_list(data, "whys"), contributing_factors=_str_list(data, "contributing_factors"),
                            impact=impact, remediation=remediation, follow_ups=follow_ups, lessons=lessons)


def _str_list(data: dict[str, Any], key: str) -> list[str] | None:
    if key not in data:
        return None
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise IncidentError(f"post-mortem input: {key} must be a list of text")
    return value
