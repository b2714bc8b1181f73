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
from collections.abc import Sequence

from qmlsec.exceptions import KnowledgeBaseError
from qmlsec.killchain.schema import Fact, Goal, Mitigation, Profile, Rule, Tactic, Technique


def _fail(file: str, record: str, field: str, message: str) -> KnowledgeBaseError:
    return KnowledgeBaseError(
        f"{file}: record {record}: field '{field}': {message}",
        hint=f"fix '{field}' of {record} in src/qmlsec/killchain/data/{file}",
    )


def check_references(
    *,
    tactics: Sequence[Tactic],
    techniques: Sequence[Technique],
    mitigations: Sequence[Mitigation],
    profiles: Sequence[Profile],
    facts: Sequence[Fact],
    goals: Sequence[Goal],
    rules: Sequence[Rule],
    raw_ids: dict[str, list[str]],
) -> None:
    """Raise :class:`KnowledgeBaseError` on the first dangling or duplicate reference.

    Args:
        tactics, techniques, mitigations, profiles, facts, goals, rules: the parsed
            records of the knowledge base.
        raw_ids: the IDs of each file in file order (duplicates included).
    """
    for file, id_list in raw_ids.items():
        for dup, n in Counter(id_list).items():
            if n > 1:
                raise _fail(file, dup, "id", f"duplicate ID ({n} records)")
    tactic_ids = {t.id for t in tactics}
    technique_ids = {t.id for t in techniques}
    fact_ids = {f.id for f in facts}
    goal_ids = {g.id for g in goals}
    for t in techniques:
        for tac in t.tactics:
            if tac not in tactic_ids:
                raise _fail("techniques.yaml", t.id, "tactics", f"unknown tactic {tac!r}")
        if t.subtechnique_of is not None and t.subtechnique_of not in technique_ids:
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
    for m in mitigations:
        for use in m.techniques:
            if use.id not in technique_ids:
                raise _fail("mitigations.yaml", m.id, "techniques", f"unknown technique {use.id!r}")
    for p in profiles:
        for goal in p.goals:
            if goal not in goal_ids:
                raise _fail("profiles.yaml", p.id, "goals", f"unknown goal {goal!r}")
    for g in goals:
        if g.fact not in fact_ids:
            raise _fail("facts.yaml", g.id, "fact", f"unknown fact {g.fact!r}")
    for r in rules:
        if r.fact not in fact_ids:
            raise _fail("facts.yaml", r.fact, "fact", "rule derives an undeclared fact")
