"""Attack Flow 2.0 (a STIX 2.1 extension): one bundle of every path, or one per path.

:func:`attack_flow_document` is one STIX 2.1 bundle holding an ``attack-flow`` per path
(the extension definition and identities once), what ``qmlsec threats export --format
attack-flow`` prints; :func:`attack_flow_bundle` is the bundle of a single path (one
file per path with ``--out DIR``).

Each step is an ``attack-action`` (``technique_id`` / ``tactic_id`` are our QML IDs,
the ATLAS analogues go in ``description``). A step whose requirements come from one
earlier step is that step's effect; one that needs the results of several earlier
steps hangs off an ``AND`` ``attack-operator``; steps that need nothing from the path
are ``start_refs``. The final step(s) lead to an ``attack-condition`` that states the
goal. IDs are UUIDv5 of the path key and timestamps are pinned, so output is stable.

Example:
    >>> from qmlsec.killchain.catalog import load_catalog
    >>> from qmlsec.killchain.graph import AttackGraph
    >>> from qmlsec.killchain.paths import find_paths
    >>> from qmlsec.killchain.system import SystemModel
    >>> kb = load_catalog()
    >>> path = find_paths(AttackGraph(kb, SystemModel.default(), kb.profile("curious-api-user")))[0]
    >>> flow = attack_flow_bundle(kb, path)
    >>> [o["type"] for o in flow["objects"]][:3]
    ['extension-definition', 'identity', 'identity']
    >>> doc = attack_flow_document(kb, [path, path])
    >>> doc["type"], sum(o["type"] == "attack-flow" for o in doc["objects"])
    ('bundle', 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qmlsec.killchain.catalog import Catalog
from qmlsec.killchain.export.identifiers import TIMESTAMP, stix_id
from qmlsec.killchain.paths import AttackPath

EXTENSION_ID = "extension-definition--fb9c968a-745b-4ade-9b25-c324172197f4"
CTID_IDENTITY = "identity--d673f8cb-c168-42da-8ed4-0cb26725f86c"
CTID_TIMESTAMP = "2022-08-02T19:34:35.143Z"
SCHEMA_URL = "https://center-for-threat-informed-defense.github.io/attack-flow/stix/attack-flow-schema-2.0.0.json"


def _extension_definition() -> dict[str, Any]:
    return {
        "type": "extension-definition",
        "id": EXTENSION_ID,
        "spec_version": "2.1",
        "name": "Attack Flow",
        "description": "Extends STIX 2.1 with features to create Attack Flows.",
        "created": CTID_TIMESTAMP,
        "modified": CTID_TIMESTAMP,
        "created_by_ref": CTID_IDENTITY,
        "schema": SCHEMA_URL,
        "version": "2.0.0",
        "extension_types": ["new-sdo"],
    }


def _sdo(kind: str, key: str, identity: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": stix_id(kind, key),
        "created": TIMESTAMP,
        "modified": TIMESTAMP,
        "created_by_ref": identity,
        "extensions": {EXTENSION_ID: {"extension_type": "new-sdo"}},
        **fields,
    }


def _identities() -> list[dict[str, Any]]:
    qmlsec = {
        "type": "identity",
        "spec_version": "2.1",
        "id": stix_id("identity", "qmlsec"),
        "created": TIMESTAMP,
        "modified": TIMESTAMP,
        "name": "qmlsec",
        "identity_class": "organization",
    }
    ctid = {
        "type": "identity",
        "spec_version": "2.1",
        "id": CTID_IDENTITY,
        "created": CTID_TIMESTAMP,
        "modified": CTID_TIMESTAMP,
        "name": "MITRE Center for Threat-Informed Defense",
        "identity_class": "organization",
    }
    return [ctid, qmlsec]


def flow_objects(kb: Catalog, path: AttackPath) -> list[dict[str, Any]]:
    """The ``attack-flow``, actions, operators and goal condition of one path."""
    key = path.attacker + "/" + path.key
    identity = stix_id("identity", "qmlsec")
    actions: list[dict[str, Any]] = []
    provider: dict[str, int] = {}
    preds: list[list[int]] = []
    for i, step in enumerate(path.steps):
        t = kb.technique(step.technique_id)
        atlas = ", ".join(t.atlas_refs) or "none"
        actions.append(
            _sdo(
                "attack-action",
                f"{key}#{i}",
                identity,
                name=step.name,
                technique_id=step.technique_id,
                tactic_id=step.tactic_id,
                description=f"{t.description} ATLAS: {atlas}. Provides: {', '.join(step.provides)}.",
                effect_refs=[],
            )
        )
        preds.append(sorted({provider[f] for f in step.requires if f in provider}))
        for fact in step.provides:
            provider.setdefault(fact, i)
    operators: list[dict[str, Any]] = []
    starts: list[str] = []
    for i, before in enumerate(preds):
        if not before:
            starts.append(actions[i]["id"])
        elif len(before) == 1:
            actions[before[0]]["effect_refs"].append(actions[i]["id"])
        else:
            op = _sdo(
                "attack-operator",
                f"{key}#and{i}",
                identity,
                operator="AND",
                effect_refs=[actions[i]["id"]],
            )
            operators.append(op)
            for j in before:
                actions[j]["effect_refs"].append(op["id"])
    goal = kb.goal(path.goal)
    condition = _sdo(
        "attack-condition",
        f"{key}#goal",
        identity,
        description=f"Goal reached: {goal.name} (fact {goal.fact}); path score {path.score:.3f}.",
    )
    last = provider.get(goal.fact, len(actions) - 1)
    actions[last]["effect_refs"].append(condition["id"])
    for action in actions:
        if not action["effect_refs"]:
            del action["effect_refs"]
    flow = _sdo(
        "attack-flow",
        key,
        identity,
        name=f"{path.attacker}: {goal.name}",
        description=f"qmlsec attack path {path.key} (likelihood {path.likelihood:.3f}, impact {path.impact}).",
        scope="threat-actor",
        start_refs=starts,
    )
    return [flow, *actions, *operators, condition]


def attack_flow_bundle(kb: Catalog, path: AttackPath) -> dict[str, Any]:
    """The Attack Flow bundle of one path, as a JSON-ready mapping."""
    key = path.attacker + "/" + path.key
    objects = [_extension_definition(), *_identities(), *flow_objects(kb, path)]
    return {"type": "bundle", "id": stix_id("bundle", "flow:" + key), "objects": objects}


def attack_flow_document(kb: Catalog, paths: Sequence[AttackPath]) -> dict[str, Any]:
    """One STIX 2.1 bundle with an ``attack-flow`` for every distinct path.

    Paths with the same attacker and key appear once; the bundle ID is derived from
    their keys, so the same paths give the same document.
    """
    objects: list[dict[str, Any]] = [_extension_definition(), *_identities()]
    seen: set[str] = set()
    for path in paths:
        key = path.attacker + "/" + path.key
        if key not in seen:
            seen.add(key)
            objects.extend(flow_objects(kb, path))
    return {"type": "bundle", "id": stix_id("bundle", "flows:" + "|".join(sorted(seen))),
            "objects": objects}  # fmt: skip
