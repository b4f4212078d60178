"""The agent's contract, enforced once for every tool: strict arguments, actionable errors, lean answers.

``ContractServer`` is an ``MCPServer`` whose ``call_tool`` refuses unknown tool and argument names at any
depth (naming the key, the closest accepted name and the accepted ones), rewrites pydantic's validation
errors into one line without library links, and drops null, empty and default-valued fields from what the
model reads (compact JSON). Its ``list_tools`` dedents descriptions and publishes slim schemas (no titles;
output schemas cut to their outline). A tool added later by any module gets all of it for free.
"""

from __future__ import annotations

import difflib
import inspect
import json
from collections.abc import Mapping
from typing import Any

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, InputRequiredResult, TextContent
from mcp_types import Tool as MCPTool
from pydantic import ValidationError

from incident_mcp.server.annotations import WriteGuardedServer

Schema = dict[str, Any]

_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("items", "additionalProperties", "not")
_SCHEMA_MAPS = ("properties", "$defs", "patternProperties")
_MAX_SHOWN = 80
# What an output schema needs no longer: answers are validated server-side, and lean answers omit empties.
_OUTPUT_ONLY_DROP = frozenset({"description", "default", "required", "examples", "maxLength", "minLength",
                               "maxItems", "minItems", "pattern", "additionalProperties", "format"})
_HUGE_BOUND = 10_000  # a maxLength this large tells the model nothing; the server still enforces it


class ContractServer(WriteGuardedServer):
    """MCPServer with the agent's contract applied to every tool call and listing."""

    async def list_tools(self) -> list[MCPTool]:
        """The tools with dedented descriptions and slim schemas."""
        return [lean_tool(tool) for tool in await super().list_tools()]

    async def call_tool(self, name: str, arguments: dict[str, Any],
                        context: Context[Any, Any] | None = None) -> CallToolResult | InputRequiredResult:
        """Refuse unknown or invalid arguments with an actionable message; answer lean."""
        tool = self._registered_tool(name)
        if tool is None:
            names = [t.name for t in await super().list_tools()]
            near = _closest(name, names)
            hint = f"; did you mean {near!r}?" if near else ""
            raise ToolError(f"unknown tool {name!r}{hint} (tools: {', '.join(names)})")
        problems = unknown_keys(arguments, tool.parameters)
        if problems:
            raise ToolError(f"{name}: " + "; ".join(problems))
        try:
            tool.fn_metadata.validate_arguments(arguments)
        except ValidationError as err:
            raise ToolError(f"{name}: {validation_message(err, tool.parameters)}") from None
        try:
            result = await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise
        except ToolError as err:
            if isinstance(err.__cause__, ValidationError):
                raise ToolError(f"{name}: {validation_message(err.__cause__)}") from None
            raise
        return lean_result(result, tool.fn_metadata.output_schema) if isinstance(result, CallToolResult) else result

    def _registered_tool(self, name: str) -> Tool | None:
        """The registered tool called ``name``, with the argument validator the contract runs first.

        The one access to the SDK's private ``_tool_manager``: mcp 2.3's ``MCPServer`` lists tools publicly only
        in their wire form (``list_tools``), which has no ``fn_metadata`` to validate arguments with.
        """
        return self._tool_manager.get_tool(name)


# --- arguments -----------------------------------------------------------------------------------------------


def _resolve(schema: Schema, defs: Mapping[str, Any]) -> Schema:
    """Follow a local ``$ref`` (``#/$defs/Name``)."""
    seen = 0
    while isinstance(schema.get("$ref"), str) and seen < 20:
        target = defs.get(schema["$ref"].rsplit("/", 1)[-1])
        if not isinstance(target, dict):
            break
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
    return schema


def _variants(schema: Schema, defs: Mapping[str, Any]) -> list[Schema]:
    """The alternatives a value may match (anyOf/oneOf flattened), each resolved."""
    schema = _resolve(schema, defs)
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return [v for option in schema[key] if isinstance(option, dict) for v in _variants(option, defs)]
    return [schema]


def _maybe_json(value: Any) -> Any:
    """Clients sometimes send an object or list as a JSON string; the SDK parses those, so do we."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _closest(word: str, choices: list[str]) -> str | None:
    """The accepted name nearest to ``word`` (case-insensitive), if any is near."""
    lowered = {choice.lower(): choice for choice in choices}
    if word.lower() in lowered:
        return lowered[word.lower()]
    found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    if found:
        return lowered[found[0]]
    # A singular/plural or prefix slip ("service" for "services", "state" for "states").
    for choice in choices:
        if choice.lower().startswith(word.lower()) or word.lower().startswith(choice.lower()):
            return choice
    return None


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _MAX_SHOWN else text[:_MAX_SHOWN - 1] + "…"


def unknown_keys(arguments: Mapping[str, Any], schema: Schema) -> list[str]:
    """One message per unknown key in ``arguments`` (at any depth) against the tool's input schema."""
    defs = schema.get("$defs", {})
    problems: list[str] = []
    _walk(dict(arguments), schema, defs, "", problems)
    return problems


def _walk(value: Any, schema: Schema, defs: Mapping[str, Any], where: str, problems: list[str]) -> None:
    """Collect the unknown keys in ``value`` (an object's, or inside a list's items) against ``schema``."""
    value = _maybe_json(value)
    variants = _variants(schema, defs)
    if isinstance(value, dict):
        _walk_object(value, variants, defs, where, problems)
    elif isinstance(value, list):
        items = next((v["items"] for v in variants if isinstance(v.get("items"), dict)), None)
        if items is not None:
            for index, item in enumerate(value):
                _walk(item, items, defs, f"{where}{index}.", problems)


def _walk_object(value: dict[Any, Any], variants: list[Schema], defs: Mapping[str, Any], where: str,
                 problems: list[str]) -> None:
    """An object against the first closed variant (named properties only), else against a free-form one."""
    closed = next((v for v in variants if isinstance(v.get("properties"), dict)
                   and not v.get("additionalProperties")), None)
    if closed is not None:
        props: dict[str, Any] = closed["properties"]
        for key, item in value.items():
            if key in props:
                _walk(item, props[key], defs, f"{where}{key}.", problems)
            else:
                problems.append(_unknown_key_message(str(key), item, list(props), where))
        return
    extra = next((v["additionalProperties"] for v in variants if isinstance(v.get("additionalProperties"), dict)),
                 None)
    if extra is not None:
        for key, item in value.items():
            _walk(item, extra, defs, f"{where}{key}.", problems)


def _unknown_key_message(key: str, item: Any, accepted: list[str], where: str) -> str:
    place = where.rstrip(".")
    what = f"unknown field {key!r} in {place}" if place else f"unknown argument {key!r}"
    takes = f"{place} takes" if place else "accepted arguments"
    hint = ""
    item = _maybe_json(item)
    if isinstance(item, dict) and item and all(str(k) in accepted for k in item):
        # An object wrapping real arguments, e.g. signals={"outage": true}: say to pass them directly.
        hint = f"; pass its fields directly ({', '.join(f'{k}=…' for k in item)})"
    else:
        near = _closest(key, accepted)
        if near is not None:
            hint = f"; did you mean {near!r}?"
    return f"{what}{hint} ({takes}: {', '.join(accepted) or 'nothing'})"


def _enum_owner(value: str, schema: Schema | None, besides: str) -> str | None:
    """The other top-level argument whose allowed values include ``value`` (event="identified" → state)."""
    if schema is None:
        return None
    defs = schema.get("$defs", {})
    for name, prop in schema.get("properties", {}).items():
        if name == besides or not isinstance(prop, dict):
            continue
        for variant in _variants(prop, defs):
            if value in variant.get("enum", []) or value == variant.get("const"):
                return str(name)
    return None


def validation_message(err: ValidationError, schema: Schema | None = None) -> str:
    """Pydantic's errors as one line per field, with what is accepted and no library URLs."""
    parts: list[str] = []
    for problem in err.errors(include_url=False):
        loc = ".".join(str(p) for p in problem["loc"] if p != "__root__") or "arguments"
        message = str(problem["msg"])
        given = problem.get("input")
        detail = f"{loc}: {message}"
        if problem["type"] == "missing":
            detail = f"{loc}: required argument missing"
        elif given is not None and not isinstance(given, dict | list):
            detail += f" (got {_show(given)})"
        expected = problem.get("ctx", {}).get("expected") if isinstance(problem.get("ctx"), dict) else None
        if isinstance(given, str) and isinstance(expected, str):
            choices = [c.strip().strip("'") for c in expected.replace(" or ", ", ").split(",") if c.strip()]
            owner = _enum_owner(given, schema, str(problem["loc"][0])) if len(problem["loc"]) == 1 else None
            near = _closest(given, choices)
            if owner is not None:
                detail += f"; {given!r} is a value of {owner}: pass {owner}={json.dumps(given)}"
            elif near is not None and near != given:
                detail += f"; did you mean {near!r}?"
        parts.append(detail)
    return "invalid arguments: " + "; ".join(parts)


# --- what the model reads ------------------------------------------------------------------------------------


def prune(value: Any) -> Any:
    """``value`` without null or empty fields (None, "", [], {}) at any depth; false and 0 stay."""
    if isinstance(value, dict):
        kept = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v != "" and v != [] and v != {}}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def compact_json(value: Any) -> str:
    """The serialisation the model reads: no indentation, no spaces after separators, UTF-8 kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def drop_defaults(value: Any, schema: Schema | None, defs: Mapping[str, Any] | None = None) -> Any:
    """``value`` without the object fields that equal their declared default (``verify_with_help: false``,
    ``verified: "verified"``): absent means the default, as the output model says."""
    if schema is None:
        return value
    defs = defs if defs is not None else schema.get("$defs", {})
    variants = _variants(schema, defs)
    if isinstance(value, dict):
        target = next((v for v in variants if isinstance(v.get("properties"), dict)), None)
        if target is None:
            extra = next((v["additionalProperties"] for v in variants
                          if isinstance(v.get("additionalProperties"), dict)), None)
            return {k: drop_defaults(v, extra, defs) for k, v in value.items()} if extra else value
        props: dict[str, Any] = target["properties"]
        out: dict[str, Any] = {}
        for key, item in value.items():
            prop = props.get(key)
            if isinstance(prop, dict) and "default" in prop and prop["default"] == item:
                continue
            out[key] = drop_defaults(item, prop if isinstance(prop, dict) else None, defs)
        return out
    if isinstance(value, list):
        items = next((v["items"] for v in variants if isinstance(v.get("items"), dict)), None)
        return [drop_defaults(item, items, defs) for item in value]
    return value


def lean_result(result: CallToolResult, output_schema: Schema | None = None) -> CallToolResult:
    """Structured content without null, empty or default-valued fields; a single JSON text block
    re-serialised compactly from it."""
    if result.is_error or result.structured_content is None:
        return result
    structured = prune(drop_defaults(result.structured_content, output_schema))
    content = result.content
    if len(content) == 1 and isinstance(content[0], TextContent) and content[0].text.lstrip()[:1] in "{[":
        content = [TextContent(type="text", text=compact_json(structured))]
    return result.model_copy(update={"structured_content": structured, "content": content})


def lean_tool(tool: MCPTool) -> MCPTool:
    """A tool as listed: dedented description, input schema without titles, output schema slimmed."""
    update: dict[str, Any] = {"input_schema": slim_schema(tool.input_schema, output=False)}
    if tool.description:
        update["description"] = inspect.cleandoc(tool.description)
    if tool.output_schema is not None:
        update["output_schema"] = outline_schema(slim_schema(tool.output_schema, output=True))
    return tool.model_copy(update=update)


def slim_schema(schema: Schema, *, output: bool) -> Schema:
    """Drop what the model does not need: titles, null alternatives (optional arguments are left out and
    answers omit nulls), defaults that mean "nothing" (null, false, "", []) and huge length bounds; for
    outputs also descriptions, defaults, ``required`` and constraints (lean answers leave empties out)."""
    slimmed: Schema = _slim(schema, output)
    return slimmed


def outline_schema(schema: Schema, depth: int = 1) -> Schema:
    """An output schema cut to its outline: references inlined, properties (with types and top-level enums)
    ``depth`` levels down, deeper objects just ``{"type": "object"}``. Every answer still validates against
    it; the full shape lives in the answers themselves, which is what the model reads."""
    return _outline(schema, schema.get("$defs", {}), depth, top=True)


def _outline(node: Schema, defs: Mapping[str, Any], depth: int, *, top: bool = False) -> Schema:
    node = _resolve(node, defs)
    kind = node.get("type")
    out: Schema = {"type": kind} if kind is not None else {}
    if "enum" in node and top:
        out["enum"] = node["enum"]
    if isinstance(node.get("properties"), dict):
        out["type"] = "object"
        if depth > 0:
            out["properties"] = {name: _outline(sub, defs, depth - 1, top=False) if isinstance(sub, dict) else sub
                                 for name, sub in node["properties"].items()}
    elif isinstance(node.get("items"), dict) and depth > 0:
        out["items"] = _outline(node["items"], defs, depth - 1)
    elif isinstance(node.get("additionalProperties"), dict) and depth > 0:
        out["additionalProperties"] = _outline(node["additionalProperties"], defs, depth - 1)
    for key in ("anyOf", "oneOf"):
        if isinstance(node.get(key), list):
            out[key] = [_outline(option, defs, depth) for option in node[key] if isinstance(option, dict)]
    return out


def _slim(node: Any, output: bool) -> Any:
    if not isinstance(node, dict):
        return node
    out: Schema = {}
    for key, value in node.items():
        if key == "title" or (output and key in _OUTPUT_ONLY_DROP):
            continue
        if not output and ((key == "default" and (value is None or value is False or value == "" or value == []))
                           or (key in ("maxLength", "maxItems") and isinstance(value, int) and value >= _HUGE_BOUND)):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _slim(sub, output) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            options = [_slim(sub, output) for sub in value]
            if key in ("anyOf", "oneOf"):
                # Optional arguments are simply left out, and answers never carry null: no null alternative.
                options = [o for o in options if o != {"type": "null"}]
                if len(options) == 1 and key in ("anyOf", "oneOf"):
                    out.update(options[0])
                    continue
            out[key] = options
        elif key in _SCHEMA_ONE and isinstance(value, dict):
            out[key] = _slim(value, output)
        else:
            out[key] = value
    return out
