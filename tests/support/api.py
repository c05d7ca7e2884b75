"""The read-only JSON API as the tests use it: its base path, the bearer header, the token the app derives for the
demo event, and a validator for the subset of JSON Schema the OpenAPI document uses."""

from __future__ import annotations

from types import SimpleNamespace

from app.organiser.api import api_token
from tests.conftest import SECRET, SLUG, query

API = f"/api/v1/events/{SLUG}"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def expected_token(settings) -> str:
    event_id, version = query(settings, "SELECT id, api_version FROM event WHERE slug = :s", s=SLUG)[0]
    return api_token(SECRET, SimpleNamespace(id=event_id, api_version=version))


TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


def validate(value: object, schema: dict, where: str = "$") -> None:
    """The subset of JSON Schema the API document uses: type (or a list of types), required, properties, items,
    oneOf, maxLength. Raises AssertionError naming the place that does not match."""
    if "oneOf" in schema:
        matches = 0
        for option in schema["oneOf"]:
            try:
                validate(value, option, where)
            except AssertionError:
                continue
            matches += 1
        assert matches == 1, f"{where}: {value!r} matches {matches} of oneOf"
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        assert any(TYPES[t](value) for t in types), f"{where}: {value!r} is not {types}"
    if isinstance(value, dict):
        for key in schema.get("required", []):
            assert key in value, f"{where}: missing {key!r}"
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                validate(value[key], sub, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            validate(item, schema["items"], f"{where}[{index}]")
    if isinstance(value, str) and "maxLength" in schema:
        assert len(value) <= schema["maxLength"], f"{where}: longer than {schema['maxLength']}"
