"""The knowledge base loads, is complete, and a broken file names file, record and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from qmlsec.exceptions import KnowledgeBaseError, NotFoundError
from qmlsec.killchain.catalog import (
    DATA_DIR,
    load_catalog,
    require_mitigation_id,
    require_technique_id,
)

PAPER_STAGES = {"reconnaissance", "initial access", "manipulation", "persistence", "exfiltration"}


@pytest.fixture(scope="module")
def kb():
    return load_catalog()


@pytest.fixture(scope="module")
def atlas_ids(shared_dir: Path) -> set[str]:
    doc = yaml.safe_load((shared_dir / "data" / "ATLAS.yaml").read_text(encoding="utf-8"))
    matrix = doc["matrices"][0]
    return {r["id"] for key in ("tactics", "techniques", "mitigations") for r in matrix[key]}


def test_knowledge_base_has_required_counts(kb):
    assert len(kb.all_techniques()) >= 30
    assert len(kb.mitigations) >= 15
    assert {p.id for p in kb.profiles} == {
        "curious-api-user",
        "malicious-co-tenant",
        "honest-but-curious-quantum-provider",
        "malicious-quantum-provider",
        "compromised-classical-cloud",
        "supply-chain-attacker",
        "physical-insider",
        "colluding-providers",
    }


def test_tactics_are_in_kill_chain_order(kb):
    names = [t.shortname for t in kb.tactics]
    expected = [
        "reconnaissance", "resource-development", "initial-access", "model-access", "execution",
        "persistence", "defense-evasion", "discovery", "collection", "manipulation",
        "exfiltration", "impact",
    ]  # fmt: skip
    assert names == expected


def test_paper_stages_resolve_through_aliases(kb):
    for stage in PAPER_STAGES:
        assert kb.tactic(stage).paper_stage == stage
    assert kb.tactic("attack-staging").shortname == "manipulation"


def test_every_atlas_ref_exists_in_atlas(kb, atlas_ids):
    refs = [r for t in kb.all_techniques() for r in t.atlas_refs]
    refs += [r for m in kb.mitigations for r in m.atlas_refs]
    refs += [t.atlas_tactic for t in kb.tactics]
    assert refs
    assert sorted(set(refs) - atlas_ids) == []


def test_every_mitigation_link_points_to_a_technique(kb):
    for m in kb.mitigations:
        assert m.techniques
        for use in m.techniques:
            assert kb.has_technique(use.id), (m.id, use.id)


def test_subtechniques_inherit_parent_tactics(kb):
    sub = kb.technique("QML.T0011.000")
    assert sub.tactics == ()
    assert kb.effective_tactics(sub) == kb.technique("QML.T0011").tactics


def test_filters_by_tactic_and_layer(kb):
    physical = kb.techniques(layer="physical")
    assert physical and all(t.quantum_layer == "physical" for t in physical)
    exfil = kb.techniques(tactic="exfiltration")
    assert "QML.T0025" in [t.id for t in exfil]
    assert all(kb.tactic("exfiltration").id in kb.effective_tactics(t) for t in exfil)


@pytest.mark.parametrize(
    "name",
    [
        "fingerprint", "encoding", "power", "reset", "crosstalk", "state-preparation",
        "clustering", "white-box", "black-box", "transfer", "label flipping", "quid",
        "backdoor", "trojan", "approximate synthesis", "parameter tampering",
        "result tampering", "fault injection", "lower-quality", "extraction",
        "membership", "model inversion", "gradient inversion", "denial of service",
        "queue flooding", "latency", "rerouting", "ransomware", "cost harvesting",
    ],
)  # fmt: skip
def test_required_threats_are_covered(kb, name):
    assert any(name in t.name.lower() for t in kb.all_techniques()), name


def test_require_ids_accept_known_and_reject_unknown():
    assert require_technique_id("QML.T0025") == "QML.T0025"
    assert require_mitigation_id("QML.M0010") == "QML.M0010"
    with pytest.raises(KnowledgeBaseError, match="QML.T9999"):
        require_technique_id("QML.T9999")
    with pytest.raises(KnowledgeBaseError, match="QML.M9999"):
        require_mitigation_id("QML.M9999")


def test_unknown_lookup_raises_not_found(kb):
    with pytest.raises(NotFoundError):
        kb.technique("QML.T9999")
    with pytest.raises(NotFoundError):
        kb.profile("nobody")


def _broken_copy(tmp_path: Path, file: str, old: str, new: str) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(DATA_DIR, target)
    text = (target / file).read_text(encoding="utf-8")
    assert old in text
    (target / file).write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_broken_field_names_file_record_and_field(tmp_path):
    folder = _broken_copy(
        tmp_path, "techniques.yaml", "maturity: demonstrated", "maturity: rumoured"
    )
    with pytest.raises(KnowledgeBaseError) as info:
        load_catalog(folder)
    message = str(info.value)
    assert "techniques.yaml" in message
    assert "QML.T0001" in message
    assert "maturity" in message


def test_dangling_fact_names_file_record_and_field(tmp_path):
    folder = _broken_copy(
        tmp_path, "techniques.yaml", "requires: [entry.physical]", "requires: [entry.phisical]"
    )
    with pytest.raises(
        KnowledgeBaseError, match=r"techniques.yaml: record QML.T0008: field 'requires'"
    ):
        load_catalog(folder)


def test_dangling_mitigation_link_names_file_record_and_field(tmp_path):
    folder = _broken_copy(
        tmp_path, "mitigations.yaml", "{id: QML.T0023.000,", "{id: QML.T0023.009,"
    )
    with pytest.raises(
        KnowledgeBaseError, match=r"mitigations.yaml: record QML.M0010: field 'techniques'"
    ):
        load_catalog(folder)
