"""The one cattrs converter: JSON records to models and back.

Models are decoded in a single pass over each record by a function built once per
model class: documented fields are coerced by their type, unknown ones go to
``extra``. This is on the hot path (one call per record), so the per-field work is a
dict lookup and a type check. The functions are built once per class and cached;
cattrs dispatches to them. A field declared with ``models.nested`` is decoded by its
nested model's function, with the same leniency.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

import cattrs

from .errors import DecodeError
from .models import DateValue, JSONValue, Model, nested_models, wire_fields

__all__ = ["converter", "decoder_for", "model_to_wire", "parse_datetime"]

M = TypeVar("M", bound=Model)

converter = cattrs.Converter()


class _Misfit(Exception):
    """A documented string field holding another kind of JSON: keep it in ``extra``."""


class _Invalid(Exception):
    """A value no lenient rule accepts; becomes a DecodeError naming the field."""


def parse_datetime(value: str) -> DateValue:
    """An aware datetime from an ISO-8601 string, or the string itself if it won't parse."""
    try:
        parsed = datetime.fromisoformat(value)  # Python 3.11+ reads a trailing Z itself
    except ValueError:
        if not value.endswith(("Z", "z")):
            return value
        try:
            parsed = datetime.fromisoformat(value[:-1] + "+00:00")
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


def _build(cls: type[M]) -> Callable[[object, Mapping[str, object] | None], M]:
    nested = nested_models(cls)
    plan = {
        wire: (attr, _nested_rule(nested[attr]) if attr in nested else _COERCE[kind])
        for attr, wire, kind in wire_fields(cls)
    }
    name = cls.__name__

    def structure(data: object, defaults: Mapping[str, object] | None) -> M:
        if type(data) is not dict:
            raise DecodeError(f"{name}: expected a JSON object, got {type(data).__name__}")
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            entry = plan.get(key)
            if entry is None:
                extra[key] = value
                continue
            attr, coerce = entry
            if coerce is _as_str:  # most fields: decided inline, without a call
                if value is None or type(value) is str:
                    values[attr] = value
                else:
                    extra[key] = value
                continue
            try:
                values[attr] = coerce(value)
            except _Misfit:
                extra[key] = value
            except (_Invalid, DecodeError) as exc:
                sid = data.get("sid")
                where = f" {sid!r}" if isinstance(sid, str) else ""
                detail = f"must be {exc}, got {value!r:.80}" if isinstance(exc, _Invalid) else exc
                raise DecodeError(f"{name}{where}: field {key!r} {detail}") from None
        if defaults:
            for attr, value in defaults.items():
                if values.get(attr) is None:
                    values[attr] = value
        return cls(**values, extra=extra, raw=data)

    return structure


def _nested_rule(model: type[Model]) -> Callable[[object], object]:
    def coerce(value: object) -> object:
        if value is None:
            return None
        if type(value) is not dict:
            raise _Misfit
        return _structurer(model)(value, None)

    return coerce


_STRUCTURERS: dict[type, Callable[[object, Mapping[str, object] | None], Any]] = {}


def _structurer(cls: type[M]) -> Callable[[object, Mapping[str, object] | None], M]:
    found = _STRUCTURERS.get(cls)
    if found is None:
        found = _STRUCTURERS[cls] = _build(cls)
    return found


def _model_hook(cls: type[M]) -> Callable[[object, type[M]], M]:
    structure = _structurer(cls)

    def hook(data: object, _: type[M]) -> M:
        return structure(data, None)

    return hook


converter.register_structure_hook_factory(
    lambda t: isinstance(t, type) and issubclass(t, Model), _model_hook
)


def decoder_for(
    cls: type[M], defaults: Mapping[str, object] | None = None
) -> Callable[[object], M]:
    """A one-argument function decoding records of ``cls`` (looked up once, called often).

    ``defaults`` (attribute name -> value) fill attributes that a record leaves out or
    sends as ``null``, such as the install SID of the request path; ``to_dict()``
    still gives the record as sent.
    """
    if defaults:
        names = {attr for attr, _, _ in wire_fields(cls)}
        unknown = sorted(set(defaults) - names)
        if unknown:
            raise ValueError(f"{cls.__name__} has no attribute(s) {', '.join(unknown)}")
    structure = _structurer(cls)
    fixed = dict(defaults) if defaults else None

    def decode(data: object) -> M:
        return structure(data, fixed)

    return decode


def model_to_wire(model: Model) -> dict[str, JSONValue]:
    """The wire form of a model built in code rather than decoded from the server."""
    wire: dict[str, JSONValue] = {}
    for attr, name, _ in wire_fields(type(model)):
        value = getattr(model, attr)
        if isinstance(value, datetime):
            value = value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        elif isinstance(value, Model):
            value = value.to_dict()
        if value is not None:
            wire[name] = value
    wire.update(model.extra)
    return wire
