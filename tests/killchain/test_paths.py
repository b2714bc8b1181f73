"""Attack graph and paths: reachability, minimality, ranking, determinism, mitigations."""

from __future__ import annotations

import time

import networkx as nx
import pytest

from qmlsec.killchain.catalog import load_catalog
from qmlsec.killchain.graph import AttackGraph, tech_node
from qmlsec.killchain.impact import mitigation_effects
from qmlsec.killchain.paths import find_paths
from qmlsec.killchain.system import SystemModel


@pytest.fixture(scope="module")
def kb():
    return load_catalog()


@pytest.fixture(scope="module")
def system():
    return SystemModel.default()


def test_graph_is_and_or_with_facts_and_techniques(kb, system):
    g = AttackGraph(kb, system, kb.profile("malicious-co-tenant")).graph
    assert isinstance(g, nx.DiGraph)
    node = g.nodes[tech_node("QML.T0018")]
    assert node["gate"] == "AND"
    preds = set(g.predecessors(tech_node("QML.T0018")))
    assert preds == {"fact:access.co_tenancy", "fact:know.colocation"}
    assert all(g.nodes[p]["gate"] == "OR" for p in preds)


def test_every_profile_reaches_some_goal_on_default_system(kb, system):
    for profile in kb.profiles:
        paths = find_paths(AttackGraph(kb, system, profile))
        assert paths, profile.id
        assert all(p.attacker == profile.id for p in paths)


def test_paths_are_ranked_minimal_and_replayable(kb, system):
    graph = AttackGraph(kb, system, kb.profile("malicious-co-tenant"))
    paths = find_paths(graph, max_paths=5)
    scores = [p.score for p in paths]
    assert scores == sorted(scores, reverse=True)
    for path in paths:
        facts = set(graph.initial_facts)
        for step in path.steps:
            assert graph.enabled(kb.technique(step.technique_id), facts)
            facts.update(step.provides)
        assert kb.goal(path.goal).fact in facts
        # minimal: dropping any step breaks the path
        for drop in path.technique_ids:
            facts = set(graph.initial_facts)
            rest = [t for t in path.technique_ids if t != drop]
            for _ in rest:
                for tid in rest:
                    if graph.enabled(kb.technique(tid), facts):
                        facts.update(kb.technique(tid).provides)
            assert kb.goal(path.goal).fact not in facts


def test_multi_stage_crosstalk_path_needs_fingerprinting(kb, system):
    paths = find_paths(
        AttackGraph(kb, system, kb.profile("malicious-co-tenant")), goals=["integrity_lost"]
    )
    assert paths[0].technique_ids == ("QML.T0003", "QML.T0001", "QML.T0001.000", "QML.T0018")
    assert paths[0].score == pytest.approx(0.6 * 0.8 * 0.8 * 0.8 * 4)


def test_passive_attacker_uses_no_integrity_or_availability_technique(kb, system):
    graph = AttackGraph(kb, system, kb.profile("honest-but-curious-quantum-provider"))
    for tid in graph.reachable_techniques():
        assert not {"I", "A"} & set(kb.technique(tid).cia), tid
    active = AttackGraph(kb, system, kb.profile("malicious-quantum-provider"))
    assert "QML.T0016" in active.reachable_techniques()


def test_paths_are_deterministic(kb, system):
    for profile in kb.profiles:
        a = [p.to_dict() for p in find_paths(AttackGraph(kb, system, profile))]
        b = [p.to_dict() for p in find_paths(AttackGraph(kb, system, profile))]
        assert a == b


def test_paths_for_all_profiles_are_fast(kb, system):
    start = time.perf_counter()
    for profile in kb.profiles:
        find_paths(AttackGraph(kb, system, profile))
    assert time.perf_counter() - start < 5.0


def test_reset_one_time_pad_removes_the_reset_leakage_path(kb, system):
    profile = kb.profile("malicious-co-tenant")
    before = find_paths(AttackGraph(kb, system, profile), goals=["training_data_exposed"])
    assert any("QML.T0023.000" in p.technique_ids for p in before)
    graph = AttackGraph(kb, system, profile, ["QML.M0010"])
    after = find_paths(graph, goals=["training_data_exposed"])
    assert graph.blocked["QML.T0023.000"] == ("QML.M0010",)
    assert not any("QML.T0023.000" in p.technique_ids for p in after)
    assert any("QML.T0023.001" in p.technique_ids for p in after)  # vertical leakage remains


def test_reducing_mitigation_lowers_score_but_keeps_path(kb, system):
    profile = kb.profile("curious-api-user")
    base = find_paths(AttackGraph(kb, system, profile), goals=["model_stolen"])[0]
    hardened = find_paths(AttackGraph(kb, system, profile, ["QML.M0003"]), goals=["model_stolen"])[
        0
    ]
    assert hardened.technique_ids == base.technique_ids
    assert hardened.score == pytest.approx(base.score * 0.5)


def test_mitigation_effects_report_what_each_mitigation_removes(kb, system):
    effects = {
        e.mitigation_id: e
        for e in mitigation_effects(kb, system, kb.profile("malicious-co-tenant"))
    }
    dedicated = effects["QML.M0018"]
    assert "QML.T0003" in dedicated.removed_techniques
    assert set(dedicated.goals_lost) == {
        "availability_lost",
        "integrity_lost",
        "training_data_exposed",
    }
    assert dedicated.risk_after == 0.0
    buffers = effects["QML.M0011"]
    assert "QML.T0018" in buffers.removed_techniques and "integrity_lost" in buffers.goals_lost
    assert effects["QML.M0001"].risk_reduction == 0.0


def test_system_without_multi_tenancy_has_no_co_tenant_paths(kb, system):
    single = system.with_flags({"quantum_cloud.multi_tenant": False})
    assert find_paths(AttackGraph(kb, single, kb.profile("malicious-co-tenant"))) == []


def test_qdoor_needs_third_party_model_and_approximate_synthesis(kb, system):
    profile = kb.profile("supply-chain-attacker")
    assert "QML.T0015" not in AttackGraph(kb, system, profile).reachable_techniques()
    risky = system.with_flags(
        {"model.source": "third_party", "transpiler.approximate_synthesis": True}
    )
    assert "QML.T0015" in AttackGraph(kb, risky, profile).reachable_techniques()


def test_a_cut_at_max_paths_keeps_tied_paths_that_bring_new_techniques(kb, system):
    from qmlsec.killchain.schema import Profile

    provider = Profile.model_validate({
        "id": "provider-with-api-access", "name": "p", "description": "d",
        "positions": ["untrusted_quantum_cloud", "api_user"], "goals": ["integrity_lost"],
    })  # fmt: skip
    paths = find_paths(AttackGraph(kb, system, provider), max_paths=1)
    scores = {p.score for p in paths}
    assert len(scores) == 1 and len(paths) == 3  # three paths tie at 2.56
    assert any("QML.T0011.000" in p.technique_ids for p in paths)  # white-box evasion kept
    assert any("QML.T0011.002" in p.technique_ids for p in paths)
