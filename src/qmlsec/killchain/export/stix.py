"""A STIX 2.1 bundle of the knowledge base, following the ATT&CK/ATLAS data model.

Objects (made with the ``stix2`` library): one ``x-mitre-matrix`` (ordered
``tactic_refs``), one ``x-mitre-tactic`` per tactic, an ``attack-pattern`` per
technique (``kill_chain_phases`` with kill chain ``qml-kill-chain``,
``x_mitre_platforms``, ``x_mitre_is_subtechnique``, ATLAS cross references), a
``course-of-action`` per mitigation, and ``relationship`` objects: ``mitigates`` and
``subtechnique-of``. IDs are UUIDv5 of the record ID and timestamps are pinned, so the
bundle is byte-for-byte reproducible. Load it as a custom Navigator domain.

Example:
    >>> from qmlsec.killchain.catalog import load_catalog
    >>> bundle = stix_bundle(load_catalog())
    >>> sorted({o["type"] for o in bundle["objects"]})[:3]
    ['attack-pattern', 'course-of-action', 'identity']
"""

from __future__ import annotations

import json
from typing import Any

import stix2
from stix2 import properties

from qmlsec.killchain.catalog import Catalog
from qmlsec.killchain.export.identifiers import KILL_CHAIN_NAME, SOURCE_NAME, TIMESTAMP, stix_id
from qmlsec.killchain.schema import Technique

ATLAS_URL = "https://atlas.mitre.org/techniques/"


#: STIX ``x-mitre-tactic`` (typed ``Any``: the decorator builds the class at run time).
Tactic: Any = stix2.CustomObject(
    "x-mitre-tactic",
    [
        ("name", properties.StringProperty(required=True)),
        ("description", properties.StringProperty()),
        ("x_mitre_shortname", properties.StringProperty(required=True)),
        ("external_references", properties.ListProperty(stix2.ExternalReference)),
    ],
)(type("Tactic", (), {}))

#: STIX ``x-mitre-matrix``.
Matrix: Any = stix2.CustomObject(
    "x-mitre-matrix",
    [
        ("name", properties.StringProperty(required=True)),
        ("description", properties.StringProperty()),
        (
            "tactic_refs",
            properties.ListProperty(properties.ReferenceProperty(valid_types="x-mitre-tactic")),
        ),
        ("external_references", properties.ListProperty(stix2.ExternalReference)),
    ],
)(type("Matrix", (), {}))


def _common(key: str, object_type: str, identity: str) -> dict[str, Any]:
    return {
        "id": stix_id(object_type, key),
        "created": TIMESTAMP,
        "modified": TIMESTAMP,
        "created_by_ref": identity,
    }


def _ext(record_id: str) -> stix2.ExternalReference:
    return stix2.ExternalReference(source_name=SOURCE_NAME, external_id=record_id)


def _technique(kb: Catalog, t: Technique, identity: str) -> stix2.AttackPattern:
    refs = [_ext(t.id)]
    refs += [
        stix2.ExternalReference(source_name="mitre-atlas", external_id=r, url=ATLAS_URL + r)
        for r in t.atlas_refs
    ]
    refs += [
        stix2.ExternalReference(
            source_name="paper", description=r.title, **({"url": r.url} if r.url else {})
        )
        for r in t.references
    ]
    phases = [
        stix2.KillChainPhase(kill_chain_name=KILL_CHAIN_NAME, phase_name=kb.tactic(x).shortname)
        for x in kb.effective_tactics(t)
    ]
    return stix2.AttackPattern(
        name=t.name,
        description=t.description,
        kill_chain_phases=phases,
        external_references=refs,
        custom_properties={
            "x_mitre_platforms": ["QMLaaS"],
            "x_mitre_is_subtechnique": t.is_subtechnique,
            "x_mitre_version": "1.0",
            "x_qml_maturity": t.maturity,
            "x_qml_quantum_layer": t.quantum_layer,
            "x_qml_cia": list(t.cia),
            "x_qml_requires": list(t.requires),
            "x_qml_requires_any": list(t.requires_any),
            "x_qml_provides": list(t.provides),
            "x_qml_positions": list(t.positions),
            "x_qml_implemented_by": list(t.implemented_by),
        },
        **_common(t.id, "attack-pattern", identity),
    )


def stix_objects(kb: Catalog) -> list[Any]:
    """All STIX objects of the knowledge base, in a stable order."""
    identity = stix2.Identity(
        name="qmlsec",
        identity_class="organization",
        **_common("qmlsec", "identity", stix_id("identity", "qmlsec")),
    )
    objects: list[Any] = [identity]
    tactics = [
        Tactic(
            name=t.name,
            description=t.description,
            x_mitre_shortname=t.shortname,
            external_references=[_ext(t.id)],
            **_common(t.id, "x-mitre-tactic", identity.id),
        )
        for t in kb.tactics
    ]
    matrix = Matrix(
        name="QML Kill Chain Matrix",
        description="Quantum-aware kill chain for QML as a Service.",
        tactic_refs=[t.id for t in tactics],
        external_references=[_ext("QML")],
        allow_custom=True,
        **_common("QML", "x-mitre-matrix", identity.id),
    )
    objects += [matrix, *tactics]
    patterns = {t.id: _technique(kb, t, identity.id) for t in kb.all_techniques()}
    objects += list(patterns.values())
    for t in kb.all_techniques():
        if t.subtechnique_of:
            rel = f"{t.id}>subtechnique-of>{t.subtechnique_of}"
            objects.append(
                stix2.Relationship(
                    source_ref=patterns[t.id].id,
                    relationship_type="subtechnique-of",
                    target_ref=patterns[t.subtechnique_of].id,
                    **_common(rel, "relationship", identity.id),
                )
            )
    for m in kb.mitigations:
        coa = stix2.CourseOfAction(
            name=m.name,
            description=m.description,
            external_references=[_ext(m.id)],
            **_common(m.id, "course-of-action", identity.id),
        )
        objects.append(coa)
        for use in m.techniques:
            objects.append(
                stix2.Relationship(
                    source_ref=coa.id,
                    relationship_type="mitigates",
                    target_ref=patterns[use.id].id,
                    description=use.use,
                    **_common(f"{m.id}>mitigates>{use.id}", "relationship", identity.id),
                )
            )
    return objects


def stix_bundle(kb: Catalog) -> dict[str, Any]:
    """The bundle as a JSON-ready mapping."""
    bundle = stix2.Bundle(
        *stix_objects(kb), id=stix_id("bundle", "qml-killchain"), allow_custom=True
    )
    return json.loads(bundle.serialize())


def to_stix_json(kb: Catalog) -> str:
    """The bundle as JSON text (sorted keys, stable)."""
    return json.dumps(stix_bundle(kb), indent=2, sort_keys=True)
