"""The one cattrs converter: JSON records to models and back.

Models are decoded in a single pass over each record by a function built once per
model class: documented fields are coerced by their type, unknown ones go to
``extra``. This is on the hot path (one call per record), so the per-field work is a
dict lookup and a type check; cattrs dispatches and caches the built functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

import cattrs

from .errors import DecodeError
from .models import DateValue, JSONValue, Model, wire_fields

__all__ = ["converter", "decoder_for", "model_to_wire", "parse_datetime"]

M = TypeVar("M", bound=Model)

converter = cattrs.Converter()


class _Misfit(Exception):
    """A documented string field holding another kind of JSON: keep it in ``extra``."""


class _Invalid(Exception):
    """A value no lenient rule accepts; becomes a DecodeError naming the field."""


def parse_datetime(value: str) -> DateValue:
    """An aware datetime from an ISO-8601 string, or the string itself if it won't parse."""
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return value
    # The API speaks UTC; a date without an offset is UTC rather than local time.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _as_str(value: object) -> object:
    if value is None or type(value) is str:
        return value
    raise _Misfit


def _as_int(value: object) -> object:
    if value is None or type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    raise _Invalid("a whole number")


def _as_float(value: object) -> object:
    if value is None or type(value) in (int, float):
        return value
    raise _Invalid("a number")


def _as_bool(value: object) -> object:
    if value is None or type(value) is bool:
        return value
    raise _Invalid("true or false")


def _as_date(value: object) -> object:
    if value is None:
        return None
    if type(value) is str:
        return parse_datetime(value)
    raise _Invalid("an ISO-8601 date string")


def _as_json(value: object) -> object:
    return value


# Keyed by the annotation text of the model field (see models.wire_fields).
_COERCE: Mapping[str, Callable[[object], object]] = {
    "str | None": _as_str,
    "int | None": _as_int,
    "float | None": _as_float,
    "bool | None": _as_bool,
    "DateValue": _as_date,
    "JSONValue": _as_json,
}


def _model_hook(cls: type[M]) -> Callable[[object, type[M]], M]:
    plan = {wire: (attr, _COERCE[kind]) for attr, wire, kind in wire_fields(cls)}
    name = cls.__name__

    def structure(data: object, _: type[M]) -> M:
        if type(data) is not dict:
            raise DecodeError(f"{name}: expected a JSON object, got {type(data).__name__}")
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            entry = plan.get(key)
            if entry is None:
                extra[key] = value
                continue
            try:
                values[entry[0]] = entry[1](value)
            except _Misfit:
                extra[key] = value
            except _Invalid as exc:
                sid = data.get("sid")
                where = f" {sid!r}" if isinstance(sid, str) else ""
                raise DecodeError(
                    f"{name}{where}: field {key!r} must be {exc}, got {value!r:.80}"
                ) from None
        return cls(**values, extra=extra, raw=data)

    return structure


converter.register_structure_hook_factory(
    lambda t: isinstance(t, type) and issubclass(t, Model), _model_hook
)


def decoder_for(cls: type[M]) -> Callable[[object], M]:
    """A one-argument function decoding records of ``cls`` (looked up once, called often)."""
    hook = converter.get_structure_hook(cls)

    def decode(data: object) -> M:
        result: M = hook(data, cls)
        return result

    return decode


def model_to_wire(model: Model) -> dict[str, JSONValue]:
    """The wire form of a model built in code rather than decoded from the server."""
    wire: dict[str, JSONValue] = {}
    for attr, name, _ in wire_fields(type(model)):
        value = getattr(model, attr)
        if isinstance(value, datetime):
            value = value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        if value is not None:
            wire[name] = value
    wire.update(model.extra)
    return wire
