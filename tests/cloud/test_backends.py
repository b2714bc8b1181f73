from __future__ import annotations

import numpy as np
import pytest
from qiskit.quantum_info import SparsePauliOp, Statevector

from qmlsec.cloud.backends import AerBackend, Backend, DeviceBackend, make_backend
from qmlsec.exceptions import BackendError, ConfigError

from .qnn_circuits import qnn, z_observables

MIXED = [SparsePauliOp.from_list([("XXI", 0.5), ("IYZ", -0.25)]), SparsePauliOp("ZIX")]


def _reference(circuit, values, observables) -> np.ndarray:
    return np.array(
        [
            [
                Statevector(circuit.assign_parameters(v)).expectation_value(o).real
                for o in observables
            ]
            for v in values
        ]
    )


@pytest.mark.parametrize("device", [None, "fake_manila", "generic_line_5"])
def test_exact_expectations_match_statevector(circuit3, values3, device) -> None:
    obs = z_observables(3) + MIXED
    backend = AerBackend(device=device, method="statevector")
    got = backend.expectations(circuit3, values3, obs)
    np.testing.assert_allclose(got, _reference(circuit3, values3, obs), atol=1e-9)


def test_shot_expectations_converge_to_exact(circuit3, values3) -> None:
    obs = z_observables(3) + MIXED
    got = AerBackend(device="fake_jakarta").expectations(circuit3, values3, obs, shots=8000, seed=5)
    # standard error <= 1/sqrt(8000) ~ 0.011 per Pauli term; 5 sigma with two terms
    np.testing.assert_allclose(got, _reference(circuit3, values3, obs), atol=0.09)


def test_one_simulator_call_per_batch(circuit3) -> None:
    backend = DeviceBackend("fake_manila")
    values = np.random.default_rng(0).uniform(-1, 1, (40, circuit3.num_parameters))
    backend.expectations(circuit3, values, z_observables(3), shots=64, seed=0)
    assert backend.stats.executor_calls == 1 and backend.stats.circuits == 40
    backend.expectations(circuit3, values, z_observables(3) + MIXED, shots=64, seed=0)
    assert backend.stats.executor_calls == 2  # four measurement bases, still one call
    assert backend.stats.circuits == 40 + 4 * 40
    # the Z-only job ran the circuit without its final CNOTs (run on the bits), the mixed
    # one the whole circuit: two transpilations; the layout search transpiles each job's
    # circuit once and measures every basis on it
    assert (backend.cache.misses, backend.cache.hits) == (2, 0)
    backend.expectations(circuit3, values[:3], z_observables(3), shots=64, seed=9)
    assert backend.cache.hits == 1  # new batch, new seed: transpilation reused


def test_noisy_differs_from_ideal_beyond_shot_noise(circuit3, values3) -> None:
    shots = 4000
    obs = z_observables(3)
    noisy = DeviceBackend("fake_manila").expectations(circuit3, values3, obs, shots=shots, seed=1)
    ideal = _reference(circuit3, values3, obs)
    # under the null (no noise) each difference is ~N(0, (1 - <Z>^2) / shots)
    z = (noisy - ideal) / np.sqrt(np.maximum(1 - ideal**2, 1e-3) / shots)
    chi2 = float((z**2).sum())
    assert chi2 > 3 * z.size  # chi2 with 18 dof: p(chi2 > 54) < 1e-5 under the null


def test_same_seed_same_outputs_different_seed_different(circuit3, values3) -> None:
    obs = z_observables(3)
    a = DeviceBackend("fake_manila", seed=2).expectations(circuit3, values3, obs, shots=256, seed=3)
    b = DeviceBackend("fake_manila", seed=2).expectations(circuit3, values3, obs, shots=256, seed=3)
    c = DeviceBackend("fake_manila", seed=2).expectations(circuit3, values3, obs, shots=256, seed=4)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_counts_and_probabilities_are_logical(circuit3, values3) -> None:
    backend = AerBackend(device="fake_jakarta")
    exact = backend.probabilities(circuit3, values3)
    ref = np.array([Statevector(circuit3.assign_parameters(v)).probabilities() for v in values3])
    np.testing.assert_allclose(exact, ref, atol=1e-9)
    counts = backend.counts(circuit3, values3[:2], shots=500, seed=0)
    assert len(counts) == 2 and all(
        sum(c.values()) == 500 and all(len(k) == 3 for k in c) for c in counts
    )
    freq = backend.probabilities(circuit3, values3[:2], shots=20000, seed=0)
    np.testing.assert_allclose(freq, ref[:2], atol=0.03)


def test_exact_noisy_needs_density_matrix(circuit3, values3) -> None:
    with pytest.raises(BackendError):
        DeviceBackend("fake_manila", method="statevector").expectations(
            circuit3, values3, z_observables(3)
        )
    result = DeviceBackend("fake_manila").run(circuit3, values3, z_observables(3))
    assert result.method == "density_matrix" and result.shots is None


def test_bad_inputs_raise_config_error(circuit3) -> None:
    backend = AerBackend()
    with pytest.raises(ConfigError):
        backend.expectations(circuit3, np.zeros((2, 3)), z_observables(3))
    with pytest.raises(ConfigError):
        backend.expectations(
            circuit3, np.zeros((2, circuit3.num_parameters)), z_observables(3), shots=0
        )
    with pytest.raises(ConfigError):
        backend.expectations(
            circuit3, np.zeros((1, circuit3.num_parameters)), [SparsePauliOp("ZZ")]
        )
    with pytest.raises(ConfigError):
        AerBackend(method="mps")  # type: ignore[arg-type]


def test_properties_and_protocol() -> None:
    backend = make_backend("fake_manila", noise_scale=0.5)
    assert isinstance(backend, Backend) and isinstance(AerBackend(), Backend)
    props = backend.properties
    assert (props.device, props.num_qubits, props.noise["scale"]) == ("fake_manila", 5, 0.5)
    assert "cx" in props.basis_gates and props.to_dict()["num_edges"] == 8


def test_run_reports_transpilation_and_bases(circuit3, values3) -> None:
    result = DeviceBackend("fake_manila", noise_scale=0.0).run(
        qnn(3), values3, z_observables(3) + MIXED, shots=100, seed=0
    )
    assert result.bases == ("ZZZ", "XXZ", "ZYZ", "ZZX")
    assert result.circuits == 4 * len(values3)
    assert result.transpile.device == "fake_manila" and len(result.transpile.final_layout) == 3
    assert result.counts is not None and len(result.counts) == 4
    assert all(sum(c.values()) == 100 for group in result.counts for c in group)


@pytest.mark.slow
def test_big_device_noisy_batch_is_one_call_and_noisy() -> None:
    qc = qnn(8, layers=3)
    values = np.random.default_rng(1).uniform(-np.pi, np.pi, (4, qc.num_parameters))
    obs = z_observables(8)
    backend = DeviceBackend("fake_brisbane", optimization_level=0)
    noisy = backend.expectations(qc, values, obs, shots=2048, seed=0)
    assert backend.stats.executor_calls == 1
    assert len(backend.transpile(qc).report.active_qubits) == 8
    ideal = _reference(qc, values, obs)
    assert np.abs(noisy).mean() < np.abs(ideal).mean()  # decoherence shrinks <Z_i>


def test_wide_noisy_shot_runs_repeat_exactly_for_a_seed() -> None:
    # 8 active qubits and 64 shots: the statevector method with sampled noise
    qc = qnn(8, layers=1)
    values = np.random.default_rng(2).uniform(-np.pi, np.pi, (3, qc.num_parameters))
    runs = [
        DeviceBackend("fake_guadalupe", seed=4).counts(qc, values, shots=64, seed=9)
        for _ in range(3)
    ]
    assert runs[0] == runs[1] == runs[2]


@pytest.mark.parametrize("device", ["fake_guadalupe", "fake_brisbane"])
def test_every_measurement_basis_runs_where_the_layout_search_placed_the_job(device) -> None:
    """The auto strategy decides once per job: measured variants add no ancilla qubits.

    Transpiled one by one, the measured variants of this 8-qubit QNN on fake_brisbane
    were placed elsewhere, two of them through four ancilla qubits (12 active)."""
    circuit = qnn(8, 3)
    values = np.random.default_rng(3).uniform(-1, 1, (4, circuit.num_parameters))
    obs = [SparsePauliOp("XXIIIIII"), SparsePauliOp("YIIIIIIZ"), SparsePauliOp("ZIIIIIZZ")]
    backend = DeviceBackend(device, noise_scale=0.0)
    body = backend.transpile(circuit).report
    planned = backend.plan(circuit, obs, shots=100)
    assert len(planned) == 3
    for tc in planned:
        assert tc.report.final_layout == body.final_layout
        assert tc.report.active_qubits == body.active_qubits
        assert tc.report.two_qubit_gates == body.two_qubit_gates
    got = backend.expectations(circuit, values, obs, shots=20000, seed=2)
    # noiseless: shot noise only (standard error <= 0.0071 per term)
    np.testing.assert_allclose(got, _reference(circuit, values, obs), atol=0.04)


def test_a_noise_model_is_serialised_once_with_the_same_counts(circuit3, values3, monkeypatch):
    """Aer serialises the noise model on every run; the backend hands it the form computed
    once per model, and the counts are those of a plain ``AerSimulator`` with the model."""
    from qiskit_aer import AerSimulator
    from qiskit_aer.noise import NoiseModel

    from qmlsec.cloud.backends.aer import _Serialized

    monkeypatch.setattr(_Serialized, "_forms", {})  # earlier tests share the device's model
    calls: list[int] = []
    original = NoiseModel.to_dict
    monkeypatch.setattr(
        NoiseModel,
        "to_dict",
        lambda self, *a, **k: calls.append(id(self)) or original(self, *a, **k),
    )
    backend = DeviceBackend("fake_manila", seed=2)
    obs = z_observables(3)
    runs = [backend.run(circuit3, values3, obs, shots=256, seed=s) for s in range(3)]
    assert len(calls) == 1  # three noisy runs, one serialisation
    tcs = backend.plan(circuit3, obs, 256)
    circuits, active = backend._compacted(tcs)
    model = backend._noise_model(tcs[0], active, ())
    assert model is not None and calls == [id(model)]
    plain = backend._execute(circuits, circuit3, values3, 256, 1, tcs[0], active, ())
    sim = AerSimulator(
        method="density_matrix", noise_model=model, runtime_parameter_bind_enable=True
    )
    column = {p.name: j for j, p in enumerate(circuit3.parameters)}
    binds = [{p: values3[:, column[p.name]].tolist() for p in c.parameters} for c in circuits]
    seed = plain.results[0].seed_simulator
    reference = sim.run(circuits, parameter_binds=binds, shots=256, seed_simulator=seed).result()
    assert [r.data.counts for r in plain.results] == [r.data.counts for r in reference.results]
    assert runs[0].expectations.shape == (len(values3), 3)


def test_a_callers_noise_model_changed_between_runs_is_honoured(circuit3, values3):
    """Only models qmlsec builds keep their serialised form: a caller's own NoiseModel
    is serialised on every run, so an error added between runs takes effect."""
    from qiskit_aer.noise import NoiseModel, depolarizing_error

    model = NoiseModel()
    backend = AerBackend(noise=model, device="fake_manila", seed=2)
    obs = z_observables(3)
    before = backend.expectations(circuit3, values3, obs, seed=1)
    model.add_all_qubit_quantum_error(depolarizing_error(0.5, 1), ["sx", "x"])
    after = backend.expectations(circuit3, values3, obs, seed=1)
    assert np.abs(after).mean() < 0.8 * np.abs(before).mean()  # depolarised towards 0
