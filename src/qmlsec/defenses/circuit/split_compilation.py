"""Split compilation: two providers each compile, and see, only part of the circuit.

Mitigation QML.M0008 (circuit obfuscation), after the split-compilation idea of Saki,
Topaloglu, Ghosh ("Split Compilation for Security of Quantum Circuits", ICCAD 2021)
as listed under QML.M0008: the circuit is cut into a head (the first ``cut`` share of its
instructions, in order) and a tail; provider A compiles the head, provider B compiles
the tail starting from A's final layout, and the user recombines the two compiled parts
on the physical qubits. Neither provider holds the whole circuit; the recombined circuit
is exactly the original up to the compiler's final layout (state fidelity 1).

Measured against ``recon.encoding_inference``: the attack's classifiers, trained on the
providers' clean reference corpus of whole circuits, score the head jobs (provider A
alone) and the tail jobs (provider B alone); the headline is the better of the two.
Cost: depth overhead of the recombined circuit over compiling it whole, and two
compilations (two providers).

Not covered: collusion of the two providers, an attacker retrained on half circuits,
measurement placement (measurements are removed before the cut and re-added by the
user), and optimisation across the cut (none is possible by construction).

Example:
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(2); _ = qc.h(0); _ = qc.cx(0, 1)
    >>> head, tail = SplitCompilation().split(qc)
    >>> len(head.data), len(tail.data)
    (1, 1)
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit, transpile
from sklearn.ensemble import RandomForestClassifier

from qmlsec.attacks.recon.encoding_inference import LABELS
from qmlsec.attacks.recon.observed import bind, circuit_features
from qmlsec.attacks.setup import AttackSetup
from qmlsec.cloud.devices import get_device
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.circuit.base import CircuitDefense
from qmlsec.stats import proportion


class SplitCompilationParams(FrozenModel):
    """Parameters of :class:`SplitCompilation`."""

    cut: float = Field(0.5, gt=0, lt=1)
    """Share of the instructions compiled by the first provider."""


class SplitCompilation(CircuitDefense):
    """Cut the circuit in two, compile each part on another provider, recombine."""

    name: ClassVar[str] = "circuit.split_compilation"
    mitigation_id: ClassVar[str] = "QML.M0008"
    counters: ClassVar[tuple[str, ...]] = ("recon.encoding_inference",)
    Params = SplitCompilationParams

    def split(self, circuit: QuantumCircuit) -> tuple[QuantumCircuit, QuantumCircuit]:
        """Head and tail of ``circuit`` without final measurements (new circuits)."""
        body = circuit.remove_final_measurements(inplace=False)
        k = max(1, int(round(self.params.cut * len(body.data))))
        head, tail = body.copy_empty_like(), body.copy_empty_like()
        for i, inst in enumerate(body.data):
            (head if i < k else tail).append(inst)
        return head, tail

    def transform(self, circuit: QuantumCircuit) -> tuple[QuantumCircuit, QuantumCircuit]:
        """The two parts handed to the two providers."""
        return self.split(circuit)

    def compile(self, circuit: QuantumCircuit, backend: Any, *, seed: int) -> tuple[Any, Any]:
        """Provider A compiles the head, provider B the tail from A's final layout."""
        head, tail = self.split(circuit)
        a = transpile(head, backend, optimization_level=1,
                      seed_transpiler=derive_seed(seed, "provider_a"))  # fmt: skip
        start = a.layout.final_index_layout() if a.layout is not None else None
        b = transpile(tail, backend, optimization_level=1, initial_layout=start,
                      seed_transpiler=derive_seed(seed, "provider_b"))  # fmt: skip
        return a, b

    @staticmethod
    def recombine(a: QuantumCircuit, b: QuantumCircuit) -> QuantumCircuit:
        """The user's circuit: compiled head then compiled tail on the physical qubits."""
        out = a.compose(b)
        out._layout = b.layout  # noqa: SLF001  (tail's final layout is the circuit's)
        return out

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """The attack's identification scored on what each provider alone sees."""
        attack: Any = setup.attack_cls(setup.target, dict(setup.params), seed=seed)
        p, start = attack.params, time.perf_counter()
        backend = get_device(p.device).backend
        train = attack.random_specs(p.n_train, "train")
        f_train = attack._features(train, "train")  # noqa: SLF001  (the provider's corpus)
        test = attack.random_specs(p.n_test, "test")
        rows: dict[str, list[np.ndarray]] = {"a": [], "b": []}
        overheads = []
        for i, spec in enumerate(test):
            s = derive_seed(seed, "test", i)
            gen = rng(s, "jobs")
            theta = gen.uniform(0, 2 * np.pi, spec.n_weights)
            qc = spec.build()
            a, b = self.compile(qc, backend, seed=s)
            xs = gen.uniform(0, np.pi, (p.n_jobs, spec.n_circuit_inputs))
            jobs = {"a": [bind(a, x, theta) for x in xs], "b": [bind(b, x, theta) for x in xs]}
            whole = transpile(qc, backend, optimization_level=1, seed_transpiler=s)
            overheads.append(self.recombine(a, b).depth() / max(1, whole.depth()) - 1)
            for k in rows:
                rows[k].append(circuit_features(jobs[k]))
        result = attack.new_result()
        for who, feats in rows.items():
            hits = []
            for label in LABELS:
                clf = RandomForestClassifier(n_estimators=100,
                                             random_state=derive_seed(seed, label) % 2**31)  # fmt: skip
                pred = clf.fit(f_train, [getattr(t, label) for t in train]).predict(np.stack(feats))
                hits.append(pred == np.array([getattr(t, label) for t in test]))
                result.metrics[f"provider_{who}_{label}_accuracy"] = float(hits[-1].mean())
        for label in LABELS:
            result.metrics[f"{label}_accuracy"] = max(
                result.metrics[f"provider_{w}_{label}_accuracy"] for w in rows
            )
        result.intervals = {k: proportion(v, len(test)) for k, v in result.metrics.items()}
        result.notes.append(f"{self.name}: each provider compiled one part")
        return result, DefenseCost(depth_overhead=float(np.mean(overheads)),
                                   seconds=time.perf_counter() - start,
                                   extra={"compilations": 2.0})  # fmt: skip
