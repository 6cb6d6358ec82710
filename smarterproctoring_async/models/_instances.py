"""How a decoded record becomes an instance, and what the instance keeps beside its
attributes: the record as sent (for ``to_dict()``) and, for a row of a grouped page,
its group's key. Both live in the instance ``__dict__``, not in attrs fields, so
``attrs.asdict``, ``==`` and ``repr`` never see them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

__all__ = ["GROUP", "RECORD", "Make", "in_group", "maker"]

M = TypeVar("M")

#: Where a decoded model keeps its record.
RECORD = "__wire_record__"
#: Where a row of a grouped page keeps its group's key.
GROUP = "__group_key__"

Make = Callable[[dict[str, Any], dict[str, Any], "dict[str, Any] | None"], M]
"""``make(attributes, record, extra)``, as :func:`maker` builds it."""


def in_group(instance: M, key: str) -> M:
    """``instance``, marked as listed under ``key`` in a grouped page."""
    object.__setattr__(instance, GROUP, key)
    return instance


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
    slotted = {slot for klass in cls.__mro__ for slot in getattr(klass, "__slots__", ())}
    plain = not (
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
    new, set_attribute = object.__new__, object.__setattr__

    if plain:
        template = {field.name: field.default for field in fields}
        size = len(template)

        def make(values: dict[str, Any], record: dict[str, Any], extra: Any) -> M:
            instance = new(cls)
            if len(values) != size:  # fields the record left out keep their defaults
                values = {**template, **values}
            values[RECORD] = record
            if extra is not None:
                values["extra"] = extra
            set_attribute(instance, "__dict__", values)
            return instance

    else:

        def make(values: dict[str, Any], record: dict[str, Any], extra: Any) -> M:
            if extra is None:
                extra = {k: v for k, v in record.items() if k not in known}
            instance: M = build(**values, extra=extra)
            set_attribute(instance, RECORD, record)
            return instance

    return make
