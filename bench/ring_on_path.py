"""Fewest CNOTs that realise one CNOT-ring block of the QNN on a path of physical qubits.

Heavy-hex devices have no cycle shorter than 12, so 8 connected physical qubits form a
tree, and a path is the common case. One ring block ``CX(0,1) CX(1,2) ... CX(n-2,n-1)
CX(n-1,0)`` is a linear map over GF(2); this breadth-first search applies
nearest-neighbour CNOTs on a path of ``n`` qubits, with the logical qubits placed in
*any* order and the outputs allowed to end in *any* order (the final layout absorbs a
permutation), and reports the first depth at which some sequence realises the block.
Exhaustive up to ``--max-states`` distinct states (each a tuple of ``n`` row bitmasks).

Found: 6, 8, 10 CNOTs for 4, 5, 6 qubits (2n-2, from the folded placement), none
within 9 for 8 qubits. :mod:`qmlsec.cloud.ring_synthesis` generalises the optimal
sequences (2n-2 for the first block, 2n-1 for the next ones from the placement the
previous block leaves): 14 + 15 + 15 = 44 CNOTs for the 8-qubit, 3-layer victim, where
level-0 routing gives 99-114 two-qubit gates. A third of those (33-38) is below three
blocks of 2n-2 = 14 CNOTs, if that minimum holds at 8 qubits (the search shows only
that 9 do not suffice), so no path synthesis of all three blocks reaches it.

Run: ``python bench/ring_on_path.py --qubits 8 --max-states 3000000`` (about 1 GB);
``--qubits 6 --show`` prints the optimal placements and sequences that
:mod:`qmlsec.cloud.ring_synthesis` generalises.
"""

from __future__ import annotations

import argparse
import itertools
import time


def ring_rows(n: int) -> list[frozenset[int]]:
    """Output parities of one ring block: y_0 = x_1..x_{n-1}, y_k = x_0..x_k."""
    return [frozenset(range(1, n))] + [frozenset(range(k + 1)) for k in range(1, n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qubits", type=int, default=8)
    parser.add_argument("--max-states", type=int, default=3_000_000)
    parser.add_argument(
        "--show", action="store_true", help="print each optimal placement and CNOT sequence"
    )
    args = parser.parse_args()
    n = args.qubits
    goals: dict[frozenset[int], tuple[int, ...]] = {}
    for place in itertools.permutations(range(n)):  # wire w holds logical place[w]
        wire = {logical: w for w, logical in enumerate(place)}
        goals.setdefault(frozenset(sum(1 << wire[q] for q in row) for row in ring_rows(n)), place)
    moves = [(i, i + 1) for i in range(n - 1)] + [(i + 1, i) for i in range(n - 1)]
    start = tuple(1 << w for w in range(n))
    # state -> (previous state, move), kept only with --show
    seen: dict[tuple[int, ...], tuple[tuple[int, ...], tuple[int, int]] | None] = {start: None}
    front, depth, t0 = [start], 0, time.perf_counter()
    while front and len(seen) < args.max_states:
        depth += 1
        nxt = []
        for state in front:
            for control, target in moves:
                rows = list(state)
                rows[target] ^= rows[control]
                new = tuple(rows)
                if new not in seen:
                    seen[new] = (state, (control, target)) if args.show else None
                    nxt.append(new)
        front = nxt
        hits = [s for s in front if frozenset(s) in goals]
        found = bool(hits)
        print(f"depth {depth}: {len(front)} new states, {len(seen)} in all, "
              f"{time.perf_counter() - t0:.1f} s, ring block realised: {found}")  # fmt: skip
        if found:
            for state in hits if args.show else []:
                sequence, at = [], state
                while (link := seen[at]) is not None:
                    at, move = link
                    sequence.append(move)
                print(f"placement (wire -> logical) {goals[frozenset(state)]}: "
                      f"CNOTs (control wire, target wire) {sequence[::-1]}")  # fmt: skip
            return
    print(f"no sequence of <= {depth} CNOTs realises the block (state cap reached)")


if __name__ == "__main__":
    main()
