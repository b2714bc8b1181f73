"""Export the knowledge base (and paths as case studies) in the ATLAS YAML format.

The document has ATLAS's shape (``id``, ``name``, ``version``, ``matrices`` with
``tactics``, ``techniques``, ``mitigations``, and ``case-studies``) and validates
against ATLAS's ``atlas_output_schema.json``. ATLAS's ``maturity`` vocabulary is
feasible | demonstrated | realized: a technique we rate ``theoretical`` has no
``maturity`` key (the field is optional) and carries ``qml-maturity: theoretical``.
Every technique keeps our extra keys (``requires``, ``provides``, ``atlas_refs``...).
Each attack path becomes an ``exercise`` case study whose ``procedure`` lists its steps.

Example:
    >>> from qmlsec.killchain.catalog import load_catalog
    >>> doc = atlas_document(load_catalog())
    >>> doc["matrices"][0]["techniques"][0]["id"], doc["matrices"][0]["techniques"][0]["maturity"]
    ('QML.T0001', 'demonstrated')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from qmlsec.killchain.catalog import Catalog
from qmlsec.killchain.paths import AttackPath
from qmlsec.killchain.schema import Technique

ATLAS_MATURITY = {"feasible", "demonstrated", "realized"}
KB_VERSION = "1.0.0"


def _refs(refs: Sequence[Any]) -> list[dict[str, Any]]:
    return [{"title": r.title, "url": r.url} for r in refs]


def _technique(kb: Catalog, t: Technique) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": t.id,
        "name": t.name,
        "object-type": "technique",
        "description": t.description,
    }
    if t.subtechnique_of:
        out["subtechnique-of"] = t.subtechnique_of
    else:
        out["tactics"] = list(t.tactics)
    if t.maturity in ATLAS_MATURITY:
        out["maturity"] = t.maturity
    out["qml-maturity"] = t.maturity
    out["references"] = _refs(t.references)
    out.update(
        {
            "quantum_layer": t.quantum_layer,
            "cia": list(t.cia),
            "assets": list(t.assets),
            "positions": list(t.positions),
            "requires": list(t.requires),
            "requires_any": list(t.requires_any),
            "provides": list(t.provides),
            "likelihood": t.base_likelihood,
            "atlas_refs": list(t.atlas_refs),
            "implemented_by": list(t.implemented_by),
        }
    )
    return out


def _case_study(index: int, path: AttackPath, date: str) -> dict[str, Any]:
    return {
        "id": f"QML.CS{index:04d}",
        "object-type": "case-study",
        "name": f"{path.attacker}: {path.goal.replace('_', ' ')}",
        "summary": (
            f"Attack path computed by qmlsec for attacker profile {path.attacker} reaching goal "
            f"{path.goal} (likelihood {path.likelihood:.3f}, impact {path.impact}, score {path.score:.3f})."
        ),
        "incident-date": date,
        "incident-date-granularity": "YEAR",
        "case-study-type": "exercise",
        "procedure": [
            {
                "tactic": s.tactic_id,
                "technique": s.technique_id,
                "description": f"{s.name} (provides {', '.join(s.provides)})",
            }
            for s in path.steps
        ],
    }


def atlas_document(
    kb: Catalog, paths: Sequence[AttackPath] = (), date: str = "2025-01-01"
) -> dict[str, Any]:
    """The knowledge base as an ATLAS-format mapping; ``paths`` become case studies."""
    tactics = [
        {
            "id": t.id,
            "name": t.name,
            "object-type": "tactic",
            "description": t.description,
            "shortname": t.shortname,
            "atlas_tactic": t.atlas_tactic,
            "aliases": list(t.aliases),
        }
        for t in kb.tactics
    ]
    mitigations = [
        {
            "id": m.id,
            "name": m.name,
            "object-type": "mitigation",
            "description": m.description,
            "category": m.category,
            "techniques": [{"id": u.id, "use": u.use} for u in m.techniques],
            "effects": {u.id: u.effect for u in m.techniques},
            "references": _refs(m.references),
            "atlas_refs": list(m.atlas_refs),
            "implemented_by": list(m.implemented_by),
        }
        for m in kb.mitigations
    ]
    return {
        "id": "QML-KILLCHAIN",
        "name": "Quantum-aware Kill Chain for QML as a Service",
        "version": KB_VERSION,
        "matrices": [
            {
                "id": "QML",
                "name": "QML Kill Chain Matrix",
                "tactics": tactics,
                "techniques": [_technique(kb, t) for t in kb.all_techniques()],
                "mitigations": mitigations,
            }
        ],
        "case-studies": [_case_study(i, p, date) for i, p in enumerate(paths, start=1)],
    }


def to_atlas_yaml(kb: Catalog, paths: Sequence[AttackPath] = ()) -> str:
    """The ATLAS-format document as YAML text."""
    return yaml.safe_dump(atlas_document(kb, paths), sort_keys=False, allow_unicode=True, width=100)
