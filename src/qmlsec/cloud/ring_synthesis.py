"""CNOT rings on a path of physical qubits: a folded placement and re-synthesised blocks.

Heavy-hex devices have no cycle shorter than 12, so the ``n`` qubits of a circuit whose
entangler is a CNOT ring ``CX(q0,q1) CX(q1,q2) ... CX(q_{n-1},q0)`` (the hardware-efficient
ansatz with ``ring`` / ``circular`` entanglement) sit on a tree of the coupling graph, and
a router inserts SWAPs for every block. Here each ring block is instead treated as what it
is: a linear reversible map over GF(2) (``y_0 = x_1 ^ ... ^ x_{n-1}``,
``y_k = x_0 ^ ... ^ x_k``), re-synthesised from nearest-neighbour CNOTs on a path of ``n``
physical qubits. The logical qubits start *folded* onto the path (``q0, q1, q_{n-1}, q2,
q_{n-2}, ...``, so ring neighbours are at most two apart) and each block may leave its
outputs in another order: the single-qubit gates between blocks follow their qubits, and
the final layout absorbs the last permutation (the same freedom a router has).

The block sequences are families of two sweeps along the path (one towards the folded
end, one back): the optimal sequences of an exhaustive breadth-first search for 4 to 6
qubits, for the first block from any placement (``bench/ring_on_path.py --show``: 2n-2
CNOTs, from the folded placement) and for the later blocks from the placement the
earlier ones leave (the same search with that placement fixed: 2n-1), generalised to
any ``n``; every sequence is checked over GF(2) before use, so a
family that does not realise the block from the current placement is never emitted. For
8 qubits three blocks take 14 + 15 + 15 = 44 CNOTs, where routing the ring gives 75-114
two-qubit gates on ``fake_guadalupe`` / ``fake_brisbane``. Blocks are chosen by a
three-block look-ahead; where no family applies, adjacent SWAPs restore the folded
placement first (correct, and costly, so the layout search's estimated success decides
whether the result is used).

Example:
    >>> from qmlsec.circuits import QNNSpec
    >>> ring = ring_on_path(QNNSpec(n_qubits=8, layers=3, entanglement="ring").build())
    >>> ring.circuit.count_ops()["cx"], ring.blocks
    (44, 3)
    >>> ring_on_path(QNNSpec(n_qubits=8, layers=3, entanglement="linear").build()) is None
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qiskit import QuantumCircuit
from qiskit.circuit import CircuitInstruction

Moves = tuple[tuple[int, int], ...]  # (control wire, target wire) of each CNOT

_LOOKAHEAD = 3


@dataclass(frozen=True)
class RingOnPath:
    """A ring circuit re-synthesised on ``n`` path wires (wire ``w`` next to ``w + 1``).

    ``initial[q]`` / ``final[q]``: the wire holding logical qubit ``q`` at the start / end.
    """

    circuit: QuantumCircuit
    initial: tuple[int, ...]
    final: tuple[int, ...]
    blocks: int


def ring_structure(
    circuit: QuantumCircuit,
) -> tuple[tuple[int, ...], list[list[CircuitInstruction]]] | None:
    """The ring's cycle order and the single-qubit segments around its blocks, or None.

    ``circuit`` qualifies when its only multi-qubit gates are CNOT blocks, each a run of
    consecutive ``cx`` instructions forming the same ring over all (at least 4) qubits,
    and it has no classical bits or directives. Segments: ``blocks + 1`` lists of
    single-qubit instructions, before, between and after the blocks.
    """
    n = circuit.num_qubits
    if n < 4 or circuit.num_clbits:
        return None
    order: tuple[int, ...] | None = None
    segments: list[list[CircuitInstruction]] = [[]]
    run: list[tuple[int, int]] = []

    def close() -> bool:
        nonlocal order, run
        if not run:
            return True
        cycle = tuple(c for c, _ in run)
        ok = (
            len(run) == n
            and len(set(cycle)) == n
            and all(run[k][1] == run[(k + 1) % n][0] for k in range(n))
            and (order is None or cycle == order)
        )
        order, run = (cycle if ok else order), []
        segments.append([])
        return ok

    for inst in circuit.data:
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if inst.clbits or inst.operation.name in ("barrier", "measure", "reset", "delay"):
            return None
        if inst.operation.name == "cx" and len(qubits) == 2:
            run.append((qubits[0], qubits[1]))
        elif len(qubits) == 1:
            if not close():
                return None
            segments[-1].append(inst)
        else:
            return None
    if not close() or order is None:
        return None
    return order, segments


def folded(n: int) -> list[int]:
    """The folded placement: wire -> ring position ``0, 1, n-1, 2, n-2, ...``."""
    rest, out, front = list(range(1, n)), [0], True
    while rest:
        out.append(rest.pop(0) if front else rest.pop())
        front = not front
    return out


def _families(n: int) -> list[Moves]:
    def down(a: int, b: int) -> list[tuple[int, int]]:
        return [(i, i - 1) for i in range(a, b - 1, -1)]

    def up(a: int, b: int) -> list[tuple[int, int]]:
        return [(i, i + 1) for i in range(a, b + 1)]

    base = [
        [(0, 1), *down(n - 1, 2), *up(1, n - 2), (1, 0)],
        [*down(n - 1, 2), (1, 2), (0, 1), (1, 2), *up(2, n - 2), (1, 0)],
        [(1, 2), (0, 1), (1, 2), *down(n - 1, 3), *up(2, n - 2), (2, 1), (1, 0)],
        [*down(n - 1, 2), (1, 2), (0, 1), (2, 3), (1, 2), *up(3, n - 2), (1, 0)],
        [*down(n - 1, 3), (2, 3), (2, 1), (1, 2), (0, 1), (1, 2), *up(2, n - 2), (1, 0)],
    ]
    mirrored = [[(n - 1 - c, n - 1 - t) for c, t in moves] for moves in base]
    return [tuple(m) for m in base + mirrored]


def ring_outputs(n: int) -> list[int]:
    """The ring block's outputs as bit masks over ring positions (``y_0``, ``y_1``...)."""
    return [(1 << n) - 2] + [(1 << (k + 1)) - 1 for k in range(1, n)]


def apply_block(place: Sequence[int], moves: Moves) -> list[int] | None:
    """The placement after ``moves`` if they realise one ring block from ``place``, else None.

    ``place[w]``: the ring position on wire ``w``; simulated over GF(2).
    """
    rows = [1 << p for p in place]
    for c, t in moves:
        rows[t] ^= rows[c]
    goal = ring_outputs(len(place))
    if sorted(rows) != sorted(goal):
        return None
    return [goal.index(r) for r in rows]


def _plan(place: list[int], blocks: int, families: list[Moves]) -> tuple[int, Moves | None]:
    """Fewest CNOTs for the next ``blocks`` blocks from ``place`` and the first block's moves."""
    if blocks == 0:
        return 0, ()
    best: tuple[int, Moves | None] = (1 << 30, None)
    for moves in families:
        after = apply_block(place, moves)
        if after is None:
            continue
        rest, _ = _plan(after, blocks - 1, families)
        if rest + len(moves) < best[0]:
            best = (rest + len(moves), moves)
    return best


def _unfold(place: list[int], goal: list[int]) -> list[tuple[int, int]]:
    """Adjacent transpositions (odd-even sort) taking ``place`` to ``goal``."""
    rank = {p: i for i, p in enumerate(goal)}
    cur, swaps = list(place), []
    for sweep in range(len(cur)):
        for w in range(sweep % 2, len(cur) - 1, 2):
            if rank[cur[w]] > rank[cur[w + 1]]:
                cur[w], cur[w + 1] = cur[w + 1], cur[w]
                swaps.append((w, w + 1))
    assert cur == goal
    return swaps


def ring_on_path(circuit: QuantumCircuit) -> RingOnPath | None:
    """``circuit`` re-synthesised on a path of its width, or None if it is not a ring circuit.

    The result acts on the path wires as ``circuit`` acts on its qubits, up to the qubit
    permutation ``initial`` / ``final`` records.
    """
    found = ring_structure(circuit)
    if found is None:
        return None
    order, segments = found
    n = circuit.num_qubits
    position = {q: k for k, q in enumerate(order)}  # logical qubit -> ring position
    families = _families(n)
    place = folded(n)
    initial = tuple(place.index(position[q]) for q in range(n))
    out = QuantumCircuit(n, name=circuit.name, global_phase=circuit.global_phase)
    out.metadata = dict(circuit.metadata or {})
    blocks = len(segments) - 1
    for b, segment in enumerate(segments):
        for inst in segment:
            q = circuit.find_bit(inst.qubits[0]).index
            out.append(inst.operation, [place.index(position[q])])
        if b == blocks:
            break
        _, moves = _plan(place, min(_LOOKAHEAD, blocks - b), families)
        if moves is None:  # no family applies: back to the folded placement first
            for w, v in _unfold(place, folded(n)):
                out.swap(w, v)
            place = folded(n)
            _, moves = _plan(place, min(_LOOKAHEAD, blocks - b), families)
            assert moves is not None
        for c, t in moves:
            out.cx(c, t)
        after = apply_block(place, moves)
        assert after is not None
        place = after
    final = tuple(place.index(position[q]) for q in range(n))
    return RingOnPath(out, initial, final, blocks)
