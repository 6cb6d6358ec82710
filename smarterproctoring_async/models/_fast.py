"""A straight-line decoder per model class: the common record in one Python function.

cattrs' generated function calls one hook per field, builds a dict of keyword arguments
and calls a constructor; for a row of a dozen fields those calls are most of the
decoding cost. The function generated here does the same work inline, for the records
that need no lenient rule: each documented field read once, its JSON kind checked in
place (``None`` or the attribute's own type, dates parsed with ``fromisoformat``), the
attribute dict built as one literal, the record put in its slot. Anything else (a digit
string, a misfit, a date ``fromisoformat`` does not read, a hook that raises) hands the
whole record to ``slow``, the converter's cattrs path, which applies every lenient rule:
the fast path only ever accepts values the hooks would have returned unchanged, so the
two give the same instance.

Only plain models whose documented fields all default to ``None`` get one (a record that
leaves a field out or sends ``null`` then means the same). Fields whose hook is not one
of the lenient scalar hooks or the JSON-value pass-through (a nested model, a list, a
hook the caller registered) call that hook, and only when the record has the key, as
cattrs would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from ._instances import RECORD
from ._lenient import optional_hooks

__all__ = ["straight_line"]

#: Lenient hook -> the condition that lets a value through unchanged (``{v}`` is it).
_PASSES = {
    "str": "{v} is None or type({v}) is _str",
    "int": "{v} is None or type({v}) is _int",
    "float": "{v} is None or type({v}) is _float or type({v}) is _int",
    "bool": "{v} is None or type({v}) is _bool",
}

_DATE = """\
    if {v} is not None:
        if type({v}) is not _str:
            return slow(record)
        try:
            {v} = _iso({v})
        except ValueError:
            return slow(record)
        if {v}.tzinfo is None:
            {v} = {v}.replace(tzinfo=_utc)
"""

_HOOK = """\
    if {wire!r} in record:
        try:
            {v} = _hook{n}({v}, _kind{n})
        except Exception:
            return slow(record)
"""


def straight_line(
    cls: type,
    fields: Mapping[str, tuple[str, Any, Callable[[Any, Any], Any]]],
    slow: Callable[[dict[str, Any]], Any],
    as_is: Callable[..., Any],
) -> Callable[[dict[str, Any]], Any]:
    """The decoder of ``cls`` for a record already known to be a dict.

    ``fields``: attribute -> (wire name, annotation, the converter's hook for it);
    ``slow``: the converter's own decoding of a record; ``as_is``: the JSON-value hook.
    """
    kinds = {hook: kind for kind, hook in optional_hooks().items()}
    namespace: dict[str, Any] = {
        "slow": slow,
        "_new": object.__new__,
        "_cls": cls,
        "_str": str,
        "_int": int,
        "_float": float,
        "_bool": bool,
        "_iso": datetime.fromisoformat,
        "_utc": timezone.utc,
        # The slot descriptors of the base model: a direct call each, no attribute lookup
        # through the class and its frozen __setattr__.
        "_set_dict": _slot_setter(cls, "__dict__"),
        "_set_record": _slot_setter(cls, RECORD),
    }
    reads, checks, calls, items = [], [], [], []
    for n, (attribute, (wire, kind, hook)) in enumerate(fields.items()):
        v = f"v{n}"
        reads.append(f"    {v} = get({wire!r})\n")
        items.append(f"{attribute!r}: {v}")
        scalar = kinds.get(hook)
        if scalar == "datetime":
            checks.append(_DATE.format(v=v))
        elif scalar is not None:
            test = _PASSES[scalar].format(v=v)
            checks.append(f"    if not ({test}):\n        return slow(record)\n")
        elif hook is not as_is:
            namespace[f"_hook{n}"], namespace[f"_kind{n}"] = hook, kind
            calls.append(_HOOK.format(wire=wire, v=v, n=n))
    # Inline checks first, other hooks last: a record the fast path gives up on at a
    # check has run no hook with side effects (a nested model logging its misfits) that
    # the slow path would run again.
    source = (
        "def decode(record):\n    get = record.get\n"
        + "".join(reads + checks + calls)
        + "    instance = _new(_cls)\n"
        + f"    _set_dict(instance, {{{', '.join(items)}}})\n"
        + "    _set_record(instance, record)\n    return instance\n"
    )
    filename = f"<smarterproctoring_async decoder {cls.__qualname__}>"
    exec(compile(source, filename, "exec"), namespace)  # names and wire names only, as repr
    decode: Callable[[dict[str, Any]], Any] = namespace["decode"]
    decode.__qualname__ = f"{cls.__qualname__}.decode"
    return decode


def _slot_setter(cls: type, name: str) -> Callable[[object, object], None]:
    """The ``__set__`` of the slot (or ``__dict__``) descriptor ``name`` in ``cls``'s MRO."""
    for klass in cls.__mro__:
        descriptor = klass.__dict__.get(name)
        if descriptor is not None:
            setter: Callable[[object, object], None] = descriptor.__set__
            return setter
    raise TypeError(f"{cls.__name__} has no {name} slot")  # pragma: no cover - base declares it
