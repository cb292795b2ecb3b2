"""A safe YAML loader for forms, building plain data from libyaml's node graph (twice as fast as PyYAML's
safe constructor). It refuses what no form needs and PyYAML lets through: alias bombs («billion laughs»)
by their expanded size, aliases that contain themselves, and a key written twice in one section.
Numbers it does not guess at: «0502701234» stays text (YAML 1.1 would read an octal number), «4.5» stays
the exact text the model reads as a decimal, and a date that does not exist stays text for the model to
name by its field."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9]{0,17})")
MAX_EXPANDED_NODES = 100_000


class AliasBomb(yaml.YAMLError):
    """The document's aliases expand to more nodes than a form could ever have."""


class SelfReference(yaml.YAMLError):
    """An alias inside the very node it names: `a: &a [*a]`."""


class DuplicateKey(yaml.YAMLError):
    """One section names the same key twice; PyYAML would silently keep the last."""


def _line(node: Node) -> str:
    return f"строка {node.start_mark.line + 1}"


class FormLoader(_BASE):  # type: ignore[misc, valid-type]
    """SafeLoader semantics: plain strings, numbers, dates, lists, maps; no Python tags."""

    has_aliases = True

    def construct_document(self, node: Node) -> Any:
        if self.has_aliases and _expanded_size(node, {}) > MAX_EXPANDED_NODES:
            raise AliasBomb(f"более {MAX_EXPANDED_NODES} элементов после раскрытия ссылок YAML (&/*)")
        return self._build(node, {}, set())

    def _build(self, node: Node, memo: dict[int, Any], building: set[int]) -> Any:
        key = id(node)
        if key in memo:
            return memo[key]
        if key in building:
            raise SelfReference(f"ссылка «*» указывает на раздел, внутри которого стоит сама ({_line(node)}): "
                                "такая форма бесконечна — замените ссылку значением")
        if isinstance(node, ScalarNode):
            value = self._scalar(node)
        elif node.tag in (_MAP, _SEQ):
            building.add(key)
            if isinstance(node, MappingNode):
                value = self._mapping(node, memo, building)
            else:
                value = [self._build(v, memo, building) for v in node.value]
            building.discard(key)
        else:
            value = super().construct_document(node)  # explicit tags: PyYAML's safe constructor decides
        memo[key] = value
        return value

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag == _STR or node.tag == _FLOAT:
            return node.value
        if node.tag == _INT:
            text = node.value.replace("_", "") if "_" in node.value else node.value
            return int(text) if _PLAIN_INT.fullmatch(text) else node.value
        if node.tag == _TIMESTAMP:
            try:
                return self.construct_object(node, deep=True)
            except ValueError:  # 2026-02-30: the model names the field and the reason
                return node.value
        return self.construct_object(node, deep=True)

    def _mapping(self, node: MappingNode, memo: dict[int, Any], building: set[int]) -> dict[Any, Any]:
        own: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                for source in self._merge_sources(value_node, memo, building):
                    for k, v in source.items():
                        merged.setdefault(k, v)
                continue
            key = self._key(key_node, memo, building)
            if key in own:
                raise DuplicateKey(f"поле «{key}» указано дважды в одном разделе ({_line(key_node)}) — "
                                   "оставьте одно значение")
            own[key] = self._build(value_node, memo, building)
        return {**{k: v for k, v in merged.items() if k not in own}, **own} if merged else own

    def _merge_sources(self, node: Node, memo: dict[int, Any], building: set[int]) -> list[dict[Any, Any]]:
        nodes = node.value if isinstance(node, SequenceNode) else [node]
        sources = [self._build(n, memo, building) for n in nodes]
        if not all(isinstance(s, dict) for s in sources):
            raise ConstructorError(None, None, "после «<<:» должна стоять ссылка на раздел", node.start_mark)
        return sources

    def _key(self, node: Node, memo: dict[int, Any], building: set[int]) -> Any:
        key = self._build(node, memo, building)
        try:
            hash(key)
        except TypeError:
            raise ConstructorError(None, None, "ключ поля не может быть списком или разделом", node.start_mark) from None
        return key


def _expanded_size(node: Node, sizes: dict[int, int]) -> int:
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = 1  # a recursive alias counts once while it is being measured
    if isinstance(node, MappingNode):
        size = 1 + sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    elif isinstance(node.value, list):
        size = 1 + sum(_expanded_size(v, sizes) for v in node.value)
    else:
        size = 1
    sizes[id(node)] = size
    return size


def load(text: str) -> Any:
    loader = FormLoader(text)
    # Without a «*» there is no alias to expand, and measuring would cost a third of the load.
    loader.has_aliases = "*" in text
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
