"""Evaluate declarative conditions (:class:`~qmlsec.killchain.schema.Condition`).

A condition tests dotted attributes of a plain context dictionary; nothing is
evaluated as code. A missing attribute makes a comparison false (``ne`` true).

Example:
    >>> from qmlsec.killchain.conditions import evaluate
    >>> from qmlsec.killchain.schema import Condition
    >>> cond = Condition.model_validate(
    ...     {"all": [{"attr": "quantum_cloud.multi_tenant", "eq": True},
    ...              {"attr": "attacker.positions", "contains": "co_tenant"}]})
    >>> evaluate(cond, {"quantum_cloud": {"multi_tenant": True},
    ...                 "attacker": {"positions": ["co_tenant"]}})
    True
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

from qmlsec.killchain.schema import Condition

_MISSING = object()
_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` of nested mappings, or a sentinel when absent."""
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def evaluate(cond: Condition, context: Mapping[str, Any]) -> bool:
    """Whether ``cond`` holds for ``context``."""
    if cond.all is not None:
        return all(evaluate(c, context) for c in cond.all)
    if cond.any is not None:
        return any(evaluate(c, context) for c in cond.any)
    if cond.not_ is not None:
        return not evaluate(cond.not_, context)
    assert cond.attr is not None  # guaranteed by Condition's validator
    value = lookup(context, cond.attr)
    op = next(
        k
        for k in ("eq", "ne", "in_", "contains", "gt", "ge", "lt", "le")
        if k in cond.model_fields_set
    )
    if op == "ne":
        return value is _MISSING or value != cond.ne
    if value is _MISSING:
        return False
    if op == "eq":
        return bool(value == cond.eq)
    if op == "in_":
        return value in (cond.in_ or ())
    if op == "contains":
        return isinstance(value, list | tuple | set | frozenset) and cond.contains in value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return _ORDER[op](value, getattr(cond, op))
