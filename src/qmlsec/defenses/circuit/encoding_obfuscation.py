"""Encoding obfuscation: a transient random layer and its inverse hide the encoding.

Mitigation QML.M0008, after "Quantum Quandaries: Unraveling Encoding Vulnerabilities in
Quantum Neural Networks" (arXiv:2502.01486): an attacker holding the transpiled jobs
identifies the data encoding (95% there); a transient obfuscation layer of random
rotations and entanglement, compensated so the function is unchanged, brings detection
down (to 42% there, at 8.5% depth overhead). Here ``transform`` prepends a random layer
``L`` (per-qubit ``RY``/``RZ`` with secret constant angles and a CX chain), a barrier,
``L^-1`` and a barrier to the circuit; the barriers keep the compiler from cancelling
the pair, so the provider's job carries extra constant rotations and CNOTs ahead of the
data while the state it prepares is exactly the original's.

Measured against ``recon.encoding_inference``: the attack's classifiers are trained on
the provider's clean reference corpus and scored on obfuscated test jobs
(``encoding_accuracy`` and the other identification accuracies); cost: transpiled depth
overhead of the obfuscated jobs.

Not covered: an attacker who retrains its classifiers on obfuscated circuits, who
strips barrier-delimited inverse pairs, and the paper's placement of the layer inside
the encoding block.

Example:
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(2); _ = qc.h(0)
    >>> EncodingObfuscation(seed=1).transform(qc).num_qubits
    2
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit, transpile
from sklearn.ensemble import RandomForestClassifier

from qmlsec.attacks.recon.encoding_inference import LABELS
from qmlsec.attacks.recon.observed import bind, circuit_features, template
from qmlsec.attacks.setup import AttackSetup
from qmlsec.cloud.devices import get_device
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.circuit.base import CircuitDefense
from qmlsec.stats import proportion


class EncodingObfuscationParams(FrozenModel):
    """Parameters of :class:`EncodingObfuscation`."""

    reps: int = Field(1, ge=1)
    """Rotation + entanglement layers in ``L``."""


class EncodingObfuscation(CircuitDefense):
    """Prepend ``L``, ``L^-1`` (barrier-separated) to the circuit before compilation."""

    name: ClassVar[str] = "circuit.encoding_obfuscation"
    mitigation_id: ClassVar[str] = "QML.M0008"
    counters: ClassVar[tuple[str, ...]] = ("recon.encoding_inference",)
    Params = EncodingObfuscationParams

    def layer(self, n: int, stream: str) -> QuantumCircuit:
        """The secret layer ``L`` on ``n`` qubits."""
        gen = rng(self.seed, "encoding_obfuscation", stream, n)
        qc = QuantumCircuit(n, name="L")
        for _ in range(self.params.reps):
            for q in range(n):
                qc.ry(float(gen.uniform(0, 2 * np.pi)), q)
                qc.rz(float(gen.uniform(0, 2 * np.pi)), q)
            for q in range(n - 1):
                qc.cx(q, q + 1)
        return qc

    def transform(self, circuit: QuantumCircuit, stream: str = "") -> QuantumCircuit:
        """``L``, barrier, ``L^-1``, barrier, then ``circuit`` (a new circuit)."""
        n = circuit.num_qubits
        lay = self.layer(n, stream or circuit.name)
        out = QuantumCircuit(*circuit.qregs, *circuit.cregs, name=f"{circuit.name}_obf")
        out.compose(lay, range(n), inplace=True)
        out.barrier()
        out.compose(lay.inverse(), range(n), inplace=True)
        out.barrier()
        out.compose(circuit, inplace=True)
        return out

    def jobs(self, spec: Any, *, n_jobs: int, device: str, seed: int) -> tuple[list, list]:
        """Clean and obfuscated bound jobs of ``spec`` as the provider transpiles them."""
        gen = rng(seed, "jobs")
        theta = gen.uniform(0, 2 * np.pi, spec.n_weights)
        xs = gen.uniform(0, np.pi, (n_jobs, spec.n_circuit_inputs))
        clean = template(spec, device, seed)
        qc = self.transform(spec.build(), stream=str(seed))
        qc.measure_all()
        obf = transpile(qc, get_device(device).backend, optimization_level=1,
                        seed_transpiler=derive_seed(seed, "transpile"))  # fmt: skip
        return [bind(clean, x, theta) for x in xs], [bind(obf, x, theta) for x in xs]

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """The attack's identification scored on obfuscated test jobs."""
        attack: Any = setup.attack_cls(setup.target, dict(setup.params), seed=seed)
        p, start = attack.params, time.perf_counter()
        train = attack.random_specs(p.n_train, "train")
        f_train = attack._features(train, "train")  # noqa: SLF001  (the provider's corpus)
        test = attack.random_specs(p.n_test, "test")
        rows, overheads = [], []
        for i, spec in enumerate(test):
            clean, obf = self.jobs(spec, n_jobs=p.n_jobs, device=p.device,
                                   seed=derive_seed(seed, "test", i))  # fmt: skip
            rows.append(circuit_features(obf))
            overheads.append(obf[0].depth() / max(1, clean[0].depth()) - 1)
        result = attack.new_result()
        hits = []
        for label in LABELS:
            clf = RandomForestClassifier(n_estimators=100,
                                         random_state=derive_seed(seed, label) % 2**31)  # fmt: skip
            pred = clf.fit(f_train, [getattr(s, label) for s in train]).predict(np.stack(rows))
            hits.append(pred == np.array([getattr(s, label) for s in test]))
            result.metrics[f"{label}_accuracy"] = float(hits[-1].mean())
        result.metrics["joint_accuracy"] = float(np.mean(np.all(hits, axis=0)))
        result.intervals = {k: proportion(v, len(test)) for k, v in result.metrics.items()}
        result.notes.append(f"{self.name}: test jobs obfuscated by a transient layer")
        return result, DefenseCost(depth_overhead=float(np.mean(overheads)),
                                   seconds=time.perf_counter() - start)  # fmt: skip
