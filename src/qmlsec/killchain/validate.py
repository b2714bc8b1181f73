"""Cross-reference checks of the knowledge base, run once on load.

Each problem raises :class:`~qmlsec.exceptions.KnowledgeBaseError` with the file, the
record and the field in the message, e.g.
``techniques.yaml: record QML.T0007: field 'requires': unknown fact 'entry.dat'``.

Example:
    >>> from qmlsec.killchain.catalog import load_catalog
    >>> kb = load_catalog()   # runs check_references; raises on a broken knowledge base
    >>> len(kb.tactics)
    12
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from qmlsec.exceptions import KnowledgeBaseError

if TYPE_CHECKING:
    from qmlsec.killchain.catalog import Catalog


def _fail(file: str, record: str, field: str, message: str) -> KnowledgeBaseError:
    return KnowledgeBaseError(
        f"{file}: record {record}: field '{field}': {message}",
        hint=f"fix '{field}' of {record} in src/qmlsec/killchain/data/{file}",
    )


def check_references(kb: Catalog, raw_ids: dict[str, list[str]]) -> None:
    """Raise :class:`KnowledgeBaseError` on the first dangling or duplicate reference."""
    for file, id_list in raw_ids.items():
        for dup, n in Counter(id_list).items():
            if n > 1:
                raise _fail(file, dup, "id", f"duplicate ID ({n} records)")
    tactic_ids = {t.id for t in kb.tactics}
    fact_ids = {f.id for f in kb.facts}
    goal_ids = {g.id for g in kb.goals}
    for t in kb.all_techniques():
        for tac in t.tactics:
            if tac not in tactic_ids:
                raise _fail("techniques.yaml", t.id, "tactics", f"unknown tactic {tac!r}")
        if t.subtechnique_of is not None and not kb.has_technique(t.subtechnique_of):
            raise _fail(
                "techniques.yaml", t.id, "subtechnique-of", f"unknown parent {t.subtechnique_of!r}"
            )
        for field in ("requires", "requires_any", "provides"):
            for fact in getattr(t, field):
                if fact not in fact_ids:
                    raise _fail(
                        "techniques.yaml",
                        t.id,
                        field,
                        f"unknown fact {fact!r} (declare it in facts.yaml)",
                    )
    for m in kb.mitigations:
        for use in m.techniques:
            if not kb.has_technique(use.id):
                raise _fail("mitigations.yaml", m.id, "techniques", f"unknown technique {use.id!r}")
    for p in kb.profiles:
        for goal in p.goals:
            if goal not in goal_ids:
                raise _fail("profiles.yaml", p.id, "goals", f"unknown goal {goal!r}")
    for g in kb.goals:
        if g.fact not in fact_ids:
            raise _fail("facts.yaml", g.id, "fact", f"unknown fact {g.fact!r}")
    for r in kb.rules:
        if r.fact not in fact_ids:
            raise _fail("facts.yaml", r.fact, "fact", "rule derives an undeclared fact")
