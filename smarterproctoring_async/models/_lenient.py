"""The lenient decoding rules, as plain functions (the converter registers them as hooks).

A hook takes the JSON value and the annotation it is decoded to, and either returns
the attribute's value or raises:

- :class:`Misfit` when the value fits no rule for the field: of another JSON kind (a
  documented string arriving as an object, an object expected and something else
  sent), a date that does not parse, a count that is not a whole number, a flag that
  is not ``true``/``false``. The model leaves the attribute at its default and keeps
  the value in ``extra`` under its wire name: nothing is lost, and one odd value never
  fails a page.

The rules accept what the API's framework (hapi + raw PostgreSQL) really sends: a
count as a JSON number, a whole float (``3.0``) or a digit string (``"3"``, ``"-1"``:
``COUNT()`` left uncast is a bigint, which the driver gives as text); a number as a
JSON number or a decimal string (``"2.50"``: a ``numeric`` column, also text). Those
strings are exactly PostgreSQL's text form: ASCII digits, an optional leading ``-``,
no blanks, no ``+``, no exponent, at most 19 digits (each side of a decimal point);
anything else is a misfit.
Only the failure branch of each hook looks at strings, so a record that sends real
numbers pays nothing for this.

A hook may raise anything else only by a bug (or a hook registered on the converter
by the caller): the model then raises
:class:`~smarterproctoring_async.errors.DecodeError` naming itself and the field.

No cattrs here: these are the rules, the converter module is the machinery.
"""

from __future__ import annotations

import logging
import re
import types
from collections.abc import Callable, Mapping, MutableMapping, MutableSequence, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol, Union, cast, get_args, get_origin

from ..errors import DecodeError
from .values import JSONValue

__all__ = [
    "Hook",
    "HookSource",
    "Misfit",
    "field_error",
    "is_json_value",
    "is_list",
    "is_mapping",
    "is_optional",
    "json_copy",
    "list_factory",
    "mapping_factory",
    "note_misfit",
    "optional_factory",
    "optional_hooks",
    "optional_member",
    "parse_datetime",
    "scalar_hook",
    "wire_name",
]

Hook = Callable[[Any, Any], Any]
"""A structure hook: ``hook(json_value, annotation) -> attribute value``."""


class HookSource(Protocol):
    """What the factories below need of the converter (cattrs passes it in)."""

    def get_structure_hook(self, type: Any, cache_result: bool = ...) -> Hook:
        """The hook the converter has for an annotation."""


_log = logging.getLogger("smarterproctoring_async")


class Misfit(DecodeError):
    """A value of another JSON kind than its field's: the model keeps it in ``extra``.

    Raised by hooks. A model catches it for its own fields; one that reaches the caller
    means the record itself was not a JSON object.
    """


def _got(value: object) -> str:
    return f"{value!r:.80}"


def parse_datetime(text: str) -> datetime | None:
    """An aware datetime from an ISO-8601 string, or ``None`` if it does not parse.

    A trailing ``Z`` is read on every supported Python (3.10's ``fromisoformat`` does
    not); a date without an offset is UTC, the API's zone, rather than local time.
    """
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        if not text.endswith(("Z", "z")):
            return None
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00")
        except ValueError:
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


# The hooks compare ``type(value)`` rather than use isinstance: JSON decoders build
# exact types, a bool must not pass for an int, and the check is the hot path.


def _str(value: Any, _: Any = None) -> str:
    if type(value) is str:
        return value
    raise Misfit(f"expected a string, got {_got(value)}")


# PostgreSQL's text form of a bigint and of a numeric, as node-postgres hands them on:
# ASCII only ([0-9], not \d, which matches other scripts' digits too), no blanks, and
# at most 19 digits so that int() stays cheap whatever a server sends.
_DIGITS = re.compile(r"-?[0-9]{1,19}")
_DECIMAL = re.compile(r"-?[0-9]{1,19}(?:\.[0-9]{1,19})?")


def _int(value: Any, _: Any = None) -> int:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)  # JSON has one number type; 3.0 is a whole number
    if type(value) is str and _DIGITS.fullmatch(value):
        return int(value)  # an uncast SQL COUNT: a bigint the driver sends as text
    raise Misfit(f"expected a whole number, got {_got(value)}")


def _float(value: Any, _: Any = None) -> float:
    # isinstance: a number beyond a double is read as a float that keeps its text.
    if isinstance(value, float) or type(value) is int:
        return value
    if type(value) is str and _DECIMAL.fullmatch(value):
        return float(value)  # a numeric column (AVG, SUM of numerics) sent as text
    raise Misfit(f"expected a number, got {_got(value)}")


def _bool(value: Any, _: Any = None) -> bool:
    if type(value) is bool:
        return value
    raise Misfit(f"expected true or false, got {_got(value)}")


def _datetime(value: Any, _: Any = None) -> datetime:
    if type(value) is str:
        parsed = parse_datetime(value)
        if parsed is not None:
            return parsed
    raise Misfit(f"expected an ISO-8601 date string, got {_got(value)}")


# The optional hooks repeat their scalar's test rather than call it: one call per field
# instead of two, on the hot path.


def _optional_str(value: Any, _: Any = None) -> str | None:
    if value is None or type(value) is str:
        return value
    raise Misfit(f"expected a string, got {_got(value)}")


def _optional_int(value: Any, _: Any = None) -> int | None:
    if value is None or type(value) is int:
        return value
    return _int(value)


def _optional_float(value: Any, _: Any = None) -> float | None:
    if value is None or type(value) is float or type(value) is int:
        return value
    return _float(value)


def _optional_bool(value: Any, _: Any = None) -> bool | None:
    if value is None or type(value) is bool:
        return value
    return _bool(value)


def _optional_datetime(value: Any, _: Any = None) -> datetime | None:
    if type(value) is str:  # parse_datetime's common case, inlined
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return _datetime(value)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
    return None if value is None else _datetime(value)


_SCALARS: dict[Any, tuple[Any, Any]] = {
    str: (_str, _optional_str),
    int: (_int, _optional_int),
    float: (_float, _optional_float),
    bool: (_bool, _optional_bool),
    datetime: (_datetime, _optional_datetime),
}


def scalar_hook(kind: Any) -> Any:
    """The hook for ``str``, ``int``, ``float``, ``bool`` or ``datetime``, else ``None``."""
    found = _SCALARS.get(kind)
    return found[0] if found else None


def optional_hooks() -> dict[str, Hook]:
    """Scalar name (``"str"``, ``"datetime"``...) -> the one-call hook of ``X | None``."""
    return {kind.__name__: hooks[1] for kind, hooks in _SCALARS.items()}


def _optional_hook(kind: Any) -> Any:
    """The one-call hook for ``kind | None`` when ``kind`` is a scalar, else ``None``."""
    found = _SCALARS.get(kind)
    return found[1] if found else None


def _is_union(kind: Any) -> bool:
    return get_origin(kind) in (Union, types.UnionType)


def optional_member(kind: Any) -> Any:
    """``X`` for an annotation ``X | None`` (or ``Optional[X]``), else ``None``."""
    if not _is_union(kind):
        return None
    members = get_args(kind)
    if len(members) != 2 or type(None) not in members:
        return None
    return members[0] if members[1] is type(None) else members[1]


def is_optional(kind: Any) -> bool:
    """Whether an annotation is ``X | None`` (or ``Optional[X]``)."""
    return optional_member(kind) is not None


def optional_factory(kind: Any, converter: HookSource) -> Hook:
    """The hook for ``X | None``: ``None`` as is, anything else by ``X``'s hook."""
    member = optional_member(kind)
    fast = _optional_hook(member)
    if fast is not None:  # one call per field rather than two, on the hot path
        return cast(Hook, fast)
    hook = converter.get_structure_hook(member, cache_result=False)

    def structure(value: Any, _: Any = None) -> Any:
        return None if value is None else hook(value, member)

    return structure


def is_list(kind: Any) -> bool:
    """Whether an annotation is a list, a sequence or ``tuple[X, ...]``."""
    origin = get_origin(kind) or kind
    if origin is tuple:
        args = get_args(kind)
        return len(args) == 2 and args[1] is Ellipsis
    return origin in (list, Sequence, MutableSequence)


def list_factory(kind: Any, converter: HookSource) -> Hook:
    """The hook for a list-like annotation: a JSON array, each element by its hook.

    Anything but an array is a misfit (cattrs' own would iterate a string or the keys
    of an object).
    """
    item = (get_args(kind) or (Any,))[0]
    hook = converter.get_structure_hook(item, cache_result=False)
    build: Callable[[list[Any]], Any] = tuple if (get_origin(kind) or kind) is tuple else list

    def structure(value: Any, _: Any = None) -> Any:
        if type(value) is not list:
            raise Misfit(f"expected a JSON array, got {_got(value)}")
        return build([hook(element, item) for element in value])

    return structure


def is_mapping(kind: Any) -> bool:
    """Whether an annotation is a dict or a mapping."""
    return (get_origin(kind) or kind) in (dict, Mapping, MutableMapping)


def mapping_factory(kind: Any, converter: HookSource) -> Hook:
    """The hook for a mapping annotation: a JSON object, keys and values by their hooks;
    anything else is a misfit."""
    key_kind, value_kind = get_args(kind) or (str, Any)
    key_hook = converter.get_structure_hook(key_kind, cache_result=False)
    value_hook = converter.get_structure_hook(value_kind, cache_result=False)

    def structure(value: Any, _: Any = None) -> Any:
        if type(value) is not dict:
            raise Misfit(f"expected a JSON object, got {_got(value)}")
        return {key_hook(k, key_kind): value_hook(v, value_kind) for k, v in value.items()}

    return structure


_JSON_SCALARS = frozenset({bool, int, float, str, type(None)})


def is_json_value(kind: Any) -> bool:
    """Whether an annotation is :data:`JSONValue` (however its inner references resolved).

    Evaluating the recursive alias leaves forward references at different depths, so
    the alias is recognised by its shape: a union of every JSON scalar, a list and a dict.
    """
    if not _is_union(kind):
        return False
    members = get_args(kind)
    origins = {get_origin(member) for member in members}
    return set(members) >= _JSON_SCALARS and {list, dict} <= origins


def json_copy(value: JSONValue) -> JSONValue:
    """A deep copy of a JSON value (lists and dicts rebuilt; ``copy.deepcopy`` is slower)."""
    if type(value) is dict:
        return {key: json_copy(item) for key, item in value.items()}
    if type(value) is list:
        return [json_copy(item) for item in value]
    return value


#: (model, wire name) pairs whose misfits were logged at WARNING already (bounded by
#: the documented fields of the model classes).
_WARNED: set[tuple[str, str]] = set()


def note_misfit(model: str, key: str, value: object) -> None:
    """Log a value kept in ``extra`` because it fits no rule for its documented field.

    Lenient, but not silent: the first misfit of each model and field is a WARNING (a
    field the server has started to send differently), later ones DEBUG, so a page of
    thousands does not flood the log. The JSON kind is logged, never the value: a
    misfit field may hold a name or an e-mail address.
    """
    level = logging.DEBUG if (model, key) in _WARNED else logging.WARNING
    if _log.isEnabledFor(level):
        _WARNED.add((model, key))
        _log.log(
            level,
            "%s: field %r sent %s, which fits no rule for its type; kept in extra, "
            "the attribute left unset",
            model,
            key,
            next(
                (_JSON_KINDS[cls] for cls in type(value).__mro__ if cls in _JSON_KINDS),
                type(value).__name__,
            ),
        )


_JSON_KINDS = {
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    list: "an array",
    dict: "an object",
    type(None): "null",
}


def field_error(name: str, data: Mapping[str, Any], key: str, exc: Exception) -> DecodeError:
    """The error of a hook that failed otherwise than by a misfit: names the model, the
    record's ``sid`` and the field; the cause is described, not chained."""
    sid = data.get("sid")
    where = f" {sid!r}" if isinstance(sid, str) else ""
    detail = str(exc) if isinstance(exc, DecodeError) else f"failed: {type(exc).__name__}: {exc}"
    return DecodeError(f"{name}{where}: field {key!r} {detail}")


_CAMEL_BREAK = re.compile(r"_([a-z0-9])")


def wire_name(attribute: str) -> str:
    """The camelCase wire name of a snake_case attribute (``exam_sid`` -> ``examSid``)."""
    return _CAMEL_BREAK.sub(lambda m: m.group(1).upper(), attribute)
