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
from typing import Any, ClassVar

from pydantic import Field
from qiskit import QuantumCircuit

from qmlsec.attacks.setup import AttackSetup
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.config import FrozenModel, rng
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.circuit.base import CircuitDefense


@dataclass(frozen=True)
class Obfuscated:
    """The circuit handed to the compiler and the user's secret blocks."""

    obfuscated: QuantumCircuit
    r_in: QuantumCircuit
    r_out: QuantumCircuit


def random_reversible(n_qubits: int, gates: int, gen: Any) -> QuantumCircuit:
    """A random X/CNOT circuit of ``gates`` gates (a basis-state permutation)."""
    qc = QuantumCircuit(n_qubits, name="R")
    for _ in range(gates):
        if n_qubits > 1 and gen.random() < 0.5:
            a, b = gen.choice(n_qubits, 2, replace=False)
            qc.cx(int(a), int(b))
        else:
            qc.x(int(gen.integers(n_qubits)))
    return qc


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
        """Gates in each of the two random blocks."""

    def transform(self, circuit: QuantumCircuit) -> Obfuscated:
        """The obfuscated circuit ``R_out·C·R_in`` (measurements kept last) and the blocks."""
        n = circuit.num_qubits
        gen = rng(self.seed, "rr_inverse", circuit.name, n)
        r_in = random_reversible(n, self.params.gates, gen)
        r_out = random_reversible(n, self.params.gates, gen)
        body = circuit.remove_final_measurements(inplace=False)
        measured = body.num_qubits and len(body.data) != len(circuit.data)
        out = QuantumCircuit(*body.qregs, *body.cregs, name=f"{circuit.name}_obf")
        out.compose(r_in, range(n), inplace=True)
        out.compose(body, inplace=True)
        out.compose(r_out, range(n), inplace=True)
        if measured:
            out.measure_all()
        return Obfuscated(out, r_in, r_out)

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
