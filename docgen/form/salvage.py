"""What could be read of a form that failed its checks: each field checked on its own, so the rules
across fields still run where their fields are sound, and one report names every fault."""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError


class _Unread:
    """The stand-in for a field that is missing or failed its own check."""

    _instance: _Unread | None = None

    def __new__(cls) -> _Unread:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNREAD"

    def __bool__(self) -> bool:
        raise TypeError("an unread field has no truth value: test it with known() first")


UNREAD: Any = _Unread()
_LEAF_CONFIG = ConfigDict(str_strip_whitespace=True, coerce_numbers_to_str=True)


def known(*values: object) -> bool:
    """True when none of `values` is UNREAD."""
    return all(value is not UNREAD for value in values)


def salvage(model: type[BaseModel], data: object, context: Mapping[str, Any]) -> Any:
    """`model` built from `data` without validation, each field checked alone: UNREAD where it fails."""
    if not isinstance(data, dict):
        return UNREAD
    values = {}
    for name, field in model.model_fields.items():
        if name not in data:
            values[name] = UNREAD if field.is_required() else field.get_default(call_default_factory=True)
            continue
        values[name] = _field(model, name, raw=data[name], context=context)
    return model.model_construct(**values)


def _field(model: type[BaseModel], name: str, *, raw: object, context: Mapping[str, Any]) -> Any:
    inner, many, optional = _shape(model, name)
    if inner is None:
        try:
            return _leaf(model, name).validate_python(raw, context=dict(context))
        except ValidationError:
            return UNREAD
    if raw is None and optional:
        return None
    if not many:
        return salvage(inner, raw, context)
    if not isinstance(raw, list):
        return UNREAD
    return [salvage(inner, item, context) for item in raw]


@functools.cache
def _shape(model: type[BaseModel], name: str) -> tuple[type[BaseModel] | None, bool, bool]:
    return _part_inside(model.model_fields[name].annotation)


def _part_inside(annotation: Any) -> tuple[type[BaseModel] | None, bool, bool]:
    """(the sub-model, is it a list of them, may it be None) of a field's annotation."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        annotation = args[0] if len(args) == 1 else annotation
        origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False, optional
    if origin is list:
        (item,) = typing.get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item, True, optional
    return None, False, optional


@functools.cache
def _leaf(model: type[BaseModel], name: str) -> TypeAdapter:
    field = model.model_fields[name]
    annotation = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    return TypeAdapter(annotation, config=_LEAF_CONFIG)
