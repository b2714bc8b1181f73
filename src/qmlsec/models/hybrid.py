"""``HybridQNN``: encoder -> PQC -> <Z_i> -> Linear, as in Fig. 1 of the QMLaaS SoK.

The quantum layer is a compiled circuit (:func:`qmlsec.engine.compile_circuit`). How its
gradient is obtained is one switch, ``gradient=``:

- ``backprop``: exact autograd through the engine (ideal simulation only);
- ``parameter-shift``, ``spsa``, ``finite-diff``: the rule runs the shifted circuits
  through an *executor*, which is the local engine by default (exact or sampled shots).
  Whoever runs the circuits elsewhere (the QMLaaS workflow's quantum cloud) passes its
  executor, and optionally another gradient method, to :meth:`HybridQNN.forward`; the
  model keeps neither.

Example:
    >>> import torch
    >>> from qmlsec.circuits import QNNSpec
    >>> net = HybridQNN(QNNSpec(n_qubits=2, layers=1), n_classes=2, seed=0)
    >>> net(torch.zeros(3, 2, dtype=torch.float64)).shape
    torch.Size([3, 2])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from qmlsec.circuits import QNNSpec
from qmlsec.config import derive_seed, torch_generator
from qmlsec.engine import compile_circuit
from qmlsec.exceptions import ConfigError
from qmlsec.gradients import GradientMethod, get_gradient

Executor = Callable[[torch.Tensor], torch.Tensor]
HEADS = ("linear", "none")


class ExpectationHead(torch.nn.Module):
    """No trainable head: the readout expectations themselves are the class scores.

    With one observable and two classes the logits are ``scale·(⟨O⟩, −⟨O⟩)``, so the
    prediction is class 0 when ``⟨O⟩ > 0`` and class 1 when ``⟨O⟩ < 0`` (the sign of
    ``⟨Z₀⟩`` as the label, as in Farhi & Neven, arXiv:1802.06002, and Schuld et al.,
    PRA 101, 032308); with one observable per class the logits are
    ``scale·⟨O_c⟩`` (the class with the largest expectation wins). ``scale`` is a fixed
    softmax temperature for the cross-entropy, not a parameter.
    """

    def __init__(self, n_observables: int, n_classes: int, scale: float = 1.0) -> None:
        super().__init__()
        if not (n_observables == n_classes or (n_observables == 1 and n_classes == 2)):
            raise ConfigError(
                f"head='none' needs one readout observable per class or one observable for "
                f"two classes, got {n_observables} observables for {n_classes} classes",
                hint="set readout to as many Pauli strings as classes, or use head='linear'",
            )
        self.in_features, self.out_features, self.scale = n_observables, n_classes, scale

    def forward(self, expectations: torch.Tensor) -> torch.Tensor:
        if self.in_features == 1 and self.out_features == 2:
            expectations = torch.cat([expectations, -expectations], dim=1)
        return self.scale * expectations


class HybridQNN(torch.nn.Module):
    """Hybrid quantum-classical network.

    Args:
        spec: the circuit spec (encoding, ansatz, layers, readout).
        n_classes: outputs of the head (classes).
        head: ``linear`` (a trainable ``Linear(n_observables, n_classes)``, default) or
            ``none`` (:class:`ExpectationHead`: the expectations are the class scores).
        head_scale: the fixed logit scale of ``head="none"``.
        gradient: ``backprop``, ``parameter-shift``, ``spsa`` or ``finite-diff``.
        shots: ``None`` for exact expectations, else shots per circuit (local engine).
        seed: initial weights and shot sampling derive from it.
    """

    def __init__(
        self,
        spec: QNNSpec,
        n_classes: int,
        *,
        gradient: str = "backprop",
        shots: int | None = None,
        seed: int = 0,
        head: str = "linear",
        head_scale: float = 1.0,
    ) -> None:
        super().__init__()
        if n_classes < 2:
            raise ConfigError(f"n_classes must be >= 2, got {n_classes}")
        if head not in HEADS:
            raise ConfigError(f"unknown head {head!r}", hint="use 'linear' or 'none'")
        if not head_scale > 0:
            raise ConfigError(f"head_scale must be > 0, got {head_scale}")
        if shots is not None and shots < 1:
            raise ConfigError(f"shots must be >= 1 or None, got {shots}")
        if gradient == "backprop" and shots is not None:
            raise ConfigError(
                "gradient='backprop' needs exact local simulation",
                hint="use gradient='parameter-shift' or 'spsa' with shots or a cloud executor",
            )
        self.spec = spec
        self.circuit = spec.build()
        self.compiled = compile_circuit(self.circuit, spec.observables())
        options = {"seed": derive_seed(seed, "spsa")} if gradient == "spsa" else {}
        self.gradient_method = get_gradient(gradient, **options)
        self.shots = shots
        self.seed = seed
        self._shot_gen = torch_generator(seed, "shots")
        init = torch_generator(seed, "weights")
        theta = torch.rand(spec.n_weights, generator=init, dtype=torch.float64) * 2 * torch.pi
        self.theta = torch.nn.Parameter(theta)
        self.head_kind, self.head_scale = head, float(head_scale)
        self.head: torch.nn.Module
        if head == "none":
            self.head = ExpectationHead(len(spec.observables()), n_classes, self.head_scale)
            return
        self.head = torch.nn.Linear(len(spec.observables()), n_classes).double()
        with torch.no_grad():
            bound = 1.0 / max(1, len(spec.observables())) ** 0.5
            self.head.weight.uniform_(-bound, bound, generator=init)
            self.head.bias.zero_()

    @property
    def gradient(self) -> str:
        return str(self.gradient_method.name)

    def local_executor(self, angles: torch.Tensor) -> torch.Tensor:
        """Run the circuit on the local engine: exact, or sampled with ``shots``."""
        if self.shots is None:
            return self.compiled.expectations_from_angles(angles)
        return self.compiled.sample_expectations_from_angles(angles, self.shots, self._shot_gen)

    def quantum_features(
        self,
        features: torch.Tensor,
        *,
        executor: Executor | None = None,
        gradient: GradientMethod | None = None,
    ) -> torch.Tensor:
        """The readout expectation values ``(B, n_observables)`` for encoded ``features``.

        Args:
            features: pre-processed features ``(B, n_inputs)``.
            executor: runs the circuits (forward and, through its ``shifted`` executor
                when it has one, the gradient circuits); default the local engine.
            gradient: the gradient method to differentiate with (default the model's).
        """
        x = self.spec.feature_map(features)
        if executor is None and self.shots is not None:
            executor = self.local_executor
        method = gradient or self.gradient_method
        if method.name == "backprop" and executor is not None:
            raise ConfigError(
                "backprop gradients need the state vector, which a circuit executor never returns",
                hint="train with gradient='parameter-shift' or 'spsa' on a device",
            )
        return method.expectations(self.compiled, x, self.theta, executor)

    def forward(
        self,
        features: torch.Tensor,
        *,
        executor: Executor | None = None,
        gradient: GradientMethod | None = None,
    ) -> torch.Tensor:
        return self.head(self.quantum_features(features, executor=executor, gradient=gradient))

    def circuit_executions(self, batch_size: int, *, with_gradient: bool = True) -> int:
        """Circuit executions one forward (+ backward) pass costs on hardware."""
        if not with_gradient:
            return batch_size * self.compiled.measurement.n_circuits
        return int(self.gradient_method.executions(self.compiled, batch_size))

    def reseed(self, seed: int) -> None:
        """Restart the shot-sampling stream (for reproducible inference)."""
        self._shot_gen = torch_generator(derive_seed(seed, "shots"))

    def describe(self) -> dict[str, Any]:
        return {
            "spec": self.spec.model_dump(mode="json"),
            "gradient": self.gradient,
            "shots": self.shots,
            "head": self.head_kind,
            "head_scale": self.head_scale,
        }
