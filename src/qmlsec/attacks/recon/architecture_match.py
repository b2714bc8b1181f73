"""Identify a QNN's full architecture from the logical circuit a provider receives.

A QMLaaS user submits the parameterised logical circuit and lets the provider
transpile it (:meth:`~qmlsec.cloud.providers.QuantumCloud.submit`), so the provider sees
its gate sequence: which gates act on which qubits, with one free parameter per
rotation. Every QNN architecture of a family (encoding, rotation axis, ansatz, layer
count, entanglement pattern) has its own gate sequence, so the provider identifies the
architecture *exactly* by building each candidate of the family and comparing
sequences (after "Quantum Imitation Game", arXiv:2407.07237, and "Quantum Quandaries",
arXiv:2502.01486, where the architecture is inferred from the circuits sent to the
cloud). Candidates whose sequences coincide (e.g. ``reupload`` with one layer and
``angle``) are all returned: the circuits are the same, so is the function.

This is the provider's view of plain submissions; a user who transpiles locally and
submits native-gate circuits leaves only the transpiled structure, for which
:class:`~qmlsec.attacks.recon.encoding_inference.EncodingInference` trains classifiers.

Not covered: architectures outside the enumerated family (custom ansatzes), amplitude
encodings of other feature counts, readouts other than Z on every qubit.

Example:
    >>> from qmlsec.circuits import QNNSpec
    >>> spec = QNNSpec(n_qubits=3, layers=2, ansatz="real_amplitudes", rotation="Y")
    >>> found = match_architecture(spec.build(), layers=(1, 2, 3))
    >>> [(s.ansatz, s.layers, s.rotation, s.entanglement) == (spec.ansatz, 2, "Y", spec.entanglement)
    ...  for s in found]
    [True]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from qiskit import QuantumCircuit

from qmlsec.circuits import QNNSpec
from qmlsec.exceptions import QmlsecError

ENCODINGS = ("angle", "amplitude", "iqp", "reupload")
ANSATZES = ("hardware_efficient", "strongly_entangling", "basic_entangler",
            "real_amplitudes", "efficient_su2")  # fmt: skip
ROTATIONS = ("X", "Y", "Z")
ENTANGLEMENTS = ("linear", "ring", "full")

Signature = tuple[tuple[str, tuple[int, ...], int], ...]


def gate_signature(circuit: QuantumCircuit) -> Signature:
    """Gate names, qubits and number of free parameters, in circuit order."""
    return tuple(
        (
            inst.operation.name,
            tuple(circuit.find_bit(q).index for q in inst.qubits),
            sum(1 for p in inst.operation.params if getattr(p, "parameters", None)),
        )
        for inst in circuit.data
        if inst.operation.name not in ("barrier", "measure")
    )


def candidate_specs(n_qubits: int, layers: Sequence[int]) -> list[QNNSpec]:
    """Every architecture of the family on ``n_qubits`` with a layer count in ``layers``."""
    specs = []
    for enc, rot, ans, n_layers, ent in itertools.product(
        ENCODINGS, ROTATIONS, ANSATZES, layers, ENTANGLEMENTS
    ):
        try:
            spec = {"n_qubits": n_qubits, "encoding": enc, "rotation": rot, "ansatz": ans,
                    "layers": n_layers, "entanglement": ent}  # fmt: skip
            specs.append(QNNSpec.model_validate(spec))
        except (QmlsecError, ValueError):  # a combination the family does not allow
            continue
    return specs


def match_architecture(
    circuit: QuantumCircuit, layers: Sequence[int] = (1, 2, 3, 4, 5, 6)
) -> list[QNNSpec]:
    """The candidate specs whose circuit has exactly ``circuit``'s gate sequence."""
    target = gate_signature(circuit)
    found = []
    for spec in candidate_specs(circuit.num_qubits, layers):
        # the parameter count rules most candidates out before any circuit is built
        if spec.n_circuit_inputs + spec.n_weights != circuit.num_parameters:
            continue
        try:
            built = spec.build()
        except (QmlsecError, ValueError):
            continue
        if len(built.data) == len(circuit.data) and gate_signature(built) == target:
            found.append(spec)
    return found


__all__ = ["candidate_specs", "gate_signature", "match_architecture"]
