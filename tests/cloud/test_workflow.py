"""The six-step workflow: cost counts follow the gradient rule, ledger, noise, seeds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmlsec.circuits import QNNSpec
from qmlsec.cloud.deployment import Deployment, DeploymentSpec
from qmlsec.cloud.executor import CloudExecutor
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.cloud.workflow import QMLaaSPipeline
from qmlsec.data import load_dataset, split
from qmlsec.engine import compile_circuit
from qmlsec.gradients import get_gradient
from qmlsec.models.classifier import QNNClassifier


@pytest.fixture(scope="module")
def iris():
    return split(load_dataset("iris"), test_size=0.3, seed=0)


def _clf(**kw):
    base = {"n_qubits": 2, "layers": 1, "epochs": 1, "lr": 0.1, "batch_size": 0, "random_state": 0}
    return QNNClassifier(**{**base, **kw})


def _deploy(clf, device="ideal", shots=None, seed=0, classical="trusted", **settings):
    spec = DeploymentSpec.model_validate(
        {"seed": seed, "quantum": {"device": device, "shots": shots, **settings},
         "classical": {"trust": classical}}
    )  # fmt: skip
    return Deployment(spec, clf)


def test_cost_account_counts_match_the_parameter_shift_rule(iris):
    train, _ = iris
    X, y = train.X[:20], train.y[:20]
    clf = _clf(gradient="parameter-shift", reduction="pca", epochs=2)
    d = _deploy(clf)
    QMLaaSPipeline(d).fit(X, y)
    by = d.cost.summary()["by_purpose"]
    n_weight_angles = int(clf.model_.compiled.weight_dependent.sum())
    assert by["forward"]["circuits"] == 2 * 20
    assert by["gradient"]["circuits"] == 2 * 20 * 2 * n_weight_angles
    assert by["forward"]["circuits"] + by["gradient"][
        "circuits"
    ] == 2 * clf.model_.circuit_executions(20)


def test_ledger_records_what_the_quantum_cloud_saw(iris):
    train, _ = iris
    d = _deploy(_clf(gradient="spsa"))
    QMLaaSPipeline(d).fit(train.X[:16], train.y[:16])
    seen = {e["asset"] for e in d.ledger.seen_by("quantum_cloud")}
    assert {"bound_parameters", "encoding_circuit", "pqc_architecture"} <= seen
    assert not seen & {"raw_data", "labels", "loss_values"}
    classical = {e["asset"] for e in d.ledger.seen_by("classical_cloud")}
    assert {"raw_data", "labels", "loss_values", "gradients"} <= classical


def test_noisy_device_training_is_reproducible(iris):
    train, test = iris
    X, y = train.X[:24], train.y[:24]

    def run(device: str, seed: int) -> np.ndarray:
        d = _deploy(_clf(gradient="spsa", shots=256), device, shots=256, seed=seed)
        QMLaaSPipeline(d).fit(X, y)
        return d.endpoint().query(test.X[:8], output="expectations").values

    a, b = run("fake_manila", 1), run("fake_manila", 1)
    np.testing.assert_array_equal(a, b)


def test_noisy_spsa_training_records_the_six_steps_in_order_with_their_parties(iris):
    train, test = iris
    d = _deploy(_clf(gradient="spsa", shots=128), "fake_manila", shots=128,
                classical="malicious", trust="honest-but-curious")  # fmt: skip
    QMLaaSPipeline(d).fit(train.X[:12], train.y[:12])
    d.endpoint().query(test.X[:3], output="labels")
    assert d.ledger.steps() == [
        "preprocess", "design", "transpile", "execute", "gradient", "optimize", "inference",
    ]  # fmt: skip
    rows = d.ledger.typed()
    first = {}
    for e in rows:
        first.setdefault(e.step, e)
    assert (first["preprocess"].sender, first["preprocess"].receiver) == ("user", "classical_cloud")
    assert (first["design"].sender, first["design"].receiver) == (
        "classical_cloud",
        "quantum_cloud",
    )
    transpile = [(e.sender.value, e.receiver.value, e.asset.value)
                 for e in rows if e.step == "transpile"]  # fmt: skip
    assert ("quantum_cloud", "transpiler", "logical_circuit") in transpile
    assert ("transpiler", "quantum_cloud", "transpiled_circuit") in transpile
    execute = {(e.sender.value, e.receiver.value) for e in rows if e.step == "execute"}
    assert ("classical_cloud", "quantum_cloud") in execute
    assert ("quantum_cloud", "classical_cloud") in execute
    gradient = [e for e in rows if e.step == "gradient"]
    assert gradient and all(
        {e.sender.value, e.receiver.value} == {"classical_cloud", "quantum_cloud"} for e in gradient
    )
    trust = {e.receiver.value: e.receiver_trust.value for e in rows}
    assert trust["quantum_cloud"] == "honest-but-curious"
    assert trust["classical_cloud"] == "malicious"
    assert d.cost.summary()["by_purpose"]["gradient"]["circuits"] > 0


def test_backprop_on_a_device_trains_in_simulation_and_serves_on_the_device(iris):
    train, test = iris
    d = _deploy(_clf(gradient="backprop"), "fake_manila", shots=64)
    QMLaaSPipeline(d).fit(train.X[:12], train.y[:12])
    assert "transpile" not in d.ledger.steps()  # no training circuit reached the provider
    assert d.cost.total().circuits == 0
    d.endpoint().query(test.X[:2], output="labels")
    assert "transpile" in d.ledger.steps() and d.cost.total().circuits > 0


def test_noise_moves_outputs_beyond_shot_noise():
    spec = QNNSpec(n_qubits=3, layers=2)
    cc = compile_circuit(spec.build(), spec.observables())
    x = torch.rand(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    theta = torch.rand(
        cc.n_weights, dtype=torch.float64, generator=torch.Generator().manual_seed(1)
    )
    angles = cc.angles(x, theta)
    exact = cc.expectations_from_angles(angles)
    shots = 4000
    noisy = CloudExecutor(
        QuantumCloud(["fake_manila"], seed=0), cc, device="fake_manila", shots=shots
    )(angles)
    ideal = CloudExecutor(QuantumCloud(["ideal"], seed=0), cc, device="ideal", shots=shots)(angles)
    shot_sigma = 1 / np.sqrt(shots)
    assert float((ideal - exact).abs().max()) < 5 * shot_sigma  # ideal sampling: shot noise only
    # mean |error| of pure shot noise is ~0.8 sigma; device noise moves it far beyond
    assert float((noisy - exact).abs().mean()) > 3 * shot_sigma


def test_parameter_shift_from_shots_agrees_with_exact_gradient_within_shot_noise():
    spec = QNNSpec(n_qubits=2, layers=1)
    cc = compile_circuit(spec.build(), spec.observables())
    x = torch.rand(3, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    theta = torch.rand(
        cc.n_weights, dtype=torch.float64, generator=torch.Generator().manual_seed(3)
    )
    ps = get_gradient("parameter-shift")

    def grad(executor) -> torch.Tensor:
        t = theta.clone().requires_grad_(True)
        ps.expectations(cc, x, t, executor).sum().backward()
        return t.grad

    exact = grad(None)
    shots, repeats = 2000, 8
    runs = torch.stack(
        [
            grad(
                CloudExecutor(
                    QuantumCloud(["ideal"], seed=s), cc, device="ideal", shots=shots, seed=s
                )
            )
            for s in range(repeats)
        ]
    )
    # each gradient entry is a sum over 3 samples x 2 observables of two shifted +-1 means / 2:
    # its standard deviation is at most sqrt(3 * 2 * 2 / 4 / shots)
    sigma = np.sqrt(3 * 2 * 2 / 4 / shots)
    mean_err = (runs.mean(0) - exact).abs().max().item()
    assert mean_err < 5 * sigma / np.sqrt(repeats)
    assert runs.std(0).max().item() < 3 * sigma
    assert runs.std(0).max().item() > 0  # really sampled


def test_endpoint_accounts_shots_and_is_seeded(iris):
    train, test = iris
    clf = _clf(epochs=3).fit(train.X, train.y)
    ep = _deploy(clf, shots=500).endpoint()
    r1 = ep.query(test.X[:5], output="probabilities", seed=7)
    r2 = ep.query(test.X[:5], output="probabilities", seed=7)
    np.testing.assert_array_equal(r1.values, r2.values)
    assert r1.shots == 5 * 500 and r1.circuits == 5
    assert set(r1.stage_seconds) == {"preprocess", "encode", "execute", "postprocess"}
    exact = ep.query(test.X[:5], output="probabilities", shots=None)
    np.testing.assert_allclose(exact.values, clf.predict_proba(test.X[:5]), atol=1e-12)
    labels = ep.query(test.X, output="labels", shots=None).values
    assert np.mean(clf.classes_[labels] == test.y) == pytest.approx(clf.score(test.X, test.y))
