"""Batched construction of every single-qubit matrix of a plan in a few tensor ops.

A circuit's single-qubit gates come as *entries*: the gate sequence one qubit gets in one
operation (the product-state prefix, a layer). A bank builds all entries' 2x2 products at
once (one kernel call per gate kind and position in the sequences), then the kron-ed
chunk matrices of all layers at once (one gather and ``k - 1`` broadcast products per
chunk size), so the cost in tensor operations does not grow with the number of layers.

Example:
    >>> import numpy as np, torch
    >>> from qmlsec.engine.lowering import PrimitiveGate
    >>> x = PrimitiveGate("x", (0,), matrix=np.array([[0, 1], [1, 0]], dtype=complex))
    >>> bank = OneQubitBank(torch.complex128)
    >>> e = bank.add_entry([x])
    >>> c = bank.add_chunk([e, None])  # X on the high qubit, identity on the low one
    >>> mats, chunks = bank.build(torch.zeros(1, 0))
    >>> chunks[c][0].real.int().tolist()
    [[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from qmlsec.engine.gates import KERNELS
from qmlsec.engine.lowering import PrimitiveGate

Slot = list[tuple[str, torch.Tensor, torch.Tensor]]  # (kind, entries, angles or matrices)


class OneQubitBank:
    """Entries (single-qubit gate sequences) and chunks (kron of entries) of a plan."""

    def __init__(self, dtype: torch.dtype, varying: np.ndarray | None = None) -> None:
        self.dtype = dtype
        self.varying = varying  # (G,) bool: angles that differ per row (input-dependent)
        self.entries: list[list[PrimitiveGate]] = []
        self.chunks: list[list[int | None]] = []
        self.diagonals: set[int] = set()  # chunks kept as their diagonals (b, 2**k)
        self._slots: list[Slot] | None = None
        self.eye = torch.eye(2, dtype=dtype)

    def add_entry(self, gates: Sequence[PrimitiveGate]) -> int:
        """Register a gate sequence (applied first to last); returns its entry id."""
        self.entries.append(list(gates))
        self._slots = None
        return len(self.entries) - 1

    def add_chunk(self, entries: Sequence[int | None]) -> int:
        """Register a kron of entries, most significant qubit first (None = identity)."""
        self.chunks.append(list(entries))
        return len(self.chunks) - 1

    def add_diagonal(self, entries: Sequence[int | None]) -> int:
        """Register the kron of diagonal entries' diagonals (b, 2**k), as ``add_chunk``."""
        self.diagonals.add(self.add_chunk(entries))
        return len(self.chunks) - 1

    @property
    def angles(self) -> tuple[int, ...]:
        """Angle indices used by the bank."""
        return tuple(g.angle for seq in self.entries for g in seq if g.angle is not None)

    def _compile(self) -> list[Slot]:
        depth = max((len(seq) for seq in self.entries), default=0)
        dev = self.eye.device
        slots = []
        self._per_row: list[bool] = []
        self._phase: list[torch.Tensor | None] = []  # h of a slot that is one diagonal kind
        for s in range(depth):
            groups: dict[str, tuple[list[int], list]] = {}
            for e, seq in enumerate(self.entries):
                if s < len(seq):
                    g = seq[s]
                    key = g.name if g.angle is not None else "const"
                    groups.setdefault(key, ([], []))
                    groups[key][0].append(e)
                    groups[key][1].append(g.angle if g.angle is not None else g.matrix)
            slot = []
            for key, (where, items) in groups.items():
                data = (
                    torch.as_tensor(np.stack(items), dtype=self.dtype, device=dev)[None]
                    if key == "const"
                    else torch.tensor(items, dtype=torch.long, device=dev)
                )
                slot.append((key, torch.tensor(where, dtype=torch.long, device=dev), data))
            slots.append(slot)
            kernel = KERNELS.get(slot[0][0])
            whole = len(slot) == 1 and len(slot[0][1]) == len(self.entries)
            diag = kernel.diag if whole and kernel is not None else None
            real = self.eye.real.dtype
            self._phase.append(
                None if diag is None else torch.as_tensor(diag, dtype=real, device=dev)
            )
            varying = self.varying
            self._per_row.append(
                varying is None
                or any(
                    k != "const" and any(varying[a] for a in items[1])
                    for k, items in groups.items()
                )
            )
        self._by_size: dict[int, tuple[list[int], torch.Tensor]] = {}
        for c, members in enumerate(self.chunks):
            size = -len(members) if c in self.diagonals else len(members)  # < 0: diagonals
            ids, _ = self._by_size.setdefault(size, ([], torch.empty(0)))
            ids.append(c)
        for k, (ids, _) in self._by_size.items():
            table = [[len(self.entries) if e is None else e for e in self.chunks[c]] for c in ids]
            self._by_size[k] = (ids, torch.tensor(table, dtype=torch.long, device=dev))
        self._phase_maps = {k: self._phase_map(k) for k in self._by_size if k < 0}
        return slots

    def _phase_map(self, size: int) -> tuple[torch.Tensor, ...] | None:
        """Diagonal chunks of ``k = -size`` qubits as phases, when every entry is one
        one-angle diagonal gate (the RZ layers peeled off entangling rings): the chunk is
        ``exp(i (sum_j a_j h0_j + sum_j a_j d_j bit_j))``: two small products (the high
        and the low half of the factors, so the bit tables stay at ``2**(k/2)`` columns),
        one broadcast sum and one exponential instead of a kron of ``k`` diagonals; one
        product up to 12 qubits. Returns the angle index, ``h0`` and ``d`` of every
        factor (C, k) and the bits of the high and the low half (k_h, 2**k_h),
        (k - k_h, 2**(k - k_h)) (``k_h`` 0 up to 12 qubits), or None."""
        ids, _ = self._by_size[size]
        k = -size
        idx, h0, d = (
            np.zeros((len(ids), k), dtype=int),
            np.zeros((len(ids), k)),
            np.zeros((len(ids), k)),
        )
        for ci, c in enumerate(ids):
            for j, e in enumerate(self.chunks[c]):
                if e is None:
                    continue
                seq = self.entries[e]
                kernel = KERNELS.get(seq[0].name) if len(seq) == 1 else None
                if kernel is None or kernel.diag is None or seq[0].angle is None:
                    return None
                idx[ci, j], h0[ci, j], d[ci, j] = (
                    seq[0].angle,
                    kernel.diag[0],
                    kernel.diag[1] - kernel.diag[0],
                )

        k_hi = k // 2 if k > 12 else 0  # one table up to 12 qubits (at most 393 KB)

        def bits(m: int) -> np.ndarray:  # (m, 2**m), factor 0 most significant
            return (np.arange(2**m)[None, :] >> np.arange(m - 1, -1, -1)[:, None]) & 1

        dev, real = self.eye.device, self.eye.real.dtype
        return (
            torch.as_tensor(idx, device=dev),
            *(torch.as_tensor(t, dtype=real, device=dev)
              for t in (h0, d, bits(k_hi), bits(k - k_hi))),
        )  # fmt: skip

    def _slot_mats(self, slot: Slot, angles: torch.Tensor) -> torch.Tensor:
        """One slot's matrices (b, E, 2, 2) (b = 1 when all are constant)."""
        b, n_entries = angles.shape[0], len(self.entries)
        parts = [
            (where, data if key == "const" else KERNELS[key].matrix(angles[:, data], self.dtype))
            for key, where, data in slot
        ]
        if len(parts) == 1 and len(parts[0][0]) == n_entries:
            return parts[0][1]
        mats = self.eye.repeat(b, n_entries, 1, 1)
        for where, part in parts:
            mats = mats.index_put(
                (torch.arange(b, device=where.device)[:, None], where[None]),
                part.expand(b, -1, -1, -1),
            )
        return mats

    def first_columns(
        self, angles: torch.Tensor, shared: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Every entry's product applied to ``|0>``: (b, E, 2), b = 1 when constant.

        Gate by gate on 2-vectors (a product and a sum each), never a 2x2 matrix product
        on a row. With ``shared`` (1, G) angles, runs of gate positions that no input
        changes (the bank's ``varying`` mask) are multiplied into one 2x2 matrix per
        entry, once for the batch, and applied to the rows in one product; a position
        holding one diagonal gate on every entry (RZ(x) encodings) is a phase product.
        """
        if self._slots is None:
            self._slots = self._compile()
        v = self.eye[:, 0].expand(1, len(self.entries), 2)
        fold: torch.Tensor | None = None  # shared positions not yet applied to v
        for slot, per_row, h in zip(self._slots, self._per_row, self._phase, strict=True):
            if shared is not None and not per_row:
                m = self._slot_mats(slot, shared)
                fold = m if fold is None else m @ fold
                continue
            if fold is not None:
                v, fold = (fold * v[..., None, :]).sum(-1), None
            if h is not None:  # one diagonal gate kind on every entry: a phase product
                arg = angles[:, slot[0][2], None] * h
                v = v * torch.polar(torch.ones_like(arg), arg)
            else:
                v = (self._slot_mats(slot, angles) * v[..., None, :]).sum(-1)
        return v if fold is None else (fold * v[..., None, :]).sum(-1)

    def build(self, angles: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Entry matrices (b, E + 1, 2, 2) (last: identity) and chunk matrices (b, K, K).

        Diagonal chunks (``add_diagonal``) come as their diagonals (b, K), every one of a
        size in the same few products.
        """
        if self._slots is None:
            self._slots = self._compile()
        b, n_entries = angles.shape[0], len(self.entries)
        acc: torch.Tensor | None = None
        for slot in self._slots:
            mats = self._slot_mats(slot, angles).expand(b, -1, -1, -1)
            acc = mats if acc is None else mats @ acc
        if acc is None:
            acc = self.eye.expand(b, n_entries, 2, 2)
        mats = torch.cat([acc, self.eye.expand(acc.shape[0], 1, 2, 2)], dim=1)
        chunks: list[torch.Tensor] = [self.eye] * len(self.chunks)
        for size, (ids, table) in self._by_size.items():
            phase_map = self._phase_maps.get(size)
            if phase_map is not None:
                idx, h0, d, hi, lo = phase_map
                a = angles[:, idx]  # (b, C, k)
                ad, k_hi = a * d, hi.shape[0]
                phase = (ad[..., k_hi:] @ lo) + (a * h0).sum(-1, keepdim=True)
                if k_hi:  # (b, C, 2**k_hi, 2**k_lo) flattened, high half most significant
                    phase = ((ad[..., :k_hi] @ hi)[..., :, None] + phase[..., None, :]).flatten(-2)
                diag = torch.polar(torch.ones_like(phase), phase)
                for c, t in zip(ids, diag.unbind(1), strict=True):
                    chunks[c] = t
                continue
            g = mats[:, table]  # (b, C, k, 2, 2)
            m = _kron(g.diagonal(dim1=-2, dim2=-1) if size < 0 else g)  # < 0: diagonals
            for c, t in zip(ids, m.unbind(1), strict=True):
                chunks[c] = t
        return mats, chunks


def _kron(g: torch.Tensor) -> torch.Tensor:
    """Kron over axis 2, factor 0 most significant: matrices (b, C, k, 2, 2) ->
    (b, C, 2**k, 2**k), or 2-vectors (b, C, k, 2) -> (b, C, 2**k)."""
    m = g[:, :, 0]
    for j in range(1, g.shape[2]):
        f = g[:, :, j]
        if g.ndim == 4:
            m = (m[..., :, None] * f[..., None, :]).reshape(*m.shape[:2], -1)
        else:
            dim = m.shape[-1] * 2
            m = (m[..., :, None, :, None] * f[..., None, :, None, :]).reshape(
                *m.shape[:2], dim, dim
            )
    return m
