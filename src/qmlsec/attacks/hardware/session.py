"""Run the victim's inference jobs on a device with the provider's hooks applied.

A :class:`ProviderSession` is the execution path of provider-level attacks: the victim's
bound circuits are transpiled for the allocated device, each passes the installed
``alter_circuit`` hooks, runs on Aer (ideal or with the device's calibration noise and
any noise contributors), and its counts pass the ``alter_counts`` hooks. The hooks are
the same callables an attack installs on a ``QuantumCloud``; the session is the local
equivalent used when no cloud handle is given.

Example:
    >>> s = ProviderSession(device="fake_manila", noisy=False)
    >>> s.add_circuit_hook(lambda qc: qc)
    >>> len(s.circuit_hooks)
    1
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from qiskit import QuantumCircuit
from qiskit_aer import AerSimulator

from qmlsec.attacks.hardware.victim import VictimCircuits
from qmlsec.cloud.devices import get_device
from qmlsec.config import derive_seed

CircuitHook = Callable[[QuantumCircuit], QuantumCircuit]
CountsHook = Callable[[dict[str, int]], dict[str, int]]


class ProviderSession:
    """A device allocation plus installed hooks.

    Args:
        device: device name of :mod:`qmlsec.cloud.devices`.
        noisy: run with the device's calibration noise (scaled by ``noise_scale``).
        noise_scale: multiplies every calibrated error (see ``qmlsec.cloud.noise``).
        contributors: extra noise contributors (e.g. a crosstalk model).
        co_jobs: jobs co-scheduled beside the victim's (``CoJob``).
    """

    def __init__(
        self,
        device: str = "fake_manila",
        *,
        noisy: bool = False,
        noise_scale: float = 1.0,
        contributors: Sequence[Any] = (),
        co_jobs: Sequence[Any] = (),
    ) -> None:
        self.device = device
        self.noisy = noisy
        self.noise_scale = noise_scale
        self.contributors = list(contributors)
        self.co_jobs = list(co_jobs)
        self.circuit_hooks: list[CircuitHook] = []
        self.counts_hooks: list[CountsHook] = []

    def add_circuit_hook(self, hook: CircuitHook) -> None:
        """Alter every circuit after transpilation, before execution."""
        self.circuit_hooks.append(hook)

    def add_counts_hook(self, hook: CountsHook) -> None:
        """Alter every result's counts before they are returned."""
        self.counts_hooks.append(hook)

    @property
    def backend(self) -> Any:
        return get_device(self.device).backend

    def _simulator(self, circuits: Sequence[QuantumCircuit]) -> tuple[AerSimulator, list[int]]:
        """An Aer simulator over the qubits the circuits use (renumbered compactly)."""
        used = sorted(
            {c.find_bit(q).index for c in circuits for inst in c.data for q in inst.qubits}
        )
        if not self.noisy and not self.contributors:
            return AerSimulator(), used
        from qmlsec.cloud.noise import NoiseContext, device_noise

        noise = device_noise(get_device(self.device), self.noise_scale if self.noisy else 0.0)
        extra = []
        for contributor in self.contributors:
            ctx = NoiseContext(
                device=self.device,
                circuit=circuits[0],
                layout=tuple(used),
                active=tuple(used),
                co_jobs=tuple(self.co_jobs),
            )
            extra.extend(contributor.terms(ctx))
        model = noise.noise_model(used, extra=extra)
        return AerSimulator(noise_model=model), used

    def execute(
        self, circuits: Sequence[QuantumCircuit], *, shots: int, seed: int
    ) -> list[dict[str, int]]:
        """Apply the circuit hooks, run with seeded shots, apply the counts hooks."""
        altered = list(circuits)
        for hook in self.circuit_hooks:
            altered = [hook(c) for c in altered]
        simulator, used = self._simulator(altered)
        compact = [_compact(c, used) for c in altered]
        result = simulator.run(
            compact, shots=shots, seed_simulator=derive_seed(seed, "shots")
        ).result()
        counts = [dict(result.get_counts(i)) for i in range(len(compact))]
        for hook in self.counts_hooks:
            counts = [hook(c) for c in counts]
        return counts

    def accuracy(
        self,
        victim: VictimCircuits,
        X: np.ndarray,
        y: np.ndarray,
        *,
        shots: int,
        seed: int,
        transpile_seed: int = 0,
    ) -> tuple[float, np.ndarray]:
        """Accuracy of the victim on ``(X, y)`` run through this session, and predictions."""
        circuits = victim.transpiled(X, self.backend, seed=transpile_seed)
        pred = victim.predict_counts(self.execute(circuits, shots=shots, seed=seed))
        return float(np.mean(pred == np.asarray(y))), pred


def _compact(circuit: QuantumCircuit, used: list[int]) -> QuantumCircuit:
    """The circuit on ``len(used)`` qubits, physical qubit ``used[i]`` becoming ``i``."""
    index = {q: i for i, q in enumerate(used)}
    out = QuantumCircuit(len(used), circuit.num_clbits, name=circuit.name)
    for inst in circuit.data:
        qubits = [index[circuit.find_bit(q).index] for q in inst.qubits]
        clbits = [circuit.find_bit(c).index for c in inst.clbits]
        out.append(inst.operation, qubits, clbits)
    return out


__all__ = ["CircuitHook", "CountsHook", "ProviderSession"]
