"""The base :class:`Model` and the one cattrs converter that decodes and encodes every model.

Decoding a record (:func:`decoder`, or ``converter.structure(record, SomeModel)``):

0. a flat model's straight-line function (:mod:`._fast`) takes a record that needs no
   lenient rule; any other record goes on to 1;
1. a structure function that cattrs generates for the class
   (``make_dict_structure_fn_from_attrs``, wire names given by ``override(rename=...)``)
   decodes each documented field with the hook the converter has for its annotation:
   the lenient rules of :mod:`._lenient` for scalars and dates, the JSON-kind-checking
   container hooks below, the model hook again for a nested model;
2. the fields the model does not name are its ``extra`` (made on first use);
3. the record itself is kept in a slot of the instance for ``to_dict()``.

When a hook raises, the record takes a slow path: each documented field is tried
alone, a value that fits no rule (a misfit) moves to ``extra`` with its attribute
left at its default (``None``), and is logged (see :func:`_note_misfit`); then the
generated function runs on the remaining fields. Any other failure of a hook (a bug,
or a hook the caller registered) becomes a
:class:`~smarterproctoring_async.errors.DecodeError` naming the model, the record's
``sid`` and the field. Only a record that is not a JSON object fails as a whole.

A row of a grouped page comes wrapped with its group's key
(:class:`~smarterproctoring_async._envelope.GroupedRow`); the top-level decoder
unwraps it in its not-an-object branch, so plain records pay nothing for it.

Encoding (``converter.unstructure(model)``, which ``to_dict()`` is): a decoded model
gives back a copy of the record as sent; a model built in code goes through an
unstructure function cattrs generates (wire names, dates as ISO-8601 with ``Z``,
``None`` left out), then ``extra``.

This is the only module that imports cattrs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, TypeVar, cast

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn_from_attrs, make_dict_unstructure_fn, override

from .._envelope import GroupedRow
from ..errors import DecodeError
from ._fast import straight_line
from ._instances import (
    GROUP,
    RECORD,
    in_group,
    is_plain,
    maker,
    record_of,
    restore,
    wire_names,
)
from ._instances import (
    known_wire_names as _known,
)
from ._lenient import (
    Hook,
    Misfit,
    field_error,
    is_json_value,
    is_list,
    is_mapping,
    is_optional,
    json_copy,
    list_factory,
    mapping_factory,
    note_misfit,
    optional_factory,
    scalar_hook,
)
from .values import JSONValue

__all__ = ["Model", "converter", "decoder", "wire_names"]

M = TypeVar("M", bound="Model")


# slots=False: the decoder fills a new instance's __dict__ directly instead of running
# attrs' frozen __init__ (a slotted frozen __init__ sets each field through
# object.__setattr__: a third of the whole decoding cost). The record kept for
# to_dict() has a slot of its own, outside __dict__ (see _instances).
@attrs.frozen(kw_only=True, slots=False)
class Model:
    """Base of every API record: ``extra`` holds the fields the model does not name.

    Subclasses are ``@attrs.frozen(kw_only=True, slots=False)`` classes whose
    attributes are the documented fields, each with a default (a record may leave any
    field out). An attribute's wire name is its camelCase form, or the ``"wire"`` entry
    of its metadata: ``url: str | None = attrs.field(default=None, metadata={"wire": "URL"})``.
    Any annotation the converter can decode works: ``str | None``, ``Optional[int]``,
    ``datetime | None``, ``list[str]``, another model, ``Mapping[str, JSONValue]``...
    """

    __slots__ = ("__dict__", RECORD)
    __setstate__ = restore

    extra: Mapping[str, JSONValue] = attrs.field(factory=dict, repr=False)

    def to_dict(self) -> dict[str, JSONValue]:
        """The record in wire form (camelCase keys).

        For a decoded model, a copy of the record exactly as the server sent it (keys,
        order, values); for one built in code, its attributes (``None`` left out,
        dates as ISO-8601 UTC with ``Z``) followed by ``extra``.
        """
        return cast("dict[str, JSONValue]", converter.unstructure(self))

    @property
    def group_key(self) -> str | None:
        """The key of the group the server sent this row in, else ``None``.

        Set on rows of a route that takes ``groupBy`` (``exams_by_week``) when the
        server answered its ``results`` as an object of groups: the key the row was
        listed under, such as ``"2018-09-26"``. ``None`` for a row of a plain list, a
        record of any other route and a model built in code. Not a wire field:
        ``to_dict()`` is the row as sent, without it.
        """
        return cast("str | None", self.__dict__.get(GROUP))


class _ExtraFromRecord:
    """``Model.extra`` for a decoded model that has not been asked for it yet.

    The decoder does not store ``extra`` (building it is a fifth of the decoding cost,
    for a field many readers never look at). As a non-data descriptor on the class, this
    is consulted only when the instance has no ``extra`` of its own: it makes it from the
    record, stores it in the instance, and is not consulted again for that instance.
    """

    def __get__(self, model: Model | None, owner: type | None = None) -> Any:
        if model is None:
            return self
        record = record_of(model)
        if record is None:
            raise AttributeError(f"{type(model).__name__!r} object has no attribute 'extra'")
        known = _known(type(model))
        extra = {key: value for key, value in record.items() if key not in known}
        # setdefault: a thread racing here keeps whichever equal dict was stored first.
        return model.__dict__.setdefault("extra", extra)


# After attrs has built the class (it removes the field's class attribute); the
# subclasses inherit it. Frozen instances, not classes: type.__setattr__ is allowed.
type.__setattr__(Model, "extra", _ExtraFromRecord())


converter = cattrs.Converter(detailed_validation=False)
"""The converter: JSON records to models and back. Hooks for the lenient rules are
registered on it; cattrs generates the per-class functions that call them."""


def decoder(model: type[M], defaults: Mapping[str, object] | None = None) -> Callable[[object], M]:
    """A one-argument function decoding records of ``model`` (look it up once, call often).

    It is the converter's structure hook for the class. ``defaults`` (attribute name ->
    value) fill attributes a record leaves out, sends as ``null`` or sends in a shape
    kept in ``extra``, such as the install SID of the request path; ``to_dict()`` still
    gives the record as sent. A value that fits no rule is kept in ``extra``; a record
    that is not a JSON object raises DecodeError. A row of a grouped page (a
    :class:`~smarterproctoring_async._envelope.GroupedRow`) is decoded as its row, its
    ``group_key`` set.
    """
    fill = tuple(defaults.items()) if defaults else ()
    top_level = _TOP_LEVEL.get(model)
    if top_level is None:
        structure = converter.get_structure_hook(model)
        # The model hook's own top-level form: one frame less per record.
        top_level = getattr(structure, "top_level", None)
        if top_level is None:  # a hook the caller registered for the class
            top_level = _top_level_of(structure, model)
        _TOP_LEVEL[model] = top_level
    if not fill:
        return cast("Callable[[object], M]", top_level)
    names = (model, tuple(attribute for attribute, _ in fill))
    if names not in _CHECKED:  # a handle asks for the same few sets with every request
        unknown = sorted(attribute for attribute in names[1] if attribute not in wire_names(model))
        if unknown:
            raise ValueError(f"{model.__name__} has no attribute(s) {', '.join(unknown)}")
        _CHECKED.add(names)
    set_attribute = object.__setattr__
    whole = top_level

    def decode(data: object) -> M:
        instance: M = whole(data)
        for attribute, value in fill:
            if getattr(instance, attribute) is None:
                set_attribute(instance, attribute, value)
        return instance

    return decode


#: (model, attribute names) given as defaults and found to be the model's.
_CHECKED: set[tuple[type, tuple[str, ...]]] = set()

#: Model class -> its hook's top-level form (classes are few and live forever).
_TOP_LEVEL: dict[type, Callable[[object], Any]] = {}


def _top_level_of(structure: Hook, model: type[M]) -> Callable[[object], M]:
    """A top-level decoder around a structure hook that has none of its own."""

    def top_level(data: object) -> M:
        try:
            instance: M = structure(data, model)
        except Misfit as exc:  # only the record itself can misfit here: not an object
            raise DecodeError(str(exc)) from None
        return instance

    return top_level


# Hooks for the lenient rules. Registered later wins in cattrs, so these take precedence
# over its defaults (which would, for instance, turn a number into a string with str()).

for _kind in (str, int, float, bool, datetime):
    converter.register_structure_hook(_kind, scalar_hook(_kind))


def _date_to_wire(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


converter.register_unstructure_hook(datetime, _date_to_wire)


converter.register_structure_hook_factory(is_optional, optional_factory)
converter.register_structure_hook_factory(is_list, list_factory)
converter.register_structure_hook_factory(is_mapping, mapping_factory)


def _as_is(value: Any, _: Any = None) -> Any:
    return value


# Any JSON fits a JSONValue field: no check. (Registered after the optional factory:
# JSONValue is also a union with None, and the later registration wins.)
converter.register_structure_hook_func(is_json_value, _as_is)
converter.register_unstructure_hook_func(is_json_value, json_copy)


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, Model)


# Per thread, like cattrs' own: another thread generating the same class must not see
# it as "in progress" and get (and cache) the late-binding hook below.
_generating = threading.local()


def _structure_model(cls: type[M]) -> Hook:
    working: set[type] = _generating.__dict__.setdefault("classes", set())
    if cls in working:
        # A model nested in itself: find its (by then finished) hook per record.
        return lambda data, _: converter.structure(data, cls)
    working.add(cls)
    try:
        return _make_structure(cls)
    finally:
        working.discard(cls)


def _make_structure(cls: type[M]) -> Hook:
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    names = wire_names(cls)
    known = _known(cls)
    kinds = {field.name: field.type for field in fields}
    # The per-field hooks again, for the slow path: the same lookups cattrs makes.
    plan = {
        wire: (kinds[attr], converter.get_structure_hook(kinds[attr], cache_result=False))
        for attr, wire in names.items()
    }

    # cattrs ends the generated function with ``cl(**attributes)``; rather than attrs'
    # frozen __init__, this gets the attributes as one dict built in C, which becomes the
    # instance's __dict__ (see maker). Named after the model, like its linecache entry.
    def collect(**attributes: Any) -> dict[str, Any]:
        return attributes

    collect.__name__, collect.__qualname__ = cls.__name__, cls.__qualname__
    collect.__module__ = cls.__module__
    generated = _generate(cls, fields, collect)
    # The same function with every field required: a plain call with the hooks' results
    # as keyword arguments, where ``generated`` tests each key and fills a dict first
    # (twice the work). A record that leaves a field out fails it at once (KeyError)
    # and takes ``generated``.
    every_field = _generate(cls, [field.evolve(default=attrs.NOTHING) for field in fields], collect)
    make = maker(cls, known)
    name = cls.__name__

    def lenient(data: dict[str, Any]) -> M:
        misfits = set()
        for key, value in data.items():
            entry = plan.get(key)
            if entry is None:
                continue
            kind, hook = entry
            try:
                hook(value, kind)
            except Misfit:
                misfits.add(key)
                note_misfit(name, key, value)
            except Exception as exc:
                error = field_error(name, data, key, exc)
                raise error from (None if isinstance(exc, DecodeError) else exc)
        values = generated({k: v for k, v in data.items() if k not in misfits})
        extra = {k: v for k, v in data.items() if k not in known or k in misfits}
        return make(values, data, extra)

    def decode(data: dict[str, Any]) -> M:
        try:
            values = every_field(data)
        except Exception:
            try:
                values = generated(data)
            except Exception:
                return lenient(data)
        return make(values, data, None)

    fast: Callable[[dict[str, Any]], M] = decode
    if is_plain(cls) and all(field.default is None for field in fields if field.name != "extra"):
        attributes = {a: (w, kinds[a], plan[w][1]) for a, w in names.items()}
        fast = straight_line(cls, attributes, decode, _as_is)

    def structure(data: Any, _: Any = None) -> M:
        if type(data) is not dict:
            raise Misfit(f"{name}: expected a JSON object, got {type(data).__name__}")
        return fast(data)

    def top_level(data: Any) -> M:
        """``structure`` for a record that is not inside another: not an object is a
        plain DecodeError, since there is no ``extra`` to keep it in. A row of a
        grouped page is unwrapped here, off the plain records' path."""
        if type(data) is not dict:
            if type(data) is GroupedRow:
                return in_group(top_level(data.row), data.key)
            raise DecodeError(f"{name}: expected a JSON object, got {type(data).__name__}")
        return fast(data)

    structure.top_level = top_level  # type: ignore[attr-defined]
    return structure


def _generate(
    cls: type[M], fields: Sequence[attrs.Attribute[Any]], collect: Callable[..., dict[str, Any]]
) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """cattrs' structure function for ``fields`` of ``cls``, ending in ``collect(**...)``."""
    generated: Callable[[Mapping[str, Any]], dict[str, Any]]
    generated = make_dict_structure_fn_from_attrs(
        list(fields),
        cast("type[dict[str, Any]]", collect),
        converter,
        _cattrs_forbid_extra_keys=False,
        _cattrs_detailed_validation=False,
        **_overrides(cls),
    )
    return generated


def _overrides(cls: type[Model]) -> dict[str, Any]:
    """The cattrs overrides of a model class: wire names; ``extra`` is not a wire field."""
    found: dict[str, Any] = {attr: override(rename=wire) for attr, wire in wire_names(cls).items()}
    found["extra"] = override(omit=True)
    return found


def _unstructure_model(cls: type[Model]) -> Callable[[Model], dict[str, Any]]:
    attrs.resolve_types(cls)
    generated = make_dict_unstructure_fn(
        cls, converter, _cattrs_omit_if_default=True, **_overrides(cls)
    )

    def unstructure(model: Model) -> dict[str, Any]:
        record = record_of(model)
        if record is not None:
            return cast("dict[str, Any]", json_copy(record))
        wire = generated(model)
        for key, value in model.extra.items():
            wire[key] = json_copy(value)
        return wire

    return unstructure


converter.register_structure_hook_factory(_is_model, _structure_model)
converter.register_unstructure_hook_factory(_is_model, _unstructure_model)
