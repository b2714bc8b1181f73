"""Random reversible obfuscation: R_out·C·R_in goes to the compiler, the user undoes R.

Mitigation QML.M0008, after Das and Ghosh, "Randomized Reversible Gate-Based
Obfuscation for Secured Compilation of Quantum Circuits" (arXiv:2305.01133) and Suresh,
Saki, Alam, Topaloglu, Ghosh (IEEE TQE, dummy-gate obfuscation). Two random reversible
blocks of X and CNOT gates, ``R_in`` (before the circuit) and ``R_out`` (after it), are
inserted; the untrusted compiler only ever sees ``R_out·C·R_in``, whose output
distribution is a scrambled permutation of the original's. After compilation the user
restores the function exactly by adding ``R_in⁻¹`` in front and ``R_out⁻¹`` behind the
compiled circuit, mapped through the compiler's layout (``R_out⁻¹`` can equally be
applied classically, as a permutation of the measured bitstrings). Because the blocks
are permutations, the restored circuit equals ``C`` up to the compiler's own
equivalence (state fidelity 1 in exact simulation).

**Non-trivial blocks.** An X/CNOT network is an affine map ``x -> A x + b`` of the
computational basis over GF(2). A drawn block is rejected and redrawn (up to 1000
draws) when it hides nothing: with ``nontrivial="fixed_point_free"`` (default) when
the map fixes some basis state (``(A + I) x = b`` solvable), so no basis-state output
of ``C`` comes out of ``R_out·C`` unchanged and no basis input enters ``C`` unchanged;
with ``"not_identity"`` only the identity permutation is rejected; ``"none"`` keeps
every draw. With both blocks, ``R_in`` and ``R_out`` can still cancel through ``C``
(``R_out·C·R_in`` and ``C`` give the same output), so for a parameter-free circuit of
at most 12 qubits the pair is also redrawn when the obfuscated output distribution
equals the original's (``check_output``, exact simulation). Measured with
``python bench/rr_inverse_hiding.py --circuits 200`` (random 4-qubit X/CNOT circuits
with a basis-state output, 6 gates per block, 95 % Wilson intervals): unchecked draws
give the original output in 18/200 = 0.09 [0.058, 0.138] (7/30 = 0.23 [0.12, 0.41] on
the first 30); fixed-point-free blocks without the output check 11/200 = 0.055 [0.031,
0.096] with both blocks and 0/200 [0, 0.019] with one block; with the output check
(the default) 0/200 [0, 0.019] in every mode. On random rotation circuits the mean
total-variation distance between obfuscated and original outputs is 0.74-0.80.
``gate_set="x"`` draws X gates only (``A = I``, the dummy-X layer of Suresh et al.; then
fixed-point-free means at least one net X), ``"x_cnot"`` (default) X and CNOT gates
as Das and Ghosh. ``blocks="both"`` (default) inserts ``R_in`` and ``R_out``;
``"out"`` or ``"in"`` only one of them (the single-block scheme, whose ``R_out⁻¹`` the
user can apply classically to the measured bits).

Cost: extra gates and depth of the inserted blocks (they are not cancelled because the
compiler never sees their inverses).

Against ``circuit.trojan`` (:meth:`RRInverse.defended_run`): the compromised compiler
pass (the attack's ``transform_circuit`` hook) is handed ``R_out·C·R_in`` instead of
``C`` and picks its depth-preserving positions on that; the user then removes the blocks
from the pass's output (:class:`ObfuscatedCompilation`) and the provider executes the
restored circuit. The obfuscation only moves the trojan: a gate landing inside ``C``
acts as before, one landing inside ``R_in`` or ``R_out`` survives the removal as its
conjugate by the rest of the block (an X becomes an X string, an H an entangling
Clifford), applied before or after ``C``. Measured on the 4-qubit iris victim (30 test
inputs, counts 0/1/2/4, 256 shots, 6 gates per block): maximum attack success rate with
an X trojan 1.00 -> 1.00 (seeds 0 and 1), with an H trojan 0.75 -> 0.79 (seed 0) and
0.76 -> 0.76 (seed 1). The obfuscation does not help against an untargeted insertion
trojan; it hides the circuit's function from the compiler. Cost: the compiler's circuit
is 50% deeper; after the provider's own optimisation the executed circuit is 17-63%
deeper (the removed blocks partly cancel against their inverses).

Not covered: optimal placement of R inside the circuit, a compiler that guesses and
strips R (the blocks are uniformly random X/CNOT networks), measured-and-reset circuits.

Example:
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(2); _ = qc.h(0); _ = qc.cx(0, 1)
    >>> rec = RRInverse({"gates": 4}, seed=1).transform(qc)
    >>> rec.obfuscated.num_qubits, len(rec.r_in.data) + len(rec.r_out.data)
    (2, 8)
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

from qmlsec.attacks.setup import AttackSetup
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.config import FrozenModel, rng
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.circuit.base import CircuitDefense
from qmlsec.exceptions import ConfigError

MAX_DRAWS = 1000


@dataclass(frozen=True)
class Obfuscated:
    """The circuit handed to the compiler and the user's secret blocks."""

    obfuscated: QuantumCircuit
    r_in: QuantumCircuit
    r_out: QuantumCircuit


def random_reversible(
    n_qubits: int, gates: int, gen: Any, gate_set: str = "x_cnot"
) -> QuantumCircuit:
    """A random X/CNOT (or X-only) circuit of ``gates`` gates (a basis-state permutation)."""
    qc = QuantumCircuit(n_qubits, name="R")
    for _ in range(gates):
        if gate_set == "x_cnot" and n_qubits > 1 and gen.random() < 0.5:
            a, b = gen.choice(n_qubits, 2, replace=False)
            qc.cx(int(a), int(b))
        else:
            qc.x(int(gen.integers(n_qubits)))
    return qc


def affine_map(block: QuantumCircuit) -> tuple[np.ndarray, np.ndarray]:
    """``(A, b)`` over GF(2) with ``block |x> = |A x + b>`` (bit ``i`` is qubit ``i``).

    Example:
        >>> qc = QuantumCircuit(2); _ = qc.x(0); _ = qc.cx(0, 1)
        >>> a, b = affine_map(qc)
        >>> a.tolist(), b.tolist()
        ([[1, 0], [1, 1]], [1, 1])
    """
    n = block.num_qubits

    def image(bits: np.ndarray) -> np.ndarray:
        out = bits.copy()
        for inst in block.data:
            qubits = [block.find_bit(q).index for q in inst.qubits]
            if inst.operation.name == "x":
                out[qubits[0]] ^= 1
            elif inst.operation.name == "cx":
                out[qubits[1]] ^= out[qubits[0]]
            else:
                raise ConfigError(f"block gate {inst.operation.name!r} is not X or CNOT")
        return out

    b = image(np.zeros(n, dtype=np.uint8))
    a = np.stack([image(np.eye(n, dtype=np.uint8)[i]) ^ b for i in range(n)], axis=1)
    return a, b


def _rank_gf2(m: np.ndarray) -> int:
    m = m.copy() % 2
    rank = 0
    for col in range(m.shape[1]):
        pivot = next((r for r in range(rank, m.shape[0]) if m[r, col]), None)
        if pivot is None:
            continue
        m[[rank, pivot]] = m[[pivot, rank]]
        for r in range(m.shape[0]):
            if r != rank and m[r, col]:
                m[r] ^= m[rank]
        rank += 1
    return rank


def has_fixed_point(block: QuantumCircuit) -> bool:
    """Whether ``block`` maps some basis state to itself (``(A + I) x = b`` solvable)."""
    a, b = affine_map(block)
    m = (a + np.eye(len(b), dtype=np.uint8)) % 2
    return _rank_gf2(m) == _rank_gf2(np.column_stack([m, b]))


def is_identity(block: QuantumCircuit) -> bool:
    """Whether ``block`` is the identity permutation."""
    a, b = affine_map(block)
    return bool((a == np.eye(len(b), dtype=np.uint8)).all() and not b.any())


def _physical(block: QuantumCircuit, compiled: QuantumCircuit, final: bool) -> QuantumCircuit:
    """``block`` on the compiled circuit's physical qubits (initial or final layout)."""
    layout = compiled.layout
    if layout is None:
        index = list(range(block.num_qubits))
    elif final:
        index = layout.final_index_layout()
    else:
        index = layout.initial_index_layout()[: block.num_qubits]
    out = QuantumCircuit(compiled.num_qubits)
    for inst in block.data:
        out.append(inst.operation, [index[block.find_bit(q).index] for q in inst.qubits])
    return out


class ObfuscatedCompilation(ProviderHook):
    """The compiler pass ``inner`` run on ``R_out·C·R_in``; the blocks removed after it.

    ``inner`` is a ``transform_circuit`` hook (the compromised pass); the obfuscation and
    the removal are the user's, around it. Keeps ``trojan`` of ``inner`` (for its metrics)
    and the depths and seconds of every circuit it handled.
    """

    def __init__(self, defense: RRInverse, inner: Any) -> None:
        self.defense, self.inner = defense, inner
        self.trojan = getattr(inner, "trojan", None)
        self.depths: list[tuple[int, int, int]] = []
        self.seconds = 0.0

    def transform_circuit(self, job: Any, circuit: QuantumCircuit) -> QuantumCircuit:
        """Obfuscate, let the compromised pass run, restore (logical qubits, no layout)."""
        start = time.perf_counter()
        record = self.defense.transform(circuit)
        self.seconds += time.perf_counter() - start
        compiled = self.inner.transform_circuit(job, record.obfuscated)
        start = time.perf_counter()
        restored = self.defense.restore(compiled, record)
        self.seconds += time.perf_counter() - start
        self.depths.append((circuit.depth(), record.obfuscated.depth(), restored.depth()))
        return restored


class RRInverse(CircuitDefense):
    """Insert random reversible blocks before compilation, remove them after."""

    name: ClassVar[str] = "circuit.rr_inverse"
    mitigation_id: ClassVar[str] = "QML.M0008"
    counters: ClassVar[tuple[str, ...]] = ("circuit.trojan",)

    class Params(FrozenModel):
        """Parameters of :class:`RRInverse`."""

        gates: int = Field(6, ge=1)
        """Gates in each random block."""
        gate_set: Literal["x_cnot", "x"] = "x_cnot"
        """``x_cnot``: X and CNOT gates (Das and Ghosh); ``x``: X gates only."""
        blocks: Literal["both", "in", "out"] = "both"
        """Which blocks are inserted: ``R_in`` and ``R_out``, or one of them."""
        nontrivial: Literal["fixed_point_free", "not_identity", "none"] = "fixed_point_free"
        """Which draws are rejected: those fixing any basis state, the identity only, or
        none (every draw kept, the unchecked scheme)."""
        check_output: bool = True
        """Also redraw the pair when the obfuscated circuit's output distribution equals
        the original's (parameter-free circuits of at most 12 qubits, exact simulation):
        with both blocks, ``R_in`` and ``R_out`` can cancel through ``C``."""

    def block(self, n: int, gen: Any) -> QuantumCircuit:
        """A random block that passes the ``nontrivial`` check (redrawn otherwise).

        Raises:
            ConfigError: no acceptable block in :data:`MAX_DRAWS` draws (e.g. an even
                number of X-only gates that always cancels on one qubit).
        """
        p = self.params
        if p.nontrivial == "none":
            return random_reversible(n, p.gates, gen, p.gate_set)
        reject = has_fixed_point if p.nontrivial == "fixed_point_free" else is_identity
        for _ in range(MAX_DRAWS):
            candidate = random_reversible(n, p.gates, gen, p.gate_set)
            if not reject(candidate):
                return candidate
        raise ConfigError(
            f"no {p.nontrivial.replace('_', '-')} block of {p.gates} gates on {n} qubits "
            f"in {MAX_DRAWS} draws",
            hint="use more gates per block or nontrivial: not_identity",
        )

    def transform(self, circuit: QuantumCircuit) -> Obfuscated:
        """The obfuscated circuit ``R_out·C·R_in`` (measurements kept last) and the blocks."""
        n = circuit.num_qubits
        gen = rng(self.seed, "rr_inverse", circuit.name, n)
        where = self.params.blocks
        body = circuit.remove_final_measurements(inplace=False)
        measured = body.num_qubits and len(body.data) != len(circuit.data)
        checked = (self.params.check_output and self.params.nontrivial != "none"
                   and not body.parameters and 0 < n <= 12)  # fmt: skip
        original = Statevector(body).probabilities() if checked else None
        for _ in range(MAX_DRAWS):
            r_in = self.block(n, gen) if where in ("both", "in") else QuantumCircuit(n, name="R")
            r_out = self.block(n, gen) if where in ("both", "out") else QuantumCircuit(n, name="R")
            out = self._wrap(body, r_in, r_out, measured)
            if original is None:
                break
            after = Statevector(out.remove_final_measurements(inplace=False)).probabilities()
            if not np.allclose(after, original, atol=1e-9):
                break
        return Obfuscated(out, r_in, r_out)

    @staticmethod
    def _wrap(
        body: QuantumCircuit, r_in: QuantumCircuit, r_out: QuantumCircuit, measured: bool
    ) -> QuantumCircuit:
        n = body.num_qubits
        out = QuantumCircuit(*body.qregs, *body.cregs, name=f"{body.name}_obf")
        out.compose(r_in, range(n), inplace=True)
        out.compose(body, inplace=True)
        out.compose(r_out, range(n), inplace=True)
        if measured:
            out.measure_all()
        return out

    def restore(self, compiled: QuantumCircuit, record: Obfuscated) -> QuantumCircuit:
        """The compiled circuit with ``R_in⁻¹`` prepended and ``R_out⁻¹`` appended."""
        body = compiled.remove_final_measurements(inplace=False)
        pre = _physical(record.r_in.inverse(), compiled, final=False)
        post = _physical(record.r_out.inverse(), compiled, final=True)
        out = pre.compose(body)
        out.compose(post, inplace=True)
        out._layout = compiled.layout  # noqa: SLF001  (same physical layout as compiled)
        return out

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """Run ``circuit.trojan`` with its pass seeing only obfuscated circuits.

        The attack is run unchanged except that each trojan hook it installs is wrapped
        in :class:`ObfuscatedCompilation`; its own metrics (accuracy, attack success rate
        per inserted count) are therefore measured on the restored, executed circuits.
        """
        attack: Any = setup.attack_cls(setup.target, dict(setup.params), seed=seed)
        inner = attack.tamper
        hooks: list[ObfuscatedCompilation] = []

        def tamper(*args: Any, **kwargs: Any) -> ObfuscatedCompilation:
            hooks.append(ObfuscatedCompilation(self, inner(*args, **kwargs)))
            return hooks[-1]

        attack.tamper = tamper
        cloud = getattr(setup.target, "cloud", None)
        seen = len(cloud.history) if cloud is not None else 0
        result = attack.run(dataclasses.replace(setup.ctx, facts=setup.ctx.facts.copy()))
        depths = [d for h in hooks for d in h.depths]
        base = max(1, max((d[0] for d in depths), default=1))
        obf = max((d[1] for d in depths), default=base)
        restored = max((d[2] for d in depths), default=base)
        extra = {"restored_depth_overhead": restored / base - 1.0, "jobs_obfuscated": len(depths)}
        jobs = list(cloud.history)[seen:] if cloud is not None else []
        counts = list(getattr(attack.params, "counts", ()))
        if 0 in counts and len(jobs) == 1 + len(counts) and jobs[0].transpile is not None:
            # the clean job against the obfuscated, trojan-free job, both as executed
            extra["executed_depth_overhead"] = (
                jobs[1 + counts.index(0)].transpile.depth / max(1, jobs[0].transpile.depth) - 1.0
            )
        result.notes.append(f"{self.name}: the trojan pass saw R_out·C·R_in ({self.params.gates}"
                            f" gates per block); the blocks were removed after it")  # fmt: skip
        return result, DefenseCost(
            depth_overhead=obf / base - 1.0, seconds=sum(h.seconds for h in hooks), extra=extra
        )
