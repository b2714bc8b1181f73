"""The assessment's victim: trained through the QMLaaS pipeline, fine-tuned on the device."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.campaigns.assess_config import ASSESS_VICTIM, AssessConfig, load_assess_config
from qmlsec.campaigns.victim import train_victim
from qmlsec.campaigns.victim_spec import VictimSpec
from qmlsec.exceptions import ConfigError

SMALL = {"dataset": "iris", "classes": None, "qubits": 4, "layers": 1, "epochs": 3,
         "device": "fake_manila"}  # fmt: skip


@pytest.fixture(scope="module")
def tuned():
    spec = VictimSpec(**SMALL, finetune_epochs=1, finetune_samples=8, finetune_batch_size=4,
                      finetune_shots=64, finetune_eval_samples=6)  # fmt: skip
    return train_victim(spec, 0)


def test_finetuning_runs_every_circuit_on_the_device(tuned):
    ft = tuned.finetune
    assert ft["device"] == "fake_manila" and ft["gradient"] == "spsa"
    # SPSA: one forward and two perturbed circuits per sample, all priced cloud jobs
    assert ft["circuits"] == 3 * 8
    by_purpose = tuned.deployment.cost.summary()["by_purpose"]
    assert by_purpose["gradient"]["circuits"] == 2 * 8
    assert by_purpose["gradient"]["shots"] == 2 * 8 * 64
    assert len(ft["history"]) == 1 and ft["eval_samples"] == 6
    for acc in (ft["accuracy_before"], ft["accuracy_after"]):
        assert set(acc) == {"exact", "device"}
        assert all(v in {k / 6 for k in range(7)} for v in acc.values())
    sent = {(e["asset"], e["receiver"]): e["count"] for e in tuned.deployment.ledger.entries()
            if e["step"] == "gradient"}  # fmt: skip
    assert sent[("bound_parameters", "quantum_cloud")] == 2 * 8
    assert sent[("measurement_results", "classical_cloud")] == 2 * 8
    assert "fine-tuning on fake_manila (spsa)" in tuned.pipeline


def test_finetuning_changes_the_weights_and_restores_exact_evaluation(tuned):
    plain = train_victim(VictimSpec(**SMALL), 0)
    assert plain.finetune is None and plain.deployment.cost.total().circuits == 0
    theta, base = tuned.model.model_.theta.detach(), plain.model.model_.theta.detach()
    assert not np.allclose(theta.numpy(), base.numpy())
    assert tuned.model.gradient == "backprop" and not hasattr(tuned.model.model_, "executor")
    assert tuned.model.model_.gradient == "backprop"  # white-box attacks differentiate exactly
    again = train_victim(tuned.spec, 0)  # deterministic for the seed
    assert np.allclose(again.model.model_.theta.detach().numpy(), theta.numpy())
    assert again.finetune["accuracy_after"] == tuned.finetune["accuracy_after"]


def test_assessment_victim_mapping_keeps_the_finetuning_defaults():
    config = AssessConfig.model_validate({"victim": {"layers": 2}})
    assert config.victim.layers == 2
    assert config.victim.finetune_epochs == ASSESS_VICTIM.finetune_epochs >= 1
    off = AssessConfig.model_validate({"victim": {"finetune_epochs": 0}})
    assert off.victim.finetune_epochs == 0
    quick = load_assess_config(quick=True).victim
    assert quick.finetune_samples < ASSESS_VICTIM.finetune_samples
    assert VictimSpec().finetune_epochs == 0  # campaign victims train without the device


def test_backprop_cannot_finetune_on_a_device():
    with pytest.raises(ValueError, match="hardware gradient"):
        VictimSpec(finetune_gradient="backprop")


def test_finetune_needs_a_device_pipeline():
    from qmlsec.cloud.deployment import Deployment, DeploymentSpec
    from qmlsec.cloud.workflow import QMLaaSPipeline
    from qmlsec.models.classifier import QNNClassifier

    clf = QNNClassifier(n_qubits=2, layers=1, epochs=1, gradient="spsa")
    pipe = QMLaaSPipeline(Deployment(DeploymentSpec(quantum={"device": "fake_manila"}), clf))
    with pytest.raises(ConfigError, match="fitted"):
        pipe.finetune(np.zeros((4, 2)), np.array([0, 1, 0, 1]), epochs=1, lr=0.1, batch_size=2)
