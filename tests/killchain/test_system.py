"""System model: YAML, flags, ledger entries and declarative fact derivation."""

from __future__ import annotations

import pytest

from qmlsec.exceptions import ConfigError
from qmlsec.killchain.catalog import load_catalog
from qmlsec.killchain.conditions import evaluate
from qmlsec.killchain.schema import Condition
from qmlsec.killchain.system import SystemModel, derive_facts

LEDGER = [
    {"step": "preprocess", "asset": "raw_data", "form": "plaintext", "sender": "user",
     "receiver": "classical_cloud", "receiver_trust": "honest-but-curious"},
    {"step": "execute", "asset": "bound_parameters", "form": "angles in bound circuit",
     "sender": "classical_cloud", "receiver": "quantum_cloud", "receiver_trust": "malicious"},
    {"step": "gradient", "asset": "gradients", "form": "parameter-shift estimates",
     "sender": "classical_cloud", "receiver": "classical_cloud",
     "receiver_trust": "honest-but-curious"},
    {"step": "inference", "asset": "predictions", "form": "labels", "sender": "classical_cloud",
     "receiver": "api_client", "receiver_trust": "trusted"},
    {"step": "observe", "asset": "bound_parameters", "form": "observed by provider hook",
     "sender": "quantum_cloud", "receiver": "attacker", "receiver_trust": "malicious",
     "actor": "recon.encoding_inference"},
]  # fmt: skip


def test_default_system_describes_untrusted_multi_tenant_cloud():
    system = SystemModel.default()
    assert system.quantum_cloud.trust == "malicious"
    assert system.quantum_cloud.multi_tenant
    assert system.api.output == "probabilities"
    assert system.api.shots_per_query > 0


def test_unknown_key_in_system_yaml_names_file_and_field(tmp_path):
    path = tmp_path / "deploy.yaml"
    path.write_text("name: x\nquantum_cloud:\n  multitenant: true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"deploy.yaml: field 'quantum_cloud.multitenant'"):
        SystemModel.from_yaml(path)


def test_with_flags_overrides_and_rejects_unknown_paths():
    system = SystemModel.default().with_flags(
        {"api.output": "labels", "quantum_cloud.multi_tenant": False}
    )
    assert system.api.output == "labels" and not system.quantum_cloud.multi_tenant
    with pytest.raises(ConfigError, match="api.colour"):
        SystemModel.default().with_flags({"api.colour": "red"})


def test_facts_follow_system_flags_and_attacker_position():
    kb = load_catalog()
    tenant = kb.profile("malicious-co-tenant")
    assert "entry.quantum_tenant" in derive_facts(SystemModel.default(), tenant, kb)
    single = SystemModel.default().with_flags({"quantum_cloud.multi_tenant": False})
    assert "entry.quantum_tenant" not in derive_facts(single, tenant, kb)
    labels = SystemModel.default().with_flags({"api.output": "labels"})
    facts = derive_facts(labels, kb.profile("curious-api-user"), kb)
    assert "sys.returns_labels" in facts and "sys.returns_probabilities" not in facts


def test_trusted_provider_gives_the_provider_profile_no_foothold():
    kb = load_catalog()
    trusted = SystemModel.default().with_flags({"quantum_cloud.trust": "trusted"})
    assert "entry.quantum_provider" not in derive_facts(
        trusted, kb.profile("malicious-quantum-provider"), kb
    )


def test_from_ledger_entries_reads_trust_data_location_and_outputs():
    system = SystemModel.from_ledger_entries(LEDGER, flags={"quantum_cloud.device_pool": 1})
    assert system.quantum_cloud.trust == "malicious"
    assert system.classical_cloud.trust == "honest-but-curious"
    assert system.dataset.location == "classical_cloud"
    assert system.classical_cloud.computes_gradients
    assert system.model.trained_on_quantum_cloud
    assert system.api.exposed and system.api.output == "labels"
    assert system.quantum_cloud.device_pool == 1
    assert len(system.dataflows) == len(LEDGER) - 1  # an attack's footprint is not the system


def test_ledger_entry_with_unknown_party_is_rejected():
    bad = [dict(LEDGER[0], receiver="mars")]
    with pytest.raises(ConfigError, match="unknown receiver 'mars'"):
        SystemModel.from_ledger_entries(bad)


@pytest.mark.parametrize(
    ("cond", "expected"),
    [
        ({"attr": "a.n", "ge": 2}, True),
        ({"attr": "a.n", "lt": 2}, False),
        ({"attr": "a.s", "in": ["x", "y"]}, True),
        ({"attr": "a.missing", "eq": 1}, False),
        ({"attr": "a.missing", "ne": 1}, True),
        ({"not": {"attr": "a.flag", "eq": True}}, False),
        ({"any": [{"attr": "a.flag", "eq": False}, {"attr": "a.l", "contains": 3}]}, True),
    ],
)
def test_conditions_are_evaluated_declaratively(cond, expected):
    ctx = {"a": {"n": 3, "s": "x", "flag": True, "l": [1, 3]}}
    assert evaluate(Condition.model_validate(cond), ctx) is expected


def test_condition_with_two_forms_is_rejected():
    with pytest.raises(ValueError):
        Condition.model_validate({"attr": "a", "eq": 1, "ne": 2})


def test_honest_but_curious_provider_observes_but_never_tampers():
    from qmlsec.killchain.graph import AttackGraph

    kb = load_catalog()
    profile = kb.profile("malicious-quantum-provider")
    techniques = {}
    for trust in ("honest-but-curious", "malicious"):
        system = SystemModel.default().with_flags({"quantum_cloud.trust": trust})
        techniques[trust] = set(AttackGraph(kb, system, profile).techniques)
    observe = {"QML.T0002", "QML.T0021"}  # encoding inference, provider theft
    tamper = {"QML.T0016", "QML.T0017", "QML.T0014"}  # parameter, measurement, trojan
    assert observe <= techniques["honest-but-curious"] and observe <= techniques["malicious"]
    assert not tamper & techniques["honest-but-curious"]
    assert tamper <= techniques["malicious"]
