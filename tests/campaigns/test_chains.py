"""Cross-layer chains: each stage uses what the earlier one obtained, and fails without it."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from qmlsec.attacks.facts import BackdoorPlanted, Facts, KnownArchitecture, KnownParameters
from qmlsec.attacks.perfect_knowledge import perfect_facts
from qmlsec.campaigns.assess_config import AssessConfig
from qmlsec.campaigns.chain import PathExecutor, stolen_model
from qmlsec.campaigns.chains import CHAINS, ChainRunner
from qmlsec.campaigns.victim import Victim
from qmlsec.campaigns.victim_spec import VictimSpec
from qmlsec.exceptions import RequirementError
from qmlsec.killchain.catalog import load_catalog
from qmlsec.killchain.graph import AttackGraph
from qmlsec.killchain.system import DEFAULT_SYSTEM, SystemModel
from qmlsec.report.posture import annotate
from qmlsec.testing.victims import small_victim


@pytest.fixture(scope="module")
def victim() -> Victim:
    sv = small_victim()
    spec = VictimSpec(dataset="iris", qubits=4, layers=2, device="fake_manila")
    return Victim(spec=spec, seed=0, deployment=sv.deployment(), x_train=sv.x_train,
                  y_train=sv.y_train, x_test=sv.x_test, y_test=sv.y_test, seconds=0.0,
                  pipeline="test")  # fmt: skip


@pytest.fixture(scope="module")
def config() -> AssessConfig:
    return AssessConfig(test_samples=24).quick_mode()


@pytest.mark.parametrize("chain", CHAINS, ids=lambda c: c.id)
def test_every_chain_is_derived_by_the_knowledge_base(chain):
    """Each stage is reachable for the profile on the assessed deployment (both clouds
    malicious), and the knowledge and state it requires come from an earlier stage of
    the chain (the AND/OR graph derives the chain)."""
    catalog = load_catalog()
    data = yaml.safe_load(DEFAULT_SYSTEM.read_text())
    data["classical_cloud"]["trust"] = "malicious"  # the assessed deployment's trust
    graph = AttackGraph(catalog, SystemModel.from_dict(data), catalog.profile(chain.profile))
    reachable = set(graph.reachable_techniques())
    provided: set[str] = set()
    for tid in chain.techniques:
        technique = catalog.technique(tid)
        assert tid in reachable, f"{tid} is not reachable for {chain.profile}"
        needs = {f for f in technique.requires if f.split(".")[0] in ("know", "state")}
        assert needs <= provided | set(graph.initial_facts), (tid, needs - provided)
        provided |= set(technique.provides)
    layers = {catalog.technique(t).quantum_layer for t in chain.techniques}
    assert len(layers) >= 1


def test_white_box_stage_attacks_with_the_stolen_weights_not_the_victims(victim, config):
    theta = victim.model.model_.theta.detach().numpy()
    stolen = theta + 0.25  # what a (slightly wrong) theft recovered
    facts = Facts([KnownArchitecture(spec=victim.model.model_.spec), KnownParameters(stolen)])
    setup = PathExecutor(victim, config).setup("evasion.pgd", None, facts, {})
    used = setup.target.model.model_.theta.detach().numpy()
    np.testing.assert_allclose(used, stolen, atol=0)
    assert not np.allclose(used, theta)
    assert {"know.architecture", "know.parameters"} <= facts.read
    # the endpoint the evaluation queries is still the victim's deployment
    assert setup.target.endpoint is not None and setup.model is victim.model


def test_stolen_weights_that_do_not_fit_are_refused(victim):
    arch = KnownArchitecture(spec=victim.model.model_.spec)
    with pytest.raises(RequirementError, match="do not fit"):
        stolen_model(victim.model, arch, KnownParameters(np.zeros(3)))


def test_trigger_stage_needs_the_planted_backdoor(victim):
    sv = small_victim()
    setup = sv.setup("evasion.backdoor_trigger", n_test=10, position="api_user")
    with pytest.raises(RequirementError, match="state.backdoor"):
        setup.run(0)


def test_data_backdoor_chain_triggers_through_the_deployed_model(victim, config):
    record = ChainRunner(PathExecutor(victim, config), load_catalog()).run(
        next(c for c in CHAINS if c.id == "classical-cloud-backdoor")
    )
    plant, trigger = record["stages"]
    assert plant["established"] == ["state.backdoor"]
    assert trigger["consumed"] == ["state.backdoor"] and trigger["status"] == "executed"
    assert record["oracle"]["stages"][0]["consumed"] == ["know.architecture", "know.parameters"]


def test_dormant_trojan_needs_the_encoding_and_stays_hidden_until_triggered():
    """With the encoding the planted pass watches a data angle and a crafted input fires
    it; without it the pass watches a guessed (constant) angle and never fires."""
    sv = small_victim()
    outcomes = {}
    for known in (True, False):
        d = sv.deployment(serving="device", quantum={"shots": 512})
        facts = perfect_facts(d, ["know.encoding"], sv.x_train, sv.y_train) if known else Facts()
        plant = sv.setup("circuit.planted_trojan", deployment=d, n_test=12,
                         position="untrusted_quantum_cloud", facts=list(facts),
                         params={"shots": 512, "max_samples": 12}).run(1)  # fmt: skip
        assert plant.metrics["natural_trigger_rate"] == 0.0  # dormant on natural traffic
        assert plant.metrics["dormant_unchanged"] == 1.0
        backdoor = plant.facts[BackdoorPlanted.id]
        assert backdoor.handle in d.quantum.hooks  # persisted on the deployment
        trig = sv.setup("evasion.backdoor_trigger", deployment=d, n_test=12,
                        position="untrusted_quantum_cloud", facts=[backdoor]).run(2)  # fmt: skip
        outcomes[known] = (plant.metrics["watched_angle_varies"], trig.metrics)
    varies, with_encoding = outcomes[True]
    assert varies == 1.0 and with_encoding["triggered_fraction"] == 1.0
    assert with_encoding["calibration_fit_error"] < 1e-6
    assert with_encoding["misclassification_rate"] > 0
    varies, blind = outcomes[False]
    assert varies == 0.0 and blind["triggered_fraction"] == 0.0
    assert blind["attack_success_rate"] == 0.0


def test_chain_report_gives_stage_outcomes_and_the_oracle_share(victim, config):
    runner = ChainRunner(PathExecutor(victim, config), load_catalog())
    chain = runner.run(next(c for c in CHAINS if c.id == "classical-cloud-backdoor"))
    runs = [r.to_dict() for r in runner.executor.runs.values()]
    doc = annotate({"kind": "assessment", "runs": runs, "chains": [chain],
                    "summary": {"clean_accuracy": victim.clean_accuracy}})  # fmt: skip
    ch = doc["chains"][0]
    assert [s["outcome"] for s in ch["stages"]] and ch["outcome"] in (
        "achieved",
        "executed, not achieved",
        "broken",
    )
    assert ch["achieved"] == all(s["outcome"] == "achieved" for s in ch["stages"])
    assert ch["end_effect"]["attack"] == "evasion.backdoor_trigger"
    assert ch["oracle_effect"]["attack"] == "evasion.pgd"
    assert doc["posture"]["counts"]["chains"] == 1


def test_white_box_stage_is_blocked_when_no_earlier_stage_stole_the_model(victim, config):
    runner = ChainRunner(PathExecutor(victim, config), load_catalog())
    chain = next(c for c in CHAINS if c.id == "power-theft-whitebox")
    records = runner._steps(victim.deployment.reconfigure(), chain.steps[2:], Facts(), "t")
    assert records[0]["status"] == "blocked"
    assert "know.architecture" in records[0]["reason"] and records[0]["runs"] == []


def _chain_runs(runner, record):
    runs = runner.executor.runs
    for ex in runner.executors:
        runs = {**runs, **ex.runs}
    return [runs[s["runs"][0]] if s["runs"] else None for s in record["stages"]]


def test_leakage_chain_clusters_the_inputs_crosstalk_leaked(victim, config):
    runner = ChainRunner(PathExecutor(victim, config), load_catalog())
    chain = next(c for c in CHAINS if c.id == "fingerprint-leakage-labels")
    record = runner.run(chain)
    fingerprint, locality, crosstalk, labels = record["stages"]
    assert all(s["status"] == "executed" for s in record["stages"]), record["stages"]
    # each stage read what the one before established
    assert set(locality["consumed"]) & set(fingerprint["established"])
    assert set(crosstalk["consumed"]) & set(locality["established"])
    assert labels["consumed"] == ["know.training_inputs"]
    *_, leak_run, label_run = _chain_runs(runner, record)
    leaked = leak_run.facts["know.training_inputs"].inputs
    assert label_run.result["metrics"]["inputs_from_fact"] == 1.0
    assert len(label_run.result["per_sample"]["label"]) == len(leaked)
    # without the leaked inputs a co-tenant has nothing to cluster
    alone = runner._steps(victim.deployment.reconfigure(), chain.steps[3:], Facts(), "t")
    assert alone[0]["status"] in ("blocked", "failed")
    assert "training_inputs" in alone[0]["reason"] and not alone[0]["established"]


def test_membership_stage_scores_with_the_extracted_substitute(victim, config):
    runner = ChainRunner(PathExecutor(victim, config), load_catalog())
    chain = next(c for c in CHAINS if c.id == "extraction-membership")
    record = runner.run(chain)
    extraction, membership = record["stages"]
    assert extraction["established"] == ["know.proxy_model"]
    assert membership["consumed"] == ["know.proxy_model"]
    extraction_run, membership_run = _chain_runs(runner, record)
    stolen = extraction_run.facts["know.proxy_model"]
    assert membership_run.setup.ctx.facts.get(type(stolen)) is stolen
    # the oracle scores with a perfect proxy (the victim itself), not the substitute
    assert record["oracle"]["stages"][0]["consumed"] == ["know.proxy_model"]
    alone = runner._steps(victim.deployment.reconfigure(), chain.steps[1:], Facts(), "t")
    assert alone[0]["status"] in ("blocked", "failed")
    assert "proxy_model" in alone[0]["reason"]
