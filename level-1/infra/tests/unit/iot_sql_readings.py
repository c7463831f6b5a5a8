"""IoT SQL WHERE evaluation under two readings of AWS's operator tables (test helper).

* ``kleene``: SQL three-valued logic, as MiniStack evaluates it (``false AND Undefined`` is
  false). This is MiniStack's own evaluator, imported, not a copy.
* ``strict``: AWS's tables read literally: AND, OR and NOT with any non-Boolean operand give
  Undefined, with no short-circuit. Leaves (comparisons, functions) are MiniStack's.

A rule fires only when its WHERE is true; Undefined and false both mean "not matched".
"""

from __future__ import annotations

from typing import Any

from ministack.services import iot as ministack_iot

UNDEFINED = object()


def _strict(node: tuple[Any, ...], topic: str, payload: bytes, message: Any) -> Any:
    kind = node[0]
    if kind in ("and", "or"):
        values = [_strict(child, topic, payload, message) for child in node[1]]
        if any(not isinstance(v, bool) for v in values):
            return UNDEFINED
        return all(values) if kind == "and" else any(values)
    if kind == "not":
        inner = _strict(node[1], topic, payload, message)
        return UNDEFINED if not isinstance(inner, bool) else not inner
    value = ministack_iot._eval_where_node(node, topic, payload, message, "probe-client")
    return value if isinstance(value, bool) else UNDEFINED


def matches(sql: str, topic: str, payload: bytes, *, reading: str) -> bool:
    """Whether the rule ``sql`` fires for ``payload`` on ``topic`` under ``reading``."""
    where = ministack_iot._rule_where_clause(sql)
    message = ministack_iot._rule_message(payload)
    if reading == "kleene":
        return bool(ministack_iot._eval_where(where, topic, payload, message, "probe-client"))
    node = ministack_iot._parse_where(where)
    assert node is not None, f"MiniStack cannot parse the WHERE clause: {where}"
    return _strict(node, topic, payload, message) is True
