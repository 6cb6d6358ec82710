"""The fake's route table, read from the API maker's Swagger routes, and request validation.

The table is package data of ``smarterproctoring_async`` (``_swagger_routes.json``); it is
plain data, so sharing it with the client shares no client logic. The maker's Swagger has
routes the client does not wrap (``FAKE_ONLY_ROUTES``); the fake serves those too.
Validation raises ``ApiError`` (``errors.py``) naming the refused parameter and joi's
reason, so either error style can tell it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from .errors import ApiError, invalid, not_found

__all__ = [
    "FAKE_ONLY_ROUTES",
    "ApiError",
    "Param",
    "Route",
    "invalid",
    "load_routes",
    "match",
    "not_found",
    "validate",
]

_INTEGER = re.compile(r"-?[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

FAKE_ONLY_ROUTES: dict[str, dict[str, Any]] = {
    # In the maker's Swagger (GET, no parameters) but not in the SDK's table, which
    # lists only what the client wraps: a client test revokes its token through it.
    "/v1/logout": {"parameters": []},
}
"""Routes of the maker's Swagger the fake serves although the client does not wrap them."""


@dataclass(frozen=True)
class Param:
    """One Swagger parameter."""

    name: str
    location: str
    type: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    pattern: re.Pattern[str] | None = None
    minimum: float | None = None
    max_length: int | None = None
    max_items: int | None = None
    fmt: str | None = None
    default: Any = None
    item_type: str = "string"
    item_enum: tuple[str, ...] | None = None

    @classmethod
    def from_swagger(cls, raw: dict[str, Any]) -> Param:
        """Build from a Swagger parameter object."""
        items = raw.get("items") or {}
        return cls(
            name=raw["name"],
            location=raw["in"],
            type=raw.get("type", "string"),
            required=bool(raw.get("required", False)),
            enum=tuple(raw["enum"]) if "enum" in raw else None,
            pattern=re.compile(raw["pattern"]) if "pattern" in raw else None,
            minimum=raw.get("minimum"),
            max_length=raw.get("maxLength"),
            max_items=raw.get("maxItems"),
            fmt=raw.get("format"),
            default=raw.get("default"),
            item_type=items.get("type", "string"),
            item_enum=tuple(items["enum"]) if "enum" in items else None,
        )


@dataclass(frozen=True)
class Route:
    """One GET route: its template, the regex matching it and its parameters."""

    template: str
    regex: re.Pattern[str]
    path_params: dict[str, Param]
    query_params: dict[str, Param]
    literals: int

    @property
    def paginated(self) -> bool:
        """Whether the route takes offset and limit."""
        return "offset" in self.query_params and "limit" in self.query_params

    def default(self, name: str) -> Any:
        """The Swagger default of a query parameter, None if it has none."""
        param = self.query_params.get(name)
        return None if param is None else param.default


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[A-Za-z]+\})", template)
    body = "".join(
        f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(body)


@lru_cache(maxsize=1)
def load_routes() -> tuple[Route, ...]:
    """Every route of ``_swagger_routes.json`` and ``FAKE_ONLY_ROUTES``, most literal first."""
    text = (
        resources.files("smarterproctoring_async")
        .joinpath("_swagger_routes.json")
        .read_text(encoding="utf-8")
    )
    routes = []
    table = {**json.loads(text)["routes"], **FAKE_ONLY_ROUTES}
    for template, spec in table.items():
        params = [Param.from_swagger(raw) for raw in spec.get("parameters", [])]
        routes.append(
            Route(
                template=template,
                regex=_compile(template),
                path_params={p.name: p for p in params if p.location == "path"},
                query_params={p.name: p for p in params if p.location == "query"},
                literals=template.count("/") - template.count("{"),
            )
        )
    # "/exams/ordered" must win over "/exams/{examSid}".
    return tuple(sorted(routes, key=lambda r: -r.literals))


def match(path: str) -> tuple[Route, dict[str, str]] | None:
    """The route a path matches and its path parameters, None for an unknown path."""
    for route in load_routes():
        found = route.regex.fullmatch(path)
        if found:
            return route, found.groupdict()
    return None


def validate(
    route: Route, path_values: dict[str, str], pairs: Sequence[tuple[str, str]]
) -> dict[str, list[str]]:
    """Check path and query parameters against the Swagger route; raise ApiError (400).

    Returns the query values grouped by name, in order.
    """
    for name, value in path_values.items():
        param = route.path_params.get(name)
        if param is not None and param.pattern and not param.pattern.fullmatch(value):
            raise invalid(
                f"Invalid {name}: {value!r} does not match {param.pattern.pattern}",
                name,
                f'with value "{value}" fails to match the required pattern: '
                f"/{param.pattern.pattern}/",
                source="params",
            )
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    for name, values in grouped.items():
        param = route.query_params.get(name)
        if param is None:
            # joi words an unknown key without the "child ... fails" wrapper.
            message = f"Unknown query parameter {name!r}"
            raise ApiError("invalid", message, keys=(name,), detail=f'"{name}" is not allowed')
        if param.type == "array":
            if param.max_items is not None and len(values) > param.max_items:
                raise invalid(
                    f"Too many values for {name}: at most {param.max_items}",
                    name,
                    f"must contain less than or equal to {param.max_items} items",
                )
            for value in values:
                _check(param, name, value, param.item_type, param.item_enum)
        elif len(values) > 1:
            # hapi parses a repeated key into an array, which a scalar schema refuses.
            reason = "must be a number" if param.type == "integer" else f"must be a {param.type}"
            raise invalid(f"Query parameter {name!r} may be given only once", name, reason)
        else:
            _check(param, name, values[0], param.type, param.enum)
    for name, param in route.query_params.items():
        if param.required and name not in grouped:
            raise invalid(f"Missing required query parameter {name!r}", name, "is required")
    return grouped


def _check(param: Param, name: str, value: str, kind: str, enum: tuple[str, ...] | None) -> None:
    if kind == "integer":
        if not _INTEGER.fullmatch(value):
            raise invalid(f"Invalid {name}: {value!r} is not an integer", name, "must be a number")
        if param.minimum is not None and int(value) < param.minimum:
            raise invalid(
                f"Invalid {name}: must be >= {param.minimum:g}",
                name,
                f"must be larger than or equal to {param.minimum:g}",
            )
    elif kind == "boolean" and value not in ("true", "false"):
        raise invalid(f"Invalid {name}: {value!r} is not true or false", name, "must be a boolean")
    if enum is not None and value not in enum:
        raise invalid(
            f"Invalid {name}: {value!r} is not one of {', '.join(enum)}",
            name,
            f"must be one of [{', '.join(enum)}]",
        )
    if param.pattern is not None and not param.pattern.fullmatch(value):
        raise invalid(
            f"Invalid {name}: {value!r} does not match {param.pattern.pattern}",
            name,
            f'with value "{value}" fails to match the required pattern: /{param.pattern.pattern}/',
        )
    if param.max_length is not None and len(value) > param.max_length:
        raise invalid(
            f"Invalid {name}: longer than {param.max_length} characters",
            name,
            f"length must be less than or equal to {param.max_length} characters long",
        )
    if param.fmt == "date" and not _DATE.fullmatch(value):
        raise invalid(
            f"Invalid {name}: {value!r} is not a date (YYYY-MM-DD)",
            name,
            "must be a valid ISO 8601 date",
        )
