"""Validate simulator responses against Strava's published Swagger models.

The swagger file (``strava_swagger.json`` beside this module: Strava's published Swagger 2.0
spec, https://developers.strava.com/swagger/swagger.json) names its response models by URL
(`https://developers.strava.com/swagger/activity.json#/SummaryActivity`). A model file found
beside the swagger under that name is used; otherwise the transcription in
`strava_models.json` is. Swagger 2.0 has no `nullable`, yet Strava's own examples in the
swagger show `null` for some fields; exactly those fields, under the same parent key, are
allowed to be null here.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator, FormatChecker

HERE = Path(__file__).resolve().parent
SPEC_PATH = HERE / "strava_swagger.json"
MODELS_PATH = Path(__file__).with_name("strava_models.json")
REMOTE = re.compile(r"^https://developers\.strava\.com/swagger/(?P<file>[\w.]+)#/(?P<name>\w+)$")
# Observed on Strava but absent from the swagger's examples: activities without photos
# answer `"photos": {"primary": null, "count": 0}`.
EXTRA_NULLABLE = {("photos", "primary")}

_formats = FormatChecker()


@_formats.checks("date-time")
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value)
    )


@cache
def spec() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.fail(f"Strava's swagger is not at {SPEC_PATH}: the schema checks need it")
    data: dict[str, Any] = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    return data


@cache
def _transcription() -> dict[str, Any]:
    models: dict[str, Any] = json.loads(MODELS_PATH.read_text(encoding="utf-8"))["models"]
    return models


@cache
def _model_file(name: str) -> dict[str, Any] | None:
    path = HERE / name
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


@cache
def nullable_fields() -> frozenset[tuple[str | None, str]]:
    """(parent key, key) pairs that Strava's example responses in the swagger show as null."""
    found: set[tuple[str | None, str]] = set()

    def walk(node: Any, parent: str | None) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if value is None:
                    found.add((parent, key))
                walk(value, key)
        elif isinstance(node, list):
            for item in node:
                walk(item, parent)

    for operations in spec()["paths"].values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                for example in response.get("examples", {}).values():
                    walk(example, None)
    return frozenset(found | EXTRA_NULLABLE)


def _resolve(ref: str, base: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The schema a $ref names, and the document its own local refs are relative to."""
    match = REMOTE.match(ref)
    if match:
        document = _model_file(match["file"]) or _transcription()
        return document[match["name"]], document
    if ref.startswith("#/"):
        node: Any = base
        for part in ref[2:].split("/"):
            node = node[part]
        return node, base
    raise ValueError(f"cannot resolve $ref {ref}")


def _inline(node: Any, base: dict[str, Any], owner: str | None = None, depth: int = 0) -> Any:
    """`node` with every $ref replaced by its target; `owner` is the enclosing property."""
    if depth > 40:
        raise ValueError("$ref chain too deep (a cycle?)")
    if isinstance(node, list):
        return [_inline(item, base, owner, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target, target_base = _resolve(node["$ref"], base)
        return _inline(target, target_base, owner, depth + 1)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            props = {}
            for name, prop in value.items():
                inlined = _inline(prop, base, name, depth)
                if (owner, name) in nullable_fields():
                    inlined = {"anyOf": [inlined, {"type": "null"}]}
                props[name] = inlined
            out[key] = props
        else:
            out[key] = _inline(value, base, owner, depth)
    return out


@cache
def response_schema(path: str, method: str = "get", status: str = "200") -> dict[str, Any]:
    document = spec()
    schema = document["paths"][path][method]["responses"][status]["schema"]
    inlined: dict[str, Any] = _inline(schema, document)
    return inlined


def model_schema(url: str) -> dict[str, Any]:
    """A model by its swagger URL, e.g. the `Fault` every error response uses."""
    inlined: dict[str, Any] = _inline({"$ref": url}, spec())
    return inlined


@cache
def _validator(path: str, method: str) -> Draft4Validator:
    return Draft4Validator(response_schema(path, method), format_checker=_formats)


def assert_valid(instance: Any, schema: dict[str, Any] | Draft4Validator) -> None:
    validator = (
        schema
        if isinstance(schema, Draft4Validator)
        else Draft4Validator(schema, format_checker=_formats)
    )
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        detail = "\n".join(f"  at {list(e.absolute_path)}: {e.message}" for e in errors[:10])
        raise AssertionError(f"{len(errors)} schema violation(s):\n{detail}")


def assert_response(instance: Any, path: str, method: str = "get") -> None:
    """Validate a body against the 200 schema the swagger gives for `path`."""
    assert_valid(instance, _validator(path, method))


FAULT = "https://developers.strava.com/swagger/fault.json#/Fault"
