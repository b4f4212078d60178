"""The value types and base models every config section shares: blank YAML is empty, scalars are text."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

# An http(s) URL with a host: what a probed service and a notify channel's written url must be.
HTTP_URL = re.compile(r"^https?://[^\s/?#]+")


def _text(value: Any) -> Any:
    """Blank YAML values (``key:``) are empty strings; scalars such as 3.12 are text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return value


def _list(value: Any) -> Any:
    """A blank value is an empty list; ``a, b`` is the list of its comma-separated parts."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


Text = Annotated[str, BeforeValidator(_text)]
TextList = Annotated[list[Text], BeforeValidator(_list)]


class CompanyOsSection(BaseModel):
    """A Company OS section: unknown keys are ignored, a blank section is empty."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class OurSection(BaseModel):
    """A part of our own ``incident_response:`` section: strict (typos are errors), every key optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)
