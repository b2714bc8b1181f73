"""The attack framework: params, requirements, registry, endpoint, harness, conformance."""

from __future__ import annotations

import json
from typing import ClassVar

import numpy as np
import pytest

from qmlsec.attacks import AttackContext, Capability, Position, QueryCounter, Target
from qmlsec.attacks.evasion.fgsm import FGSM
from qmlsec.attacks.evasion.pgd import PGD
from qmlsec.attacks.evasion.spsa import SPSA
from qmlsec.attacks.evasion.transfer import Transfer
from qmlsec.attacks.facts import KnownDevice
from qmlsec.attacks.local_endpoint import LocalEndpoint
from qmlsec.attacks.poisoning.base import PoisoningAttack
from qmlsec.attacks.poisoning.quid import QUID
from qmlsec.attacks.registry import available_attacks, get_attack
from qmlsec.config import rng
from qmlsec.exceptions import ConfigError, NotFoundError, RateLimitError, RequirementError
from qmlsec.testing import ConformanceError, check_attack
from qmlsec.testing.victims import small_victim

OURS = {
    "evasion.fgsm", "evasion.bim", "evasion.pgd", "evasion.mim", "evasion.spsa",
    "evasion.transfer", "poisoning.label_flip", "poisoning.quid", "poisoning.backdoor",
}  # fmt: skip


@pytest.fixture(scope="module")
def victim():
    return small_victim()


def test_registry_lists_every_attack_under_its_own_name():
    attacks = available_attacks()
    assert set(attacks) >= OURS
    assert all(cls.name == name for name, cls in attacks.items())


def test_unknown_attack_names_close_matches():
    with pytest.raises(NotFoundError, match="evasion.pgdd") as err:
        get_attack("evasion.pgdd")
    assert "evasion.pgd" in str(err.value)


def test_invalid_params_name_the_field_and_list_the_valid_ones(victim):
    with pytest.raises(ConfigError, match="steps") as err:
        PGD(Target.white_box(victim.model), {"steps": 0})
    assert "step_ratio" in str(err.value)
    with pytest.raises(ConfigError, match="Extra inputs"):
        PGD(Target.white_box(victim.model), {"stpes": 3})


def test_params_are_frozen(victim):
    attack = PGD(Target.white_box(victim.model))
    with pytest.raises(ValueError, match="frozen"):
        attack.params.steps = 3


def test_requirement_error_names_missing_capabilities_and_position():
    bare = Target(Position.API_USER, frozenset({Capability.QUERY_ACCESS}))
    with pytest.raises(RequirementError, match="probabilities") as err:
        SPSA(bare)
    assert "api_user" in str(err.value)


def test_local_endpoint_shot_noise_is_seeded_and_quantised(victim):
    ep = LocalEndpoint(victim.model)
    x = victim.x_test[:5]
    a = ep.query(x, shots=100, seed=3).values
    assert np.array_equal(a, ep.query(x, shots=100, seed=3).values)
    assert np.allclose(a * 100, np.round(a * 100))
    assert np.allclose(a.sum(axis=1), 1.0)
    exact = ep.query(x).values
    assert np.allclose(exact, victim.model.predict_proba(x))
    labels = ep.query(x, output="labels").values
    assert np.array_equal(labels, victim.model.predict(x))
    expectations = ep.query(x, output="expectations", shots=50, seed=0).values
    assert expectations.shape == (5, 4) and np.all(np.abs(expectations) <= 1)


def test_query_counter_enforces_the_budget(victim):
    counter = QueryCounter(LocalEndpoint(victim.model), shots=10, budget=8)
    counter.query(victim.x_test[:5])
    with pytest.raises(RateLimitError, match="budget"):
        counter.query(victim.x_test[:5])
    assert counter.stats.to_dict() == {"calls": 1, "samples": 5, "shots": 50, "circuits": 5}


def test_builder_grants_what_each_position_holds(victim):
    model = victim.model
    white = victim.setup(FGSM).target  # the malicious classical cloud holds the model
    assert white.model is model and white.position is Position.UNTRUSTED_CLASSICAL_CLOUD
    black = victim.setup(SPSA, shots=64, budget=1000).target
    assert black.model is None and black.endpoint.output == "probabilities"
    assert (black.endpoint.shots, black.endpoint.budget) == (64, 1000)
    assert black.position is Position.API_USER
    assert victim.setup(Transfer).target.endpoint.output == "labels"
    writer = victim.setup(QUID).target
    assert Capability.TRAINING_DATA_WRITE in writer.capabilities and writer.model is model
    assert writer.position in QUID.positions


def test_builder_enforces_three_valued_trust(victim):
    curious = victim.deployment(quantum={"trust": "honest-but-curious"},
                                classical={"trust": "trusted"})  # fmt: skip
    with pytest.raises(RequirementError, match="honest-but-curious: it may observe but never"):
        victim.setup("tampering.measurement", deployment=curious)
    observer = victim.setup("recon.encoding_inference", deployment=curious).target
    assert observer.capabilities >= {Capability.CIRCUIT_ACCESS}
    assert observer.cloud is curious.quantum  # the victim's own provider, not a fresh one
    with pytest.raises(RequirementError, match="trusted: it grants no foothold"):
        victim.setup("inference.gradient_inversion", deployment=curious)  # sees no gradients
    stolen = victim.setup(FGSM, deployment=curious, knowledge=frozenset(
        {Capability.INPUT_GRADIENTS, Capability.WEIGHTS}))  # fmt: skip
    assert stolen.target.position is Position.API_USER and stolen.target.endpoint is not None


def test_builder_gives_foothold_attacks_the_deployments_cloud(victim):
    class Crosstalk(PoisoningAttack):
        name: ClassVar[str] = "poisoning.crosstalk_fake"
        technique_id: ClassVar[str] = "QML.T0012"
        requires: ClassVar[frozenset[Capability]] = frozenset({Capability.CO_TENANCY})
        positions: ClassVar[frozenset[Position]] = frozenset({Position.CO_TENANT})

        def poison(self, x, y, *, rate):
            return x, y

        def _run(self, ctx):
            return self.new_result()

    deployment = victim.deployment()
    setup = victim.setup(Crosstalk, deployment=deployment)
    target = setup.target
    assert Capability.CO_TENANCY in target.capabilities
    assert (target.model, target.cloud) == (victim.model, deployment.quantum)
    assert target.position is Position.CO_TENANT
    result = setup.run(0)
    assert result.deployment["position"] == "co_tenant"


def test_progress_reaches_the_callback(victim):
    seen = []
    ctx = victim.context(n_test=5)
    ctx.progress = lambda stage, done, total: seen.append((stage, done, total))
    FGSM(Target.white_box(victim.model), {"eps": [0.1, 0.2]}).run(ctx)
    assert seen[-1] == ("evasion.fgsm done", 2, 2)
    assert len(seen) == 3


def test_result_serialises_to_json(victim):
    result = PGD(Target.white_box(victim.model), {"eps": [0.1], "steps": 2}).run(
        victim.context(n_test=6)
    )
    data = json.loads(result.to_json())
    assert data["attack"] == "evasion.pgd" and data["technique_id"] == "QML.T0011.000"
    assert data["params"]["steps"] == 2 and data["seed"] == 0
    assert "adversarial_examples" not in data


class _Noisy(FGSM):
    """A broken attack: its metrics ignore the seed."""

    def _run(self, ctx: AttackContext):
        result = super()._run(ctx)
        result.metrics["noise"] = float(np.random.default_rng().random())
        return result


class _Mute(FGSM):
    """A broken attack: its requirement error does not say what is missing."""

    @classmethod
    def check_requirements(cls, target):
        if Capability.INPUT_GRADIENTS not in target.capabilities:
            raise RequirementError("no")


def test_conformance_check_catches_seed_ignoring_metrics(victim):
    with pytest.raises(ConformanceError, match="same seed"):
        check_attack(victim.setup(_Noisy, n_test=4))


def test_conformance_check_catches_unhelpful_requirement_errors(victim):
    with pytest.raises(ConformanceError, match="does not name"):
        check_attack(victim.setup(_Mute, n_test=4))


def test_conformance_check_catches_work_in_the_constructor(victim):
    class Eager(FGSM):
        def __init__(self, target, params=None, *, seed=0):
            super().__init__(target, params, seed=seed)
            self.noise_ = rng(seed, "x").random()

    with pytest.raises(ConformanceError, match="learned state"):
        check_attack(victim.setup(Eager, n_test=4))


def test_conformance_check_wants_the_knowledge_base_to_list_the_attack(victim):
    class Unlisted(FGSM):
        name: ClassVar[str] = "evasion.unlisted"

    with pytest.raises(ConformanceError, match="implemented_by"):
        check_attack(victim.setup(Unlisted, n_test=4))
    with pytest.raises(ConformanceError, match="registered as"):
        check_attack(victim.setup(FGSM, n_test=4),
                     registry_name="evasion.other")  # fmt: skip


def test_with_model_keeps_the_deployment_and_the_attackers_foothold():
    victim = small_victim(n_qubits=2, layers=1, epochs=2, classes="0-1")
    other = small_victim(n_qubits=2, layers=1, epochs=3, classes="0-1")
    deployment = victim.deployment(quantum={"trust": "honest-but-curious"})
    setup = victim.setup("extraction.provider_theft", n_test=4, deployment=deployment)
    swapped = setup.with_model(other.model)
    assert swapped.target.cloud is deployment.quantum
    assert swapped.target.position == setup.target.position
    assert swapped.model is other.model and swapped.target.model is other.model
    assert swapped.deployment.ledger is deployment.ledger
    assert swapped.deployment.endpoint().classifier is other.model


def test_conformance_check_wants_required_facts_read_and_provided_facts_declared(victim):
    class Forgetful(Transfer):
        """Trains its own substitute although a proxy model was handed over."""

        def prepare(self, ctx):
            ctx.facts = type(ctx.facts)()  # looks at nothing it was given
            super().prepare(ctx)

    class Boastful(FGSM):
        def _run(self, ctx):
            result = super()._run(ctx)
            result.establish(KnownDevice("fake_manila"))
            return result

    with pytest.raises(ConformanceError, match="never reads the fact"):
        check_attack(victim.setup(Forgetful, n_test=4), registry_name="evasion.transfer")
    with pytest.raises(ConformanceError, match="does not provide"):
        check_attack(victim.setup(Boastful, n_test=4), registry_name="evasion.fgsm")


def test_facts_flow_from_one_stage_to_the_next(victim):
    theft = victim.setup("inference.state_prep_theft", params={"max_samples": 12, "shots": 64})
    stolen = theft.run(0)
    assert set(stolen.facts) == {"know.training_inputs", "know.parameters"}
    held = list(stolen.facts.values())
    clustering = victim.setup("inference.label_clustering", facts=held,
                              params={"max_samples": 12})  # fmt: skip
    labelled = clustering.run(0)
    assert "know.training_inputs" in clustering.ctx.facts.read
    assert labelled.facts["know.training_labels"].labels.shape == (12,)
    assert labelled.to_dict()["facts"] == {"know.training_labels": "know.training_labels"}
