"""The victim's circuits as the quantum provider sees them, and how their counts decode.

Provider-side attacks act on what the QMLaaS client submits: one bound circuit per
input (encoding of the pre-processed features, ansatz with the trained weights, a
measurement of every qubit), transpiled to the device. This module builds those
circuits from a fitted :class:`~qmlsec.models.classifier.QNNClassifier`, runs them on a
qiskit backend (ideal or noisy Aer) with seeded shots, and decodes counts into
``<Z_i>`` and class predictions with the model's own classical head, so that an attack
can compare accuracy with and without its tampering.

Example:
    >>> from qmlsec.testing.victims import small_victim  # doctest: +SKIP
    >>> v = VictimCircuits(small_victim().model)  # doctest: +SKIP
    >>> len(v.logical(small_victim().test.X[:3]))  # doctest: +SKIP
    3
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from qiskit import QuantumCircuit, transpile
from qiskit.providers import BackendV2

from qmlsec.config import derive_seed
from qmlsec.exceptions import ConfigError

CountsHook = Callable[[dict[str, int], int], dict[str, int]]


class VictimCircuits:
    """Bound, measured circuits of a fitted QNN classifier and their decoding.

    Args:
        model: a fitted ``QNNClassifier`` (uses ``preprocessing_``, ``model_`` and
            ``classes_``).
    """

    def __init__(self, model: Any) -> None:
        if not hasattr(model, "model_"):
            raise ConfigError(
                "the victim model is not fitted",
                hint="train it first (qmlsec train) or load a saved model",
            )
        self.model = model
        self.spec = model.model_.spec
        self.n_qubits = int(self.spec.n_qubits)

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """Circuit inputs ``x`` (B, n_circuit_inputs) for raw features ``X``."""
        feats = torch.as_tensor(self.model.preprocessing_.transform(np.asarray(X, float)))
        return self.spec.feature_map(feats.to(torch.float64)).detach().numpy()

    def weights(self) -> np.ndarray:
        """The trained circuit weights ``theta``."""
        return self.model.model_.theta.detach().numpy().copy()

    def logical(
        self, X: np.ndarray, *, theta: np.ndarray | None = None, measure: bool = True
    ) -> list[QuantumCircuit]:
        """One bound logical circuit per row of ``X`` (weights ``theta`` or the trained ones)."""
        template = self.spec.build()
        x_par = next(p for p in template.parameters if p.name.startswith("x["))
        x_vec = x_par.vector
        t_vec = next(p for p in template.parameters if p.name.startswith("theta[")).vector
        weights = self.weights() if theta is None else np.asarray(theta, float)
        out = []
        for row in self.inputs(X):
            qc = template.assign_parameters({x_vec: list(row), t_vec: list(weights)})
            if measure:
                qc.measure_all()
            out.append(qc)
        return out

    def transpiled(
        self, X: np.ndarray, backend: BackendV2, *, seed: int = 0, optimization_level: int = 1
    ) -> list[QuantumCircuit]:
        """The bound circuits transpiled for ``backend`` (what the provider receives)."""
        return list(
            transpile(
                self.logical(X),
                backend=backend,
                optimization_level=optimization_level,
                seed_transpiler=derive_seed(seed, "transpile"),
            )
        )

    def expectations(self, counts: Sequence[dict[str, int]]) -> np.ndarray:
        """``<Z_i>`` (B, n_qubits) from measured counts (clbit ``i`` is logical qubit ``i``)."""
        out = np.zeros((len(counts), self.n_qubits))
        for row, c in enumerate(counts):
            total = max(1, sum(c.values()))
            for key, n in c.items():
                bits = key.replace(" ", "")[::-1]
                for q in range(self.n_qubits):
                    out[row, q] += n * (1.0 if bits[q] == "0" else -1.0)
            out[row] /= total
        return out

    def predict_from_expectations(self, expectations: np.ndarray) -> np.ndarray:
        """Class labels from ``<Z_i>`` through the model's trained linear head."""
        obs = len(self.spec.observables())
        if obs != self.n_qubits:
            raise ConfigError("only the default Z-on-every-qubit readout is supported here")
        with torch.no_grad():
            logits = self.model.model_.head(torch.as_tensor(expectations, dtype=torch.float64))
        return self.model.classes_[logits.argmax(dim=1).numpy()]

    def run_counts(
        self,
        circuits: Sequence[QuantumCircuit],
        simulator: Any,
        *,
        shots: int,
        seed: int,
    ) -> list[dict[str, int]]:
        """Execute ``circuits`` on an Aer simulator with seeded shots; counts per circuit."""
        result = simulator.run(
            list(circuits), shots=shots, seed_simulator=derive_seed(seed, "shots")
        ).result()
        return [result.get_counts(i) for i in range(len(circuits))]

    def predict_counts(self, counts: Sequence[dict[str, int]]) -> np.ndarray:
        """Class labels from counts."""
        return self.predict_from_expectations(self.expectations(counts))


__all__ = ["CountsHook", "VictimCircuits"]
