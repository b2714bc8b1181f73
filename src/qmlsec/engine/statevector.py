"""The compiled circuit: a batched, differentiable torch function of (x, theta).

Example:
    >>> import torch
    >>> from qmlsec.circuits import QNNSpec
    >>> from qmlsec.engine import compile_circuit
    >>> spec = QNNSpec(n_qubits=2, layers=1)
    >>> cc = compile_circuit(spec.build(), spec.observables())
    >>> x = torch.zeros(3, 2, dtype=torch.float64)
    >>> theta = torch.zeros(cc.n_weights, dtype=torch.float64)
    >>> cc.expectations(x, theta).shape, cc.n_angles
    (torch.Size([3, 2]), 6)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
import torch
from qiskit import QuantumCircuit
from qiskit.circuit import ParameterVector
from qiskit.quantum_info import SparsePauliOp

from qmlsec.engine.adjoint import evolve, read_out
from qmlsec.engine.gates import KERNELS, ShiftRule
from qmlsec.engine.lowering import Lowered, gate_class
from qmlsec.engine.observables import PauliTable
from qmlsec.engine.plan import Plan
from qmlsec.engine.sampling import MeasurementPlan
from qmlsec.exceptions import ConfigError

Backward = Literal["auto", "autograd", "stored", "adjoint"]
_MIN_BLOCK_COLUMNS = 16
Executor = Callable[[torch.Tensor], torch.Tensor]


class CompiledCircuit:
    """A circuit compiled by :func:`~qmlsec.engine.compile_circuit`.

    Attributes:
        n_qubits, n_inputs, n_weights, n_angles, n_observables: sizes.
        observables: the readout observables.
        shift_rules: ``shift_rules[g]`` = ``((coefficient, shift), ...)`` with
            ``d f / d a_g = sum coefficient * f(a_g + shift)`` for any expectation ``f``
            (empty for global-phase angles, which no expectation depends on).
        a_x, a_theta, offset: the linear angle map ``a = x a_x^T + theta a_theta^T + offset``.
        input_dependent, weight_dependent: (G,) bool masks of the angles.
        backward: ``auto`` (``adjoint`` when keeping every step's input state would take
            more than ``adjoint_threshold_mb`` MiB or the batch spans more than one
            block, else ``stored``), ``autograd``,
            ``stored`` or ``adjoint`` (see :mod:`qmlsec.engine.adjoint`).
    """

    def __init__(
        self,
        circuit: QuantumCircuit,
        low: Lowered,
        plan: Plan,
        observables: Sequence[SparsePauliOp],
        dtype: torch.dtype,
        backward: Backward,
        adjoint_threshold_mb: float,
        block_kb: float = 1024.0,
    ) -> None:
        self.circuit = circuit
        self.n_qubits, self.n_inputs, self.n_weights = low.n_qubits, low.n_inputs, low.n_weights
        self.n_angles = len(low.rows)
        self.dtype = dtype
        self.real_dtype = torch.float64 if dtype == torch.complex128 else torch.float32
        self.a_x = torch.as_tensor(low.a_x, dtype=self.real_dtype)
        self.a_theta = torch.as_tensor(low.a_theta, dtype=self.real_dtype)
        self.offset = torch.as_tensor(low.offset, dtype=self.real_dtype)
        self.input_dependent = self.a_x.abs().sum(1) > 0
        self.weight_dependent = self.a_theta.abs().sum(1) > 0
        self.observables = list(observables)
        self.n_observables = len(self.observables)
        self.gates = low.gates
        rules: list[ShiftRule] = [()] * self.n_angles
        for g in low.gates:
            if g.angle is not None and g.name in KERNELS:
                rules[g.angle] = KERNELS[g.name].shift_rule
        self.shift_rules: tuple[ShiftRule, ...] = tuple(rules)
        self.backward = backward
        self.adjoint_threshold_mb = adjoint_threshold_mb
        self.block_kb = block_kb
        self._column_bytes = 2**self.n_qubits * (16 if dtype == torch.complex128 else 8)
        self._plan = plan
        self._table = PauliTable(self.observables, self.n_qubits, dtype)
        self.measurement = MeasurementPlan(self.observables, self.n_qubits)
        self.device = torch.device("cpu")

    def to(self, device: torch.device | str) -> CompiledCircuit:
        """Move every tensor of the compiled circuit to ``device``, in place; returns self.

        Inputs may live anywhere: they are moved to the circuit's device, and outputs
        stay there (``expectations`` on a CUDA circuit returns a CUDA tensor whose
        gradients reach CPU inputs). Shots are drawn on the CPU with the caller's
        generator, so a seed gives the same counts on every device.

        Example:
            >>> from qmlsec.circuits import QNNSpec
            >>> from qmlsec.engine import compile_circuit
            >>> cc = compile_circuit(QNNSpec(n_qubits=2, layers=1).build()).to("meta")
            >>> cc.expectations(torch.zeros(3, 2), torch.zeros(cc.n_weights)).device.type
            'meta'
        """
        device = torch.device(device)
        _move(self, device, set())
        self.device = device
        return self

    # ----------------------------------------------------------------- angles
    def angles(
        self, x: torch.Tensor | None = None, theta: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Per-row angles (B, G); linear (hence differentiable) in x and theta."""
        rows, shared = self._angles(x, theta)
        return rows

    def _angles(
        self, x: torch.Tensor | None, theta: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        rd = self.real_dtype
        if theta is None:
            if self.n_weights:
                raise ConfigError(f"the circuit has {self.n_weights} weights; pass theta")
            theta = torch.zeros(self.n_weights, dtype=rd, device=self.device)
        theta = theta.to(self.device, rd)
        if theta.shape[-1] != self.n_weights or theta.ndim not in (1, 2):
            raise ConfigError(
                f"theta must have shape ({self.n_weights},) or (B, {self.n_weights}), got {tuple(theta.shape)}"
            )
        if x is None:
            if self.n_inputs:
                raise ConfigError(
                    f"the circuit has {self.n_inputs} inputs; pass x of shape (B, {self.n_inputs})"
                )
            x = torch.zeros(
                theta.shape[0] if theta.ndim == 2 else 1, 0, dtype=rd, device=self.device
            )
        x = x.to(self.device, rd)
        if x.ndim == 1:
            x = x[None]
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ConfigError(f"x must have shape (B, {self.n_inputs}), got {tuple(x.shape)}")
        from_theta = theta @ self.a_theta.T + self.offset
        rows = x @ self.a_x.T + from_theta
        return rows, (from_theta[None] if theta.ndim == 1 else None)

    # ------------------------------------------------------------- evolution
    def _evolve(self, rows: torch.Tensor, shared: torch.Tensor | None) -> torch.Tensor:
        factors, steps = self._plan.instantiate(rows, shared)
        batch = rows.shape[0]
        return evolve(factors, batch, steps, self._mode(batch, len(steps)), self._block())

    def _expect(self, rows: torch.Tensor, shared: torch.Tensor | None) -> torch.Tensor:
        """Expectations (B, n_obs); with the adjoint backward, a diagonal readout (Z
        observables) is read out inside the evolution (:func:`read_out`)."""
        factors, steps = self._plan.instantiate(rows, shared)
        batch, table, diag = rows.shape[0], self._table, self._table.diag
        mode = self._mode(batch, len(steps))
        if mode == "adjoint" and diag is not None and not table.groups and torch.is_grad_enabled():
            return read_out(factors, batch, steps, diag, self._block()).T
        return table.expectations(evolve(factors, batch, steps, mode, self._block()))

    def _mode(self, batch: int, n_steps: int) -> str:
        if self.backward != "auto":
            return self.backward
        stored = batch * self._column_bytes * n_steps / 2**20
        large = stored > self.adjoint_threshold_mb or batch > self._block()
        return "adjoint" if large else "stored"

    def _block(self) -> int:
        """Columns per block of the adjoint and gradient-free evolutions.

        About ``block_kb`` KiB, but at least 16 states (GEMMs on too few columns are
        slow) as long as they fit in 1 MiB, and never less than one state.
        """
        cols = int(self.block_kb * 2**10 // self._column_bytes)
        if cols < _MIN_BLOCK_COLUMNS:
            cols = min(_MIN_BLOCK_COLUMNS, 2**20 // self._column_bytes)
        return max(1, cols)

    def _with_phase(self, state: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
        """Row-major states (B, 2**n) with the global phase, from column-major ones."""
        plan = self._plan
        state = state.T.contiguous()
        if not plan.phase_angles and plan.phase_const == 0.0:
            return state
        arg = angles[:, plan.phase_angles].sum(1, keepdim=True) + plan.phase_const
        return state * torch.polar(torch.ones_like(arg), arg).to(self.dtype)

    # ----------------------------------------------------------------- outputs
    def state(
        self, x: torch.Tensor | None = None, theta: torch.Tensor | None = None
    ) -> torch.Tensor:
        """States (B, 2**n); ``state[:, i]`` matches ``Statevector(bound).data[i]``."""
        rows, shared = self._angles(x, theta)
        return self._with_phase(self._evolve(rows, shared), rows)

    def probabilities(
        self, x: torch.Tensor | None = None, theta: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Basis-state probabilities (B, 2**n)."""
        s = self._evolve(*self._angles(x, theta)).T
        return s.real**2 + s.imag**2

    def expectations(
        self, x: torch.Tensor | None = None, theta: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Exact expectation values (B, n_observables); differentiable in x and theta."""
        return self._expect(*self._angles(x, theta))

    def state_from_angles(self, angles: torch.Tensor) -> torch.Tensor:
        """States (N, 2**n) for per-row angles (N, G)."""
        angles = self._check_angles(angles)
        return self._with_phase(self._evolve(angles, None), angles)

    def probabilities_from_angles(self, angles: torch.Tensor) -> torch.Tensor:
        """Basis-state probabilities (N, 2**n) for per-row angles (N, G)."""
        s = self._evolve(self._check_angles(angles), None).T
        return s.real**2 + s.imag**2

    def expectations_from_angles(self, angles: torch.Tensor) -> torch.Tensor:
        """Exact expectations (N, n_observables) for per-row angles (N, G)."""
        return self._expect(self._check_angles(angles), None)

    def _check_angles(self, angles: torch.Tensor) -> torch.Tensor:
        if angles.ndim != 2 or angles.shape[1] != self.n_angles:
            raise ConfigError(
                f"angles must have shape (N, {self.n_angles}), got {tuple(angles.shape)}"
            )
        return angles.to(self.device, self.real_dtype)

    # ----------------------------------------------------------------- shots
    def sample_expectations(
        self,
        x: torch.Tensor | None,
        theta: torch.Tensor | None,
        shots: int,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Shot estimates (B, n_observables), ``shots`` per measurement group; seeded."""
        with torch.no_grad():
            state = self._evolve(*self._angles(x, theta)).T
        return self.measurement.estimate(state, shots, generator).to(self.device, self.real_dtype)

    def sample_expectations_from_angles(
        self, angles: torch.Tensor, shots: int, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """Shot estimates (N, n_observables) for per-row angles (N, G)."""
        with torch.no_grad():
            state = self._evolve(self._check_angles(angles), None).T
        return self.measurement.estimate(state, shots, generator).to(self.device, self.real_dtype)

    def sample_counts(
        self,
        x: torch.Tensor | None,
        theta: torch.Tensor | None,
        shots: int,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Computational-basis outcome counts (B, 2**n) of ``shots`` draws per row."""
        from qmlsec.engine.sampling import sample_counts

        return sample_counts(self.probabilities(x, theta).detach(), shots, generator)

    def executor(
        self, shots: int | None = None, generator: torch.Generator | None = None
    ) -> Executor:
        """``f(angles (N, G)) -> (N, n_observables)``: exact, or shot estimates."""
        if shots is None:
            return self.expectations_from_angles
        return lambda angles: self.sample_expectations_from_angles(angles, shots, generator)

    # ------------------------------------------------------------- export
    def expanded_circuit(self) -> QuantumCircuit:
        """The same circuit with one parameter ``g[k]`` per angle (u gates as P RY P)."""
        g = ParameterVector("g", self.n_angles)
        qc = QuantumCircuit(self.n_qubits, name=f"{self.circuit.name}_angles")
        for gate in self.gates:
            if gate.name == "global_phase":
                qc.global_phase += g[gate.angle] if gate.angle is not None else gate.phase
            elif gate.angle is not None:
                qc.append(gate_class(gate.name)(g[gate.angle]), list(gate.qubits))
            else:
                qc.append(gate.operation, list(gate.qubits))
        return qc

    def bind_angles(self, angles: torch.Tensor | np.ndarray) -> list[QuantumCircuit]:
        """Bound copies of :meth:`expanded_circuit`, one per row of ``angles`` (N, G)."""
        qc = self.expanded_circuit()
        values = np.asarray(torch.as_tensor(angles).detach().cpu(), dtype=float)
        return [qc.assign_parameters(row.tolist()) for row in values]


def _move(obj: object, device: torch.device, seen: set[int]) -> None:
    """Replace, in place, every tensor held by an engine object (and its parts)."""
    if id(obj) in seen:
        return
    seen.add(id(obj))
    for name, value in vars(obj).items():
        setattr(obj, name, _moved(value, device, seen))


def _moved(value: object, device: torch.device, seen: set[int]) -> object:
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, list):
        return [_moved(v, device, seen) for v in value]
    if isinstance(value, tuple):
        return tuple(_moved(v, device, seen) for v in value)
    if isinstance(value, dict):
        return {k: _moved(v, device, seen) for k, v in value.items()}
    # frozen records (the lowered gates) hold numpy data only
    frozen = getattr(getattr(value, "__dataclass_params__", None), "frozen", False)
    engine = (type(value).__module__ or "").startswith("qmlsec.engine")
    if engine and hasattr(value, "__dict__") and not frozen:
        _move(value, device, seen)
    return value
