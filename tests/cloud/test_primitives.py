"""The quantum cloud executing through Qiskit V2 primitives (Aer, IBM Runtime local, Braket).

Nothing here touches the network: IBM Runtime runs in local testing mode on fake
backends, and the hardware route is only checked up to its configuration.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp

from qmlsec.attacks.access import installed
from qmlsec.attacks.hardware.downgrade import SubstituteHook
from qmlsec.cloud.deployment import Deployment, DeploymentSpec
from qmlsec.cloud.ledger import ExposureLedger
from qmlsec.cloud.primitives import PrimitiveSettings
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.cloud.providers.jobs import QuantumJob
from qmlsec.cloud.workflow import QMLaaSPipeline
from qmlsec.config import derive_seed
from qmlsec.data import load_dataset, split
from qmlsec.defenses.provider.fingerprint_check import FingerprintCheck
from qmlsec.exceptions import ConfigError
from qmlsec.models.classifier import QNNClassifier

X = ParameterVector("x", 2)
OBS = (SparsePauliOp("IZ"), SparsePauliOp("ZI"), SparsePauliOp("XX"))
VALUES = np.array([[0.3, 1.2], [2.0, 0.5], [0.0, 0.0]])


def circuit() -> QuantumCircuit:
    qc = QuantumCircuit(2)
    qc.ry(X[0], 0)
    qc.ry(X[1], 1)
    qc.cx(0, 1)
    return qc


def submit(primitive: str, shots: int | None, **settings: str) -> tuple[QuantumCloud, object]:
    cloud = QuantumCloud(["fake_manila"], seed=0, ledger=ExposureLedger(),
                         primitive=PrimitiveSettings(name=primitive, **settings))  # fmt: skip
    job = QuantumJob("victim", circuit(), VALUES, OBS, shots=shots,
                     requested_device="fake_manila", seed=1)  # fmt: skip
    return cloud, cloud.submit(job)


def test_aer_sampler_and_estimator_reproduce_the_builtin_backend() -> None:
    """Same noise model, transpilation and seed: the same counts and exact values."""
    for shots in (4000, None):
        _, builtin = submit("builtin", shots)
        _, aer = submit("aer", shots)
        assert np.allclose(aer.expectations, builtin.expectations, atol=1e-9)
        assert aer.method == "primitive:aer" and aer.primitive["primitive"] == "aer"
        assert builtin.primitive is None


def test_ibm_runtime_local_sampler_records_its_job_and_agrees_within_noise() -> None:
    _, exact = submit("builtin", None)
    cloud, result = submit("ibm-runtime-local", 4000)
    meta = result.primitive
    assert meta["primitive"] == "ibm-runtime-local" and meta["backend"] == "fake_manila"
    assert meta["job_id"] and meta["local"] and meta["shots"] == 4000
    assert result.counts is not None and sum(result.counts[0][0].values()) == 4000
    # its own calibration snapshot and 4000 shots: within 0.1 of the exact noisy values
    assert np.abs(result.expectations - exact.expectations).max() < 0.1
    forms = {e["form"] for e in cloud.ledger.entries()}
    assert "counts via ibm-runtime-local (job, backend fake_manila)" in forms


@pytest.mark.parametrize("execution", ["session", "batch"])
def test_session_and_batch_hold_every_job_of_the_cloud(execution: str) -> None:
    cloud = QuantumCloud(["fake_manila"], seed=0,
                         primitive=PrimitiveSettings(name="ibm-runtime-local", execution=execution))  # fmt: skip
    results = [cloud.submit(QuantumJob("victim", circuit(), VALUES[:1], OBS, shots=64,
                                       requested_device="fake_manila", seed=s))
               for s in range(2)]  # fmt: skip
    backend = cloud.backend(cloud.pool[0])
    mode = backend.runner._mode  # type: ignore[attr-defined]
    assert type(mode).__name__ == execution.capitalize()
    assert [r.primitive["execution"] for r in results] == [execution] * 2
    assert results[0].primitive["job_id"] != results[1].primitive["job_id"]
    backend.runner.close()  # type: ignore[attr-defined]


def test_sampling_primitives_refuse_exact_jobs() -> None:
    with pytest.raises(ConfigError, match="samples"):
        submit("ibm-runtime-local", None)


def small_task():
    train, test = split(load_dataset("iris", classes=[0, 1], seed=0), test_size=0.3, seed=0)
    return train.X[:12], train.y[:12], test.X[:16], test.y[:16]


@pytest.mark.parametrize("primitive", ["aer", "ibm-runtime-local"])
def test_training_and_inference_run_through_the_primitive(primitive: str) -> None:
    """One SPSA epoch on 12 samples, then 16 predictions, all as primitive jobs."""
    x, y, xt, yt = small_task()
    clf = QNNClassifier(n_qubits=2, layers=1, epochs=1, lr=0.1, batch_size=12,
                        gradient="spsa", shots=256, random_state=0)  # fmt: skip
    spec = DeploymentSpec(quantum={"device": "fake_manila", "shots": 256,
                                   "primitive": primitive, "execution": "session"})  # fmt: skip
    d = Deployment(spec, clf)
    pipe = QMLaaSPipeline(d).fit(x, y)
    accuracy = pipe.score(xt, yt)
    jobs = list(d.quantum.history)
    assert len(jobs) >= 3 and all(j.primitive["primitive"] == primitive for j in jobs)
    purposes = d.cost.summary()["by_purpose"]
    assert {"forward", "gradient", "inference"} <= set(purposes)
    assert 0.0 <= accuracy <= 1.0 and len(clf.history_) == 1
    assert d.serving_info()["primitive"] == primitive


def test_fingerprint_check_detects_a_substituted_device_through_the_runtime_path() -> None:
    """The probe runs as an IBM Runtime job; a malicious allocation hands it fake_quito.

    On this path the check predicts with the claimed backend's own simulator (the model
    the runtime's local mode executes): the genuine device stays below the threshold.
    With qmlsec's calibration model instead (``prediction="simulated"``) the genuine
    distance sat at the threshold (0.063-0.076 against 0.06).
    """
    distances, alarms = {}, {}
    for substitute in (None, "fake_quito"):
        cloud = QuantumCloud(["fake_manila"], trust="malicious", seed=0,
                             primitive=PrimitiveSettings(name="ibm-runtime-local"))  # fmt: skip
        check = FingerprintCheck(seed=0)
        hooks = [SubstituteHook(substitute)] if substitute else []
        with installed(cloud, *hooks):
            distances[substitute] = check.distance(cloud, "fake_manila", derive_seed(0, "probe"))
            alarms[substitute] = check.apply(cloud)
        job = cloud.history[-1]
        assert job.primitive["primitive"] == "ibm-runtime-local"
        assert job.device == (substitute or "fake_manila")
    assert check.prediction_for(cloud) == "backend"
    assert alarms["fake_quito"] and distances["fake_quito"] > check.params.threshold
    assert not alarms[None] and distances[None] < check.params.threshold / 2
    assert distances["fake_quito"] > 10 * distances[None]


def test_ibm_hardware_route_is_configured_from_the_backend_name() -> None:
    q = DeploymentSpec(quantum={"primitive": "ibm-runtime", "device": "ibm_brisbane"}).quantum
    assert (q.remote_backend, q.device) == ("ibm_brisbane", "fake_brisbane")
    with pytest.raises(ValueError, match="ibm_<name>"):
        DeploymentSpec(quantum={"primitive": "ibm-runtime", "device": "fake_manila"})


@pytest.mark.skipif(
    importlib.util.find_spec("qiskit_braket_provider") is not None,
    reason="qiskit-braket-provider is installed",
)
def test_braket_without_its_extra_names_the_extra() -> None:
    with pytest.raises(ConfigError, match=r"qmlsec\[braket\]"):
        submit("braket-local", 256)


def test_braket_local_simulator_samples_the_circuit() -> None:
    pytest.importorskip("qiskit_braket_provider")
    _, exact = submit("builtin", None)
    _, result = submit("braket-local", 4000)
    assert result.primitive["primitive"] == "braket-local"
    # noiseless simulator against the noisy exact values: within noise plus device error
    assert np.abs(result.expectations - exact.expectations).max() < 0.15


def test_a_primitive_runs_the_whole_circuit_under_z_readouts() -> None:
    """The classical tail is the builtin backends' own: a primitive executes the final
    CNOT too, and its plan is of that whole circuit."""
    from qiskit.quantum_info import Statevector

    cloud = QuantumCloud(["fake_manila"], seed=0, noise_scale=0.0,
                         primitive=PrimitiveSettings(name="aer"))  # fmt: skip
    z_only = (SparsePauliOp("IZ"), SparsePauliOp("ZI"), SparsePauliOp("ZZ"))
    result = cloud.submit(QuantumJob("victim", circuit(), VALUES, z_only, shots=None,
                                     requested_device="fake_manila", seed=1))  # fmt: skip
    want = [[Statevector(circuit().assign_parameters(v)).expectation_value(o).real
             for o in z_only] for v in VALUES]  # fmt: skip
    np.testing.assert_allclose(result.expectations, want, atol=1e-9)
    assert result.classical_tail is None and result.transpile.two_qubit_gates == 1
