"""Every export validates: ATLAS YAML, Navigator layers, STIX 2.1, Attack Flow, drawings."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import referencing.jsonschema
import yaml
from referencing import Registry, Resource

from qmlsec.killchain.catalog import load_catalog
from qmlsec.killchain.export.atlas import atlas_document, to_atlas_yaml
from qmlsec.killchain.export.attack_flow import attack_flow_bundle, attack_flow_document
from qmlsec.killchain.export.diagram import to_dot, to_mermaid
from qmlsec.killchain.export.navigator import atlas_layer, qml_layer, score_scale
from qmlsec.killchain.export.stix import stix_bundle, to_stix_json
from qmlsec.killchain.graph import AttackGraph
from qmlsec.killchain.paths import find_paths
from qmlsec.killchain.system import SystemModel


@pytest.fixture(scope="module")
def kb():
    return load_catalog()


@pytest.fixture(scope="module")
def all_paths(kb):
    system = SystemModel.default()
    return [p for profile in kb.profiles for p in find_paths(AttackGraph(kb, system, profile))]


@pytest.fixture(scope="module")
def atlas_yaml_ids(shared_dir: Path) -> set[str]:
    doc = yaml.safe_load((shared_dir / "data" / "ATLAS.yaml").read_text(encoding="utf-8"))
    return {t["id"] for t in doc["matrices"][0]["techniques"]}


def test_atlas_yaml_validates_against_atlas_schema(kb, all_paths, shared_dir):
    schema = json.loads(
        (shared_dir / "schemas" / "atlas_output_schema.json").read_text(encoding="utf-8")
    )
    doc = yaml.safe_load(to_atlas_yaml(kb, all_paths))
    jsonschema.Draft7Validator(schema).validate(doc)
    assert len(doc["case-studies"]) == len(all_paths)
    assert len(doc["matrices"][0]["techniques"]) == len(kb.all_techniques())


def test_atlas_yaml_keeps_theoretical_maturity_out_of_atlas_vocabulary(kb):
    doc = atlas_document(kb)
    dos = next(t for t in doc["matrices"][0]["techniques"] if t["id"] == "QML.T0030")
    assert "maturity" not in dos and dos["qml-maturity"] == "theoretical"


def test_atlas_yaml_broken_record_fails_schema(kb, shared_dir):
    schema = json.loads(
        (shared_dir / "schemas" / "atlas_output_schema.json").read_text(encoding="utf-8")
    )
    doc = atlas_document(kb)
    doc["matrices"][0]["techniques"][0]["id"] = "not-an-id"
    assert list(jsonschema.Draft7Validator(schema).iter_errors(doc))


def _check_layer(layer: dict) -> None:
    assert layer["versions"]["layer"] == "4.5"
    assert layer["name"] and layer["domain"]
    assert layer["techniques"] and all("techniqueID" in t for t in layer["techniques"])
    gradient = layer["gradient"]
    assert len(gradient["colors"]) >= 2 and gradient["maxValue"] > gradient["minValue"]
    assert all({"label", "color"} <= set(item) for item in layer["legendItems"])
    json.dumps(layer)


def test_qml_navigator_layer_structure(kb, all_paths):
    layer = qml_layer(kb, all_paths)
    _check_layer(layer)
    assert layer["domain"] == "qml-killchain"
    shortnames = {t.shortname for t in kb.tactics}
    assert all(t["tactic"] in shortnames for t in layer["techniques"])
    on_path = [t for t in layer["techniques"] if t.get("comment")]
    assert on_path and all(t["score"] > 0 for t in on_path)


def test_qml_layer_scores_on_the_gradient_scale_without_explicit_colours(kb, all_paths):
    layer = qml_layer(kb, all_paths, data_url="https://example.org/qml-killchain.json")
    scores = [t["score"] for t in layer["techniques"]]
    assert layer["gradient"]["minValue"] == 0 and layer["gradient"]["maxValue"] == score_scale(kb)
    assert 0 < max(scores) <= layer["gradient"]["maxValue"]
    assert max(scores) == max(p.score for p in all_paths)
    assert not any("color" in t for t in layer["techniques"])
    assert layer["customDataURL"] == "https://example.org/qml-killchain.json"
    assert "custom data URL" in layer["description"]


def test_atlas_navigator_layer_uses_only_atlas_ids(kb, all_paths, atlas_yaml_ids):
    for paths in ((), all_paths):
        layer = atlas_layer(kb, paths)
        _check_layer(layer)
        assert layer["domain"] == "atlas-atlas"
        assert {t["techniqueID"] for t in layer["techniques"]} <= atlas_yaml_ids


@pytest.fixture
def stix_validator(tmp_path, shared_dir, monkeypatch):
    """stix2-validator with the OASIS schemas from ../shared (the wheel ships none)."""
    import stix2validator.validator as module

    (tmp_path / "schemas-2.1").mkdir()
    (tmp_path / "schemas-2.1" / "schemas").symlink_to(
        shared_dir / "schemas" / "attack-flow" / "oasis-open"
    )
    monkeypatch.setattr(module, "__file__", str(tmp_path / "validator.py"))
    from stix2validator import ValidationOptions, validate_string

    return lambda text: validate_string(text, ValidationOptions(version="2.1"))


def test_stix_bundle_passes_stix2_validator(kb, stix_validator):
    result = stix_validator(to_stix_json(kb))
    assert result.is_valid, [str(e) for r in result.object_results for e in r.errors]


def test_stix_validator_rejects_a_broken_bundle(kb, stix_validator):
    bundle = stix_bundle(kb)
    pattern = next(o for o in bundle["objects"] if o["type"] == "attack-pattern")
    del pattern["name"]
    assert not stix_validator(json.dumps(bundle)).is_valid


def test_stix_bundle_is_deterministic_and_complete(kb):
    assert to_stix_json(kb) == to_stix_json(kb)
    objects = stix_bundle(kb)["objects"]
    kinds = [o["type"] for o in objects]
    assert kinds.count("attack-pattern") == len(kb.all_techniques())
    assert kinds.count("course-of-action") == len(kb.mitigations)
    assert kinds.count("x-mitre-tactic") == len(kb.tactics)
    matrix = next(o for o in objects if o["type"] == "x-mitre-matrix")
    tactic_names = {
        o["id"]: o["x_mitre_shortname"] for o in objects if o["type"] == "x-mitre-tactic"
    }
    assert [tactic_names[r] for r in matrix["tactic_refs"]] == [t.shortname for t in kb.tactics]
    rels = {o["relationship_type"] for o in objects if o["type"] == "relationship"}
    assert rels == {"mitigates", "subtechnique-of"}


@pytest.fixture(scope="module")
def flow_validator(shared_dir):
    root = shared_dir / "schemas" / "attack-flow"
    resources = []
    for path in sorted(root.rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if "$id" in doc:
            resources.append(
                (
                    doc["$id"],
                    Resource.from_contents(
                        doc, default_specification=referencing.jsonschema.DRAFT202012
                    ),
                )
            )
    registry = Registry().with_resources(resources)
    flow_schema = json.loads((root / "attack-flow-schema-2.0.0.json").read_text(encoding="utf-8"))

    def schema_for(kind: str) -> dict:
        if kind.startswith("attack-"):
            return flow_schema
        for folder in ("sdos", "common", "sros", "observables"):
            candidate = root / "oasis-open" / folder / f"{kind}.json"
            if candidate.exists():
                return json.loads(candidate.read_text(encoding="utf-8"))
        raise KeyError(kind)

    def errors(bundle: dict) -> list[str]:
        assert bundle["type"] == "bundle" and bundle["id"].startswith("bundle--")
        return [
            e.message
            for obj in bundle["objects"]
            for e in jsonschema.Draft202012Validator(
                schema_for(obj["type"]), registry=registry
            ).iter_errors(obj)
        ]

    return errors


def test_attack_flow_example_validates(flow_validator, shared_dir):
    example = json.loads(
        (shared_dir / "schemas" / "attack-flow" / "attack-flow-example.json").read_text()
    )
    assert flow_validator(example) == []


def test_attack_flow_bundle_per_path_validates(kb, all_paths, flow_validator):
    for path in all_paths:
        bundle = attack_flow_bundle(kb, path)
        assert flow_validator(bundle) == [], path.key
        flows = [o for o in bundle["objects"] if o["type"] == "attack-flow"]
        actions = [o for o in bundle["objects"] if o["type"] == "attack-action"]
        assert len(flows) == 1 and len(actions) == len(path.steps)
        assert [a["technique_id"] for a in actions] == list(path.technique_ids)


def test_attack_flow_document_is_one_bundle_of_every_flow(kb, all_paths, flow_validator):
    doc = attack_flow_document(kb, all_paths)
    assert doc["type"] == "bundle" and flow_validator(doc) == []
    flows = [o for o in doc["objects"] if o["type"] == "attack-flow"]
    keys = {p.attacker + "/" + p.key for p in all_paths}
    assert len(flows) == len(keys) > 1
    ids = [o["id"] for o in doc["objects"]]
    assert len(ids) == len(set(ids))  # shared identities and the extension appear once
    referenced = {r for o in doc["objects"] for k in ("start_refs", "effect_refs")
                  for r in o.get(k, [])}  # fmt: skip
    assert referenced <= set(ids)
    assert attack_flow_document(kb, all_paths) == doc


def test_attack_flow_document_passes_stix2_validator(kb, all_paths, stix_validator):
    result = stix_validator(json.dumps(attack_flow_document(kb, all_paths)))
    assert result.is_valid, [str(e) for r in result.object_results for e in r.errors][:5]


def test_attack_flow_uses_and_operator_for_joined_prerequisites(kb):
    graph = AttackGraph(kb, SystemModel.default(), kb.profile("malicious-co-tenant"))
    path = find_paths(graph, goals=["integrity_lost"])[0]
    bundle = attack_flow_bundle(kb, path)
    ids = {o["id"]: o for o in bundle["objects"]}
    operators = {
        ids[o["effect_refs"][0]]["technique_id"]: o
        for o in ids.values()
        if o["type"] == "attack-operator"
    }
    assert set(operators) == {"QML.T0001.000", "QML.T0018"}
    operator = operators["QML.T0018"]
    assert operator["operator"] == "AND"
    feeding = sorted(
        o["technique_id"] for o in ids.values() if operator["id"] in o.get("effect_refs", [])
    )
    assert feeding == ["QML.T0001.000", "QML.T0003"]


def test_attack_flow_validator_catches_a_broken_flow(kb, all_paths, flow_validator):
    bundle = attack_flow_bundle(kb, all_paths[0])
    flow = next(o for o in bundle["objects"] if o["type"] == "attack-flow")
    del flow["start_refs"]
    assert flow_validator(bundle)


def test_diagrams_draw_every_step(all_paths):
    mermaid, dot = to_mermaid(all_paths), to_dot(all_paths)
    assert mermaid.startswith("flowchart LR") and dot.startswith("digraph")
    assert dot.count("{") == dot.count("}")
    for path in all_paths:
        for tid in path.technique_ids:
            node = tid.replace(".", "_")
            assert node in mermaid and node in dot
    assert to_mermaid(all_paths) == mermaid
