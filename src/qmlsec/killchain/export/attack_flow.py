"""An Attack Flow 2.0 bundle (STIX 2.1 extension) for each attack path.

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
"""

from __future__ import annotations

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


def attack_flow_bundle(kb: Catalog, path: AttackPath) -> dict[str, Any]:
    """The Attack Flow bundle of one path, as a JSON-ready mapping."""
    key = path.attacker + "/" + path.key
    identity = {
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
                identity["id"],
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
                identity["id"],
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
        identity["id"],
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
        identity["id"],
        name=f"{path.attacker}: {goal.name}",
        description=f"qmlsec attack path {path.key} (likelihood {path.likelihood:.3f}, impact {path.impact}).",
        scope="threat-actor",
        start_refs=starts,
    )
    objects = [_extension_definition(), ctid, identity, flow, *actions, *operators, condition]
    return {"type": "bundle", "id": stix_id("bundle", "flow:" + key), "objects": objects}
