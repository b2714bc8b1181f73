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
    assert len(scores) == 1 and len(paths) == 2  # two transfer-evasion paths tie at 2.56
    assert {p.technique_ids[1] for p in paths} == {"QML.T0025", "QML.T0025.000"}
    # white-box evasion needs the architecture before the weights: one step longer
    wider = find_paths(AttackGraph(kb, system, provider), max_paths=3)
    white = [p for p in wider if "QML.T0011.000" in p.technique_ids]
    assert white and white[0].technique_ids[-3:] == ("QML.T0002", "QML.T0021", "QML.T0011.000")


def _all_paths(kb, system, profile, goal, flags=None, **kwargs):
    graph = AttackGraph(kb, system.with_flags(flags) if flags else system, kb.profile(profile))
    return graph, find_paths(graph, goals=[goal], max_paths=60, beam=60, **kwargs)


def _replays(kb, graph, path):
    facts = set(graph.initial_facts)
    for step in path.steps:
        assert graph.enabled(kb.technique(step.technique_id), facts), step.technique_id
        facts.update(step.provides)
    return kb.goal(path.goal).fact in facts


LAYERS3 = {"physical", "privacy", "data-algorithm"}


def test_malicious_provider_lists_a_path_through_all_three_layers(kb, system):
    graph = AttackGraph(kb, system, kb.profile("malicious-quantum-provider"))
    paths = find_paths(graph, max_paths=3, cross_layer=True)
    crossing = [p for p in paths if set(p.layers) >= LAYERS3]
    assert crossing, [p.layer_path for p in paths]
    path = crossing[0]
    assert len(path.steps) >= 5 and _replays(kb, graph, path)
    ids = path.technique_ids
    # power side channel -> architecture -> provider weight theft -> white-box evasion
    assert ids.index("QML.T0022") < ids.index("QML.T0021") < ids.index("QML.T0011.000")
    assert path.transitions[0] == "physical" and path.transitions[-1] == "data-algorithm"
    assert path.to_dict()["transitions"] == list(path.transitions)
    # without the cross-layer option the short single-layer paths fill the cut
    plain = find_paths(graph, max_paths=3)
    assert not any(set(p.layers) >= LAYERS3 for p in plain)


def test_co_tenant_leakage_chain_has_five_steps_ending_in_label_inference(kb, system):
    graph, paths = _all_paths(kb, system, "malicious-co-tenant", "training_data_exposed")
    chain = ("QML.T0003", "QML.T0001", "QML.T0001.000", "QML.T0023.001", "QML.T0024.000")
    found = [p for p in paths if p.technique_ids == chain]
    assert found and _replays(kb, graph, found[0])
    assert found[0].transitions == ("physical", "privacy")
    shown = find_paths(graph, max_paths=3, cross_layer=True)
    assert any(len(p.steps) >= 5 for p in shown)


def test_cross_layer_paths_are_minimal(kb, system):
    for profile in kb.profiles:
        graph = AttackGraph(kb, system, profile)
        for path in find_paths(graph, max_paths=3, cross_layer=True):
            fact = kb.goal(path.goal).fact
            for drop in path.technique_ids:
                rest = set(path.technique_ids) - {drop}
                facts = set(graph.initial_facts)
                for _ in rest:
                    for tid in rest:
                        if graph.enabled(kb.technique(tid), facts):
                            facts.update(kb.technique(tid).provides)
                assert fact not in facts, (profile.id, path.technique_ids, drop)


@pytest.mark.parametrize(
    ("profile", "goal", "chain"),
    [
        # power side channel -> architecture -> provider-side weight theft -> white-box evasion
        ("malicious-quantum-provider", "integrity_lost",
         {"QML.T0008", "QML.T0022", "QML.T0010", "QML.T0021", "QML.T0009", "QML.T0011.000"}),
        # fingerprint -> co-location -> crosstalk leakage of training inputs -> labels
        ("malicious-co-tenant", "training_data_exposed",
         {"QML.T0003", "QML.T0001", "QML.T0001.000", "QML.T0023.001", "QML.T0024.000"}),
        # dormant compiler trojan (needs the encoding) -> triggered at inference
        ("malicious-quantum-provider", "integrity_lost",
         {"QML.T0005", "QML.T0010", "QML.T0002", "QML.T0014.001", "QML.T0009", "QML.T0036"}),
        # poisoning on a malicious classical cloud (the assessment's deployment distrusts
        # both clouds) -> backdoor in the model -> trigger at inference
        ("compromised-classical-cloud@malicious", "integrity_lost",
         {"QML.T0007", "QML.T0013", "QML.T0009", "QML.T0036"}),
        # extraction through the API -> membership inference on the stolen proxy
        ("curious-api-user", "training_data_exposed", {"QML.T0009", "QML.T0025", "QML.T0037"}),
    ],
)  # fmt: skip
def test_the_graph_derives_each_cross_stage_chain(kb, system, profile, goal, chain):
    profile, _, trust = profile.partition("@")
    flags = {"classical_cloud.trust": trust} if trust else None
    graph, paths = _all_paths(kb, system, profile, goal, flags)
    found = [p for p in paths if set(p.technique_ids) == chain]
    assert found, [p.technique_ids for p in paths]
    assert _replays(kb, graph, found[0])


def test_proxy_inversion_needs_api_access_and_a_proxy(kb, system):
    graph, paths = _all_paths(kb, system, "curious-api-user", "training_data_exposed")
    inv = [p for p in paths if "QML.T0038" in p.technique_ids]
    assert inv and all({"QML.T0009"} <= set(p.technique_ids) for p in inv)
    assert all(p.technique_ids.index("QML.T0038") == len(p.steps) - 1 for p in inv)
    assert any(t in inv[0].technique_ids for t in ("QML.T0025", "QML.T0025.000"))


def test_honest_provider_does_not_tap_the_hardware(kb, system):
    honest = AttackGraph(kb, system, kb.profile("honest-but-curious-quantum-provider"))
    assert "QML.T0008" not in honest.reachable_techniques()
    malicious = AttackGraph(kb, system, kb.profile("malicious-quantum-provider"))
    assert {"QML.T0008", "QML.T0022"} <= set(malicious.reachable_techniques())
