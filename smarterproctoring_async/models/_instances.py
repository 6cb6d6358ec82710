"""How a decoded record becomes an instance, and what the instance keeps beside its
attributes: the record as sent (for ``to_dict()``, in the ``__wire_record__`` slot the
base model declares) and, for a row of a grouped page, its group's key (in the instance
``__dict__``). Neither is an attrs field, so ``attrs.asdict``, ``==`` and ``repr`` never
see them.

The record is in a slot rather than in ``__dict__`` for the cyclic garbage collector: a
dict holding only strings, numbers and dates is not tracked by it, one holding another
dict is. With the record beside it, the attribute dict of a typical row stays untracked
and each decoded row is one tracked object (the instance), not two."""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from ._lenient import wire_name

__all__ = [
    "GROUP",
    "RECORD",
    "Make",
    "in_group",
    "is_plain",
    "known_wire_names",
    "maker",
    "record_of",
    "restore",
    "wire_names",
]

M = TypeVar("M")

#: The slot where a decoded model keeps its record (declared by the base model).
RECORD = "__wire_record__"
#: Where a row of a grouped page keeps its group's key.
GROUP = "__group_key__"

Make = Callable[[dict[str, Any], dict[str, Any], "dict[str, Any] | None"], M]
"""``make(attributes, record, extra)``, as :func:`maker` builds it."""


def record_of(instance: object) -> dict[str, Any] | None:
    """The record a model was decoded from, or ``None`` for one built in code."""
    record: dict[str, Any] | None = getattr(instance, RECORD, None)
    return record


def restore(instance: object, state: Any) -> None:
    """``__setstate__`` of the models (pickle, ``copy``): object's default sets each
    slot with ``setattr``, which a frozen class refuses."""
    attributes, slots = state if type(state) is tuple else (state, None)
    instance.__dict__.update(attributes or {})
    for name, value in (slots or {}).items():
        object.__setattr__(instance, name, value)


def in_group(instance: M, key: str) -> M:
    """``instance``, marked as listed under ``key`` in a grouped page."""
    object.__setattr__(instance, GROUP, key)
    return instance


def is_plain(cls: type) -> bool:
    """Whether ``__init__`` of an attrs model class would only store each value: every
    field a plain default, no validator, converter, alias, slot or init hook."""
    fields = [field for field in attrs.fields(cls) if field.name != "extra"]
    slotted = {slot for klass in cls.__mro__ for slot in getattr(klass, "__slots__", ())}
    return not (
        hasattr(cls, "__attrs_pre_init__")
        or hasattr(cls, "__attrs_post_init__")
        or any(
            not field.init
            or field.validator is not None
            or field.converter is not None
            or field.alias != field.name
            or field.name in slotted
            or isinstance(field.default, attrs.Factory)  # type: ignore[arg-type]
            for field in fields
        )
    )


def maker(cls: type[M], known: frozenset[str]) -> Make[M]:
    """``make(attributes, record, extra)``: the instance of a decoded record.

    ``cls`` is an attrs model class; ``known`` are the wire names it documents.
    ``attributes`` is a new dict the caller gives up. ``extra`` is ``None`` when it
    holds exactly the fields the class does not name. For a plain model (every field a
    plain default; no validator, converter, alias, slot or init hook: all ``__init__``
    would do is store each value), ``attributes`` becomes the new instance's
    ``__dict__`` (a third of the cost of attrs' frozen ``__init__``, and no copy), and
    ``extra`` is left to be made on first use when it can be. Any other model class is
    called.
    """
    build: Any = cls  # an attrs class taking its fields and ``extra`` as keywords
    fields = [field for field in attrs.fields(build) if field.name != "extra"]
    plain = is_plain(cls)
    new, set_attribute = object.__new__, object.__setattr__

    if plain:
        template = {field.name: field.default for field in fields}
        size = len(template)

        def make(values: dict[str, Any], record: dict[str, Any], extra: Any) -> M:
            instance = new(cls)
            if len(values) != size:  # fields the record left out keep their defaults
                values = {**template, **values}
            if extra is not None:
                values["extra"] = extra
            set_attribute(instance, "__dict__", values)
            set_attribute(instance, RECORD, record)
            return instance

    else:

        def make(values: dict[str, Any], record: dict[str, Any], extra: Any) -> M:
            if extra is None:
                extra = {k: v for k, v in record.items() if k not in known}
            instance: M = build(**values, extra=extra)
            set_attribute(instance, RECORD, record)
            return instance

    return make


def wire_names(model: type) -> Mapping[str, str]:
    """Attribute name -> wire name, for each documented field of a model class."""
    found = _WIRE_NAMES.get(model)
    if found is None:
        found = _WIRE_NAMES[model] = types.MappingProxyType(
            {
                field.name: field.metadata.get("wire") or wire_name(field.name)
                for field in attrs.fields(model)
                if field.name != "extra"
            }
        )
    return found


_WIRE_NAMES: dict[type, Mapping[str, str]] = {}


def known_wire_names(model: type) -> frozenset[str]:
    """The wire names a model class documents."""
    found = _KNOWN.get(model)
    if found is None:
        found = _KNOWN[model] = frozenset(wire_names(model).values())
    return found


_KNOWN: dict[type, frozenset[str]] = {}
