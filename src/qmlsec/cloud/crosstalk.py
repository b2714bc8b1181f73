"""Synthetic crosstalk between co-scheduled tenants of one device.

No paper gives a QNN-level crosstalk model with numbers (research notes §3.6), so this
module states one explicitly, after the mechanism measured by Ash-Saki, Alam and Ghosh
(ISLPED 2020, doi:10.1145/3370748.3406570) and exploited by Kumar et al.
(ZKTA / QONTEXTS, arXiv:2504.07048): a cross-resonance (CNOT) drive on one pair of
qubits shifts the frequency of nearby qubits (always-on ZZ), so a victim gate that runs
*at the same time* as an attacker two-qubit gate picks up an extra correlated phase.

Model (parameters of :class:`CrosstalkModel`):

- the attacker drives two-qubit gates on physical qubits ``A`` in its time layers
  ``offset .. offset + attacker_layers - 1``; victim time layers are the layers of its
  transpiled circuit's DAG (ASAP, both jobs start together);
- for every victim gate in a layer that overlaps an attacker two-qubit layer, each
  victim qubit ``q`` at coupling-map distance ``d = min_a dist(q, a) >= 1`` from ``A``
  gets an error of size ``s(d) = strength * exp(-(d - 1) / xi)`` for
  ``d <= max_distance`` and ``0`` beyond;
- ``kind="zz"`` (coherent, default): after a victim two-qubit gate on ``(a, b)`` an
  ``RZZ(s)`` over-rotation with ``s`` from the nearer qubit (correlated error), after a
  single-qubit gate an ``RZ(s)`` (frequency shift);
- ``kind="depolarizing"``: a depolarising channel of probability ``min(1, s)`` on the
  gate's qubits (Aer only).

``strength = 0`` or no overlap inserts nothing: the victim circuit is returned
unchanged. What the model does not cover: the attacker's own state (the sign of the
conditional shift is fixed, as if the attacker's control qubit sat in ``|1>``),
leakage outside the qubit space, drive-frequency collisions, and pulse-level timing
(layers, not nanoseconds, decide simultaneity).

Example:
    >>> from qiskit import QuantumCircuit
    >>> qc = QuantumCircuit(5); _ = qc.cx(0, 1)
    >>> model = CrosstalkModel(strength=0.2)
    >>> out = inject_crosstalk(qc, attacker_qubits=[3, 4], coupling_map=[(0, 1), (1, 2), (2, 3), (3, 4)], model=model)
    >>> [inst.operation.name for inst in out.data]
    ['cx', 'rzz']
    >>> round(model.amplitude(2), 4)
    0.0736
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit
from qiskit.converters import circuit_to_dag
from qiskit.transpiler import CouplingMap

from qmlsec.config import FrozenModel
from qmlsec.exceptions import ConfigError

_NON_GATES = frozenset({"measure", "barrier", "delay", "reset"})


class CrosstalkModel(FrozenModel):
    """Parameters of the co-tenant crosstalk model (see the module docstring).

    Attributes:
        strength: error at distance 1: radians for ``zz``, probability for
            ``depolarizing``. ``0`` is the identity.
        xi: decay length in coupling-map hops.
        max_distance: no crosstalk beyond this many hops.
        kind: ``zz`` (coherent over-rotation) or ``depolarizing``.
        offset: victim layer at which the attacker's job starts.
        attacker_layers: how many consecutive layers the attacker keeps two-qubit gates
            running (``None``: for the whole victim circuit).
    """

    strength: float = Field(default=0.1, ge=0.0)
    xi: float = Field(default=1.0, gt=0.0)
    max_distance: int = Field(default=3, ge=1)
    kind: Literal["zz", "depolarizing"] = "zz"
    offset: int = Field(default=0, ge=0)
    attacker_layers: int | None = Field(default=None, ge=0)

    def amplitude(self, distance: float) -> float:
        """Error size ``s(d)`` at coupling-map distance ``d`` (0 beyond ``max_distance``)."""
        if distance < 1 or distance > self.max_distance or not math.isfinite(distance):
            return 0.0
        return float(self.strength * math.exp(-(distance - 1) / self.xi))

    def overlaps(self, layer: int) -> bool:
        """Whether victim layer ``layer`` runs while the attacker drives two-qubit gates."""
        if layer < self.offset:
            return False
        return self.attacker_layers is None or layer < self.offset + self.attacker_layers


def qubit_distances(
    coupling_map: CouplingMap | Iterable[Sequence[int]], n_qubits: int
) -> np.ndarray:
    """All-pairs hop distances of the undirected coupling graph (``inf`` if disconnected)."""
    cmap = (
        coupling_map
        if isinstance(coupling_map, CouplingMap)
        else CouplingMap([list(e) for e in coupling_map])
    )
    dist = np.full((n_qubits, n_qubits), np.inf)
    np.fill_diagonal(dist, 0.0)
    adjacency: dict[int, set[int]] = {q: set() for q in range(n_qubits)}
    for a, b in cmap.get_edges():
        if a < n_qubits and b < n_qubits:
            adjacency[a].add(b)
            adjacency[b].add(a)
    for src in range(n_qubits):
        frontier, seen, hop = [src], {src}, 0
        while frontier:
            hop += 1
            nxt = [n for q in frontier for n in adjacency[q] if n not in seen]
            for n in nxt:
                seen.add(n)
                dist[src, n] = hop
            frontier = list(dict.fromkeys(nxt))
    return dist


def distance_to(qubit: int, attacker_qubits: Iterable[int], dist: np.ndarray) -> float:
    """Hop distance from ``qubit`` to the nearest attacker qubit."""
    values = [dist[qubit, a] for a in attacker_qubits]
    return float(min(values)) if values else math.inf


def inject_crosstalk(
    circuit: QuantumCircuit,
    *,
    attacker_qubits: Iterable[int],
    coupling_map: CouplingMap | Iterable[Sequence[int]],
    model: CrosstalkModel,
) -> QuantumCircuit:
    """The victim's physical circuit with the crosstalk errors of ``model`` inserted.

    Args:
        circuit: a transpiled victim circuit on physical qubits (bound or not).
        attacker_qubits: physical qubits the co-tenant drives with two-qubit gates.
        coupling_map: the device's coupling map (edges).
        model: the crosstalk parameters.

    Returns:
        A new circuit (the input is not modified); the same circuit content when
        ``model.strength == 0`` or nothing overlaps.

    Raises:
        ConfigError: if an attacker qubit is also used by the victim.
    """
    attackers = sorted(set(int(a) for a in attacker_qubits))
    n = circuit.num_qubits
    used = {circuit.find_bit(q).index for inst in circuit.data for q in inst.qubits}
    if set(attackers) & used:
        raise ConfigError(
            f"attacker qubits {sorted(set(attackers) & used)} are used by the victim circuit",
            hint="co-tenants run on disjoint qubits; pick attacker qubits outside the layout",
        )
    out = circuit.copy_empty_like()
    if model.strength == 0 or not attackers:
        out.compose(circuit, inplace=True)
        return out
    dist = qubit_distances(coupling_map, max(n, max(attackers) + 1))
    dag = circuit_to_dag(circuit)
    for index, layer in enumerate(dag.layers()):
        active = model.overlaps(index)
        for node in layer["graph"].op_nodes():
            out.append(node.op, node.qargs, node.cargs)
            if not active or node.op.name in _NON_GATES:
                continue
            qubits = [circuit.find_bit(q).index for q in node.qargs]
            sizes = [model.amplitude(distance_to(q, attackers, dist)) for q in qubits]
            _append_error(out, qubits, sizes, model)
    return out


def _append_error(
    out: QuantumCircuit, qubits: list[int], sizes: list[float], model: CrosstalkModel
) -> None:
    size = max(sizes) if sizes else 0.0
    if size <= 0:
        return
    if model.kind == "depolarizing":
        from qiskit_aer.noise import depolarizing_error

        p = min(1.0, size)
        out.append(depolarizing_error(p, len(qubits)).to_instruction(), qubits)
    elif len(qubits) == 2:
        out.rzz(size, qubits[0], qubits[1])
    else:
        for q, s in zip(qubits, sizes, strict=True):
            if s > 0:
                out.rz(s, q)


class CrosstalkContributor:
    """The crosstalk model as a noise contributor of :mod:`qmlsec.cloud.noise`.

    For every co-scheduled job that carries a circuit with two-qubit gates (the
    *aggressor*; background jobs without a circuit are ignored), each native gate of the
    executing job on an active physical qubit gets the error of :class:`CrosstalkModel`
    for its distance to that job's qubits. Simultaneity is job-level here (the provider
    passes only the jobs that overlap in time, see
    :func:`~qmlsec.cloud.tenancy.concurrent_with`); :func:`inject_crosstalk` is the
    layer-level variant. With full overlap both give the same circuit.

    The model is symmetric in who is attacked: an attacker's CNOT job perturbs a
    victim's job (``hardware.crosstalk_injection``), and a victim's job perturbs a
    co-tenant's probe when the provider passes the victim's job as the probe's co-job
    (``recon.locality_fingerprint`` senses the victim's placement this way).
    ``attacker_qubits`` names the aggressor's qubits in either case.

    Args:
        model: crosstalk parameters; ``offset``/``attacker_layers`` are not used.
        coupling_map: the device's coupling edges.
        gates_1q, gates_2q: native gate names that receive the error.
    """

    def __init__(
        self,
        model: CrosstalkModel,
        coupling_map: CouplingMap | Iterable[Sequence[int]],
        *,
        gates_1q: tuple[str, ...] = ("sx", "x"),
        gates_2q: tuple[str, ...] = ("cx", "ecr", "cz"),
    ) -> None:
        self.model = model
        self.coupling_map = [
            tuple(e)
            for e in (
                coupling_map.get_edges() if isinstance(coupling_map, CouplingMap) else coupling_map
            )
        ]
        self.gates_1q = gates_1q
        self.gates_2q = gates_2q

    def attacker_qubits(self, context: Any) -> list[int]:
        """Qubits of co-scheduled jobs that drive two-qubit gates."""
        qubits: set[int] = set()
        for job in getattr(context, "co_jobs", ()):
            circ = getattr(job, "circuit", None)
            if circ is not None and any(len(i.qubits) == 2 for i in circ.data):
                qubits.update(int(q) for q in job.qubits)
        return sorted(qubits)

    def terms(self, context: Any) -> list[Any]:
        """Noise terms (``NoiseTerm``) on the victim's active physical qubits."""
        from qiskit.circuit.library import RZGate, RZZGate
        from qiskit_aer.noise import coherent_unitary_error, depolarizing_error

        from qmlsec.cloud.noise import NoiseTerm

        attackers = self.attacker_qubits(context)
        if self.model.strength == 0 or not attackers:
            return []
        active = [int(q) for q in context.active if q not in attackers]
        size = max([*active, *attackers]) + 1
        dist = qubit_distances(
            self.coupling_map, max(size, 1 + max(max(e) for e in self.coupling_map))
        )
        out = []
        for q in active:
            s = self.model.amplitude(distance_to(q, attackers, dist))
            if s <= 0:
                continue
            err = (
                depolarizing_error(min(1.0, s), 1)
                if self.model.kind == "depolarizing"
                else (coherent_unitary_error(RZGate(s).to_matrix()))
            )
            out.append(NoiseTerm(err, self.gates_1q, (q,)))
        for a, b in self.coupling_map:
            if a not in active or b not in active:
                continue
            s = max(self.model.amplitude(distance_to(q, attackers, dist)) for q in (a, b))
            if s <= 0:
                continue
            err = (
                depolarizing_error(min(1.0, s), 2)
                if self.model.kind == "depolarizing"
                else (coherent_unitary_error(RZZGate(s).to_matrix()))
            )
            out.append(NoiseTerm(err, self.gates_2q, (a, b)))
        return out


__all__ = [
    "CrosstalkContributor",
    "CrosstalkModel",
    "distance_to",
    "inject_crosstalk",
    "qubit_distances",
]
