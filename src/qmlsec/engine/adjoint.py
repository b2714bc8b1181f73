"""Backward passes through the state evolution: autograd, stored, adjoint.

- ``autograd``: plain torch autograd through every kernel (the reference).
- ``stored``: a custom ``autograd.Function`` that keeps each step's input state and
  applies the kernels' explicit vector-Jacobian products (no broadcast copies).
- ``adjoint``: keeps only the final state; the backward walks the steps in reverse, as
  ``lightning.qubit``'s adjoint method does, uncomputing the state
  (``psi_in = U^dagger psi_out``) next to the co-state (``lam_in = U^dagger lam_out``), so
  memory stays at a few states whatever the depth.

The adjoint mode (and any run without gradients) walks the batch in blocks of
``block`` columns: a block of the initial product state is built from its two small
factors (:class:`~qmlsec.engine.kernels.Outer`) in a buffer that stays in the CPU cache
while every step, or every reversed step, is applied to it; the factors' and the step
tensors' gradients are summed over the blocks. The only full-size tensors are the
output and its co-state, whatever the depth. Steps write into two block buffers (two
pair buffers in the backward pass) allocated once per evolution (``apply_into``,
``back_into`` of :mod:`qmlsec.engine.kernels`), so no step asks the system for fresh
pages; steps without that support (dense gates, per-row matrices) return new tensors.
The block and pair buffers are kept between evolutions (a per-thread :class:`Scratch`
pool), so a training loop does not fault in fresh pages for them at every step; only
the output, which the caller keeps, is new memory.

In all modes the gradients reach the steps' tensors (kron matrices, phase vectors) and
flow from there to the angles, x and theta by ordinary autograd.

Example:
    >>> import torch
    >>> from qmlsec.circuits import QNNSpec
    >>> from qmlsec.engine import compile_circuit
    >>> cc = compile_circuit(QNNSpec(n_qubits=3, layers=2).build(), backward="adjoint")
    >>> theta = torch.rand(cc.n_weights, dtype=torch.float64, requires_grad=True)
    >>> cc.expectations(torch.rand(4, 3, dtype=torch.float64), theta).sum().backward()
    >>> theta.grad.shape
    torch.Size([12])
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import torch

from qmlsec.engine.kernels import Outer, Step
from qmlsec.engine.ops import Steps, run

Factors = tuple[torch.Tensor, torch.Tensor]


class Scratch(threading.local):
    """Buffers kept between evolutions of one thread: each at most ``largest`` bytes,
    at most ``limit`` bytes in all.

    ``take`` hands out a kept buffer of the same shape, dtype and device (or a new
    one) and forgets it, so a buffer is never shared; ``give`` keeps it for the next
    ``take``. Past the limit, the buffers kept longest are dropped. Large buffers are
    not kept: fresh pages cost little next to the work on them, and a kept buffer of a
    large register would add to the peak memory.

    Example:
        >>> pool = Scratch()
        >>> a = pool.take((4, 4), torch.complex128, torch.device("cpu"))
        >>> pool.give(a)
        >>> pool.take((4, 4), torch.complex128, torch.device("cpu")) is a
        True
    """

    def __init__(self, limit: int = 64 * 2**20, largest: int = 4 * 2**20) -> None:
        self.limit, self.largest = limit, largest
        self.kept: list[torch.Tensor] = []

    def take(
        self, shape: tuple[int, ...], dtype: torch.dtype, device: torch.device
    ) -> torch.Tensor:
        """A buffer of ``shape`` (kept, or new); contents undefined."""
        for i, t in enumerate(self.kept):
            if t.shape == shape and t.dtype == dtype and t.device == device:
                return self.kept.pop(i)
        return torch.empty(shape, dtype=dtype, device=device)

    def give(self, *bufs: torch.Tensor) -> None:
        """Keep ``bufs`` for later ``take`` calls (dropping the oldest past the limit)."""
        self.kept.extend(b for b in bufs if b.numel() * b.element_size() <= self.largest)
        size = 0
        for i in range(len(self.kept) - 1, -1, -1):
            size += self.kept[i].numel() * self.kept[i].element_size()
            if size > self.limit:
                del self.kept[: i + 1]
                break


SCRATCH = Scratch()


def evolve(factors: Factors, batch: int, steps: Steps, mode: str, block: int = 0) -> torch.Tensor:
    """States (2**n, batch) after ``steps`` from the product state of ``factors``.

    Args:
        factors: the initial product state's high and low factors (see ``Outer``).
        batch: number of states.
        steps: kernels with their tensors.
        mode: ``autograd``, ``stored`` or ``adjoint``.
        block: columns per block of the adjoint mode and of gradient-free runs
            (0: the whole batch at once).
    """
    kernels = [s for s, _ in steps]
    params = [p for _, p in steps]
    block = block if 0 < block < batch else batch
    if not torch.is_grad_enabled():
        return run_blocked(factors, batch, kernels, params, block)
    if mode == "autograd":
        return run(Outer.build(*factors, batch), steps)
    if mode == "stored":
        return _Stored.apply(Outer.build(*factors, batch), kernels, *params)
    return _Adjoint.apply(batch, kernels, block, *factors, *params)


def _cols(kernel: Step | None, p: torch.Tensor | None, cols: slice) -> torch.Tensor | None:
    """The part of a step tensor (or factor) that acts on the columns ``cols``."""
    if p is None or (kernel is not None and not kernel.per_column):
        return p
    if kernel is None:  # a factor (rows, b): columns last
        return p if p.shape[1] == 1 else p[:, cols]
    return p if p.shape[0] == 1 else p[cols]


def _blocks(batch: int, block: int) -> list[slice]:
    return [slice(c, min(c + block, batch)) for c in range(0, batch, block)]


def run_blocked(
    factors: Factors,
    batch: int,
    kernels: list[Step],
    params: list[torch.Tensor | None],
    block: int,
    on_block: Callable[[torch.Tensor, slice, torch.Tensor], None] | None = None,
) -> torch.Tensor:
    """Apply the kernels block by block of ``block`` columns.

    ``on_block(state, cols, scratch)`` sees each block's final states (and a free
    buffer of the same size) before they are stored.
    """
    a, b = factors
    size = a.shape[0] * b.shape[0]
    width = min(block, batch)
    dtype = torch.promote_types(a.dtype, b.dtype)
    bufs = tuple(SCRATCH.take((size, width), dtype, a.device) for _ in range(2))
    rows: torch.Tensor | None = None  # (batch, 2**n): each block is contiguous
    for cols in _blocks(batch, width):
        s = _evolve_block(a, b, kernels, params, cols, bufs)
        if on_block is not None:
            on_block(s, cols, _part(_other(bufs, s), cols.stop - cols.start))
        if width >= batch:  # the output is one of the buffers: the caller keeps it
            SCRATCH.give(*(t for t in bufs if not _shares(t, s)))
            return s
        if rows is None:
            rows = s.new_empty(batch, size)
        rows[cols] = s.T
    SCRATCH.give(*bufs)
    assert rows is not None
    return rows.T


def _evolve_block(
    a: torch.Tensor,
    b: torch.Tensor,
    kernels: list[Step],
    params: list[torch.Tensor | None],
    cols: slice,
    bufs: tuple[torch.Tensor, ...],
) -> torch.Tensor:
    """The columns ``cols`` evolved in the two buffers ``bufs`` (the result lives in one
    of them, unless a step without buffer support allocated it)."""
    c = cols.stop - cols.start
    s = Outer.build_into(_cols(None, a, cols), _cols(None, b, cols), _part(bufs[0], c))  # type: ignore[arg-type]
    for k, p in zip(kernels, params, strict=True):
        s = k.apply_into(s, _cols(k, p, cols), _part(_other(bufs, s), c))  # type: ignore[arg-type]
    return s


def _part(buf: torch.Tensor, cols: int) -> torch.Tensor:
    """The leading part of a buffer (..., C) viewed as a contiguous (..., cols) tensor."""
    shape = (*buf.shape[:-1], cols)
    return buf.view(-1)[: buf[..., 0].numel() * cols].view(shape)


def _shares(buf: torch.Tensor, t: torch.Tensor) -> bool:
    """Whether ``t`` lives in the memory of ``buf``."""
    return t.untyped_storage().data_ptr() == buf.untyped_storage().data_ptr()


def _other(bufs: tuple[torch.Tensor, ...], t: torch.Tensor) -> torch.Tensor:
    """The buffer of the two that ``t`` does not live in."""
    return bufs[1] if _shares(bufs[0], t) else bufs[0]


def _cols_view(t: torch.Tensor, cols: slice) -> torch.Tensor:
    """The columns ``cols`` of ``t`` (2**n, B), a view."""
    return t.T[cols].T if t.stride(0) == 1 else t[:, cols]


class _Stored(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, state: torch.Tensor, kernels: list[Step], *params: torch.Tensor | None
    ) -> torch.Tensor:  # type: ignore[override]
        inputs = []
        for k, p in zip(kernels, params, strict=True):
            inputs.append(state)
            state = k.apply(state, p)
        ctx.kernels, ctx.n = kernels, len(kernels)
        ctx.save_for_backward(state, *params, *inputs)
        return state

    @staticmethod
    def backward(ctx: Any, lam: torch.Tensor) -> tuple[torch.Tensor | None, ...]:  # type: ignore[override]
        saved = ctx.saved_tensors
        n = ctx.n
        params, inputs = saved[1 : 1 + n], saved[1 + n :]
        outputs = [*inputs[1:], saved[0]]
        wants = ctx.needs_input_grad[2:]
        grads: list[torch.Tensor | None] = [None] * n
        for i in range(n - 1, -1, -1):
            k = ctx.kernels[i]
            lam, grads[i] = k.vjp(inputs[i], outputs[i], lam, params[i], bool(wants[i]))
        return (lam if ctx.needs_input_grad[0] else None, None, *grads)


class _Adjoint(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, batch: int, kernels: list[Step], block: int, *tensors: torch.Tensor | None
    ) -> torch.Tensor:  # type: ignore[override]
        a, b, *params = tensors
        assert a is not None and b is not None
        state = run_blocked((a, b), batch, kernels, params, block)
        ctx.kernels, ctx.block = kernels, block
        ctx.save_for_backward(state, *tensors)
        return state

    @staticmethod
    def backward(ctx: Any, lam: torch.Tensor) -> tuple[torch.Tensor | None, ...]:  # type: ignore[override]
        s_out, a, b, *params = ctx.saved_tensors
        kernels: list[Step] = ctx.kernels
        if torch.is_grad_enabled():
            return (None, None, None, *_recorded_vjp(s_out.shape[1], kernels, a, b, params, lam))
        if ctx.block < s_out.shape[1] and lam.stride(0) != 1:
            lam = lam.T.contiguous().T  # block columns contiguous, as the output's

        def seed(w: torch.Tensor, cols: slice) -> None:
            w[0].copy_(_cols_view(s_out, cols))  # the pair (state, co-state) of the block
            w[1].copy_(_cols_view(lam, cols))

        grads = _back_blocks(
            s_out, seed, kernels, a, b, params, ctx.needs_input_grad[3:], ctx.block
        )
        return (None, None, None, *grads)


def _back_blocks(
    s_out: torch.Tensor,
    seed: Callable[[torch.Tensor, slice], None],
    kernels: list[Step],
    a: torch.Tensor,
    b: torch.Tensor,
    params: list[torch.Tensor | None],
    needs: tuple[bool, ...],
    block: int,
) -> list[torch.Tensor | None]:
    """The adjoint pass over blocks of ``block`` columns of the final states ``s_out``.

    ``seed(w, cols)`` writes a block's pair: its states into ``w[0]``, its co-states into
    ``w[1]``. ``needs``: which of ``a, b, *params`` want gradients. Gradients of tensors
    shared by the columns are summed over the blocks, per-column ones placed.
    """
    n = len(kernels)
    wants = [bool(w) for w in needs[2:]]
    want_factors = bool(needs[0] or needs[1])
    grads: list[torch.Tensor | None] = [None] * (n + 2)
    tensors = [a, b, *params]
    steps: list[Step | None] = [None, None, *kernels]

    def add(j: int, g: torch.Tensor, cols: slice) -> None:
        p = tensors[j]
        assert p is not None
        if _cols(steps[j], p, cols) is p:
            grads[j] = g if grads[j] is None else grads[j].add_(g)  # type: ignore[union-attr]
            return
        if grads[j] is None:
            grads[j] = torch.zeros_like(p)
        if steps[j] is None:
            grads[j][:, cols] = g  # type: ignore[index]
        else:
            grads[j][cols] = g  # type: ignore[index]

    width = min(block, s_out.shape[1])
    pairs = tuple(
        SCRATCH.take((2, s_out.shape[0], width), s_out.dtype, s_out.device) for _ in range(2)
    )
    for cols in _blocks(s_out.shape[1], width):
        w = _part(pairs[0], cols.stop - cols.start)
        seed(w, cols)
        for j, g in _sweep_back(w, pairs, cols, kernels, a, b, params, wants, want_factors):
            add(j, g, cols)
    SCRATCH.give(*pairs)
    return grads


def _sweep_back(
    w: torch.Tensor,
    pairs: tuple[torch.Tensor, ...],
    cols: slice,
    kernels: list[Step],
    a: torch.Tensor,
    b: torch.Tensor,
    params: list[torch.Tensor | None],
    wants: list[bool],
    want_factors: bool,
) -> list[tuple[int, torch.Tensor]]:
    """One block's reversed sweep from its pair ``w`` (state, co-state) in ``pairs``.

    Returns ``(j, gradient)`` for the factors (``j`` 0, 1) and the steps (``2 + i``).
    """
    c = cols.stop - cols.start
    found = []
    for i in range(len(kernels) - 1, -1, -1):
        k = kernels[i]
        w, g = k.back_into(w, _cols(k, params[i], cols), wants[i], _part(_other(pairs, w), c))
        if g is not None:
            found.append((2 + i, g))
    if want_factors:
        ac, bc = _cols(None, a, cols), _cols(None, b, cols)
        ga, gb = Outer.vjp(ac, bc, w[1], _part(_other(pairs, w), c)[0])  # type: ignore[arg-type]
        found += [(0, ga), (1, gb)]
    return found


def read_out(
    factors: Factors, batch: int, steps: Steps, diag: torch.Tensor, block: int
) -> torch.Tensor:
    """Expectations ``diag^T |psi|^2`` (n_obs, batch) of the evolved states, with gradients.

    The blocked adjoint evolution and a diagonal readout in one function, so no batched
    co-state is ever allocated: the backward pass writes each block's co-state
    ``2 psi (diag g)`` next to its state in the pair it sweeps back. A batch that fits one
    block keeps its states in the first halves of two kept pair buffers (nothing batched
    is allocated or copied per step); a larger one stores each block's final states, as
    the adjoint mode does, and reads them out block by block.
    """
    kernels = [s for s, _ in steps]
    params = [p for _, p in steps]
    out: torch.Tensor = _Readout.apply(batch, kernels, diag, block, *factors, *params)
    return out


def _evolve_pairs(
    a: torch.Tensor,
    b: torch.Tensor,
    kernels: list[Step],
    params: list[torch.Tensor | None],
    batch: int,
) -> tuple[tuple[torch.Tensor, ...], int]:
    """Two kept pair buffers, the evolved states in the first half of ``pairs[home]``."""
    size, dtype = a.shape[0] * b.shape[0], torch.promote_types(a.dtype, b.dtype)
    pairs = tuple(SCRATCH.take((2, size, batch), dtype, a.device) for _ in range(2))
    halves = (pairs[0][0], pairs[1][0])
    s = _evolve_block(a, b, kernels, params, slice(0, batch), halves)
    if not any(_shares(h, s) for h in halves):  # the last step allocated its output
        s = halves[0].copy_(s)
    return pairs, 0 if _shares(pairs[0], s) else 1


def _probabilities_into(s: torch.Tensor, scratch: torch.Tensor) -> torch.Tensor:
    """``|s|^2`` (real, shaped as ``s``) in the memory of the complex buffer ``scratch``."""
    probs = torch.view_as_real(scratch).view(-1)[: s.numel()].view(s.shape)
    return torch.mul(s.real, s.real, out=probs).addcmul_(s.imag, s.imag)


class _Readout(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        batch: int,
        kernels: list[Step],
        diag: torch.Tensor,
        block: int,
        *tensors: torch.Tensor | None,
    ) -> torch.Tensor:
        a, b, *params = tensors
        assert a is not None and b is not None
        ctx.kernels, ctx.block, ctx.kept = kernels, block, None
        if batch <= block:
            ctx.save_for_backward(diag, None, *tensors)
            pairs, home = _evolve_pairs(a, b, kernels, params, batch)
            ctx.kept = (pairs, home)
            return diag.T @ _probabilities_into(pairs[home][0], pairs[1 - home])
        out = a.real.new_empty(batch, diag.shape[1])  # rows: each block's part contiguous

        def read(s: torch.Tensor, cols: slice, scratch: torch.Tensor) -> None:
            torch.mm(_probabilities_into(s, scratch).T, diag, out=out[cols])

        final = run_blocked((a, b), batch, kernels, params, block, on_block=read)
        ctx.save_for_backward(diag, final, *tensors)
        return out.T

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[torch.Tensor | None, ...]:  # type: ignore[override]
        diag, states, a, b, *params = ctx.saved_tensors
        kernels: list[Step] = ctx.kernels
        batch = g.shape[1]
        none = (None, None, None, None)
        if torch.is_grad_enabled():  # double backward: record the evolution again
            return (*none, *_recorded_vjp(batch, kernels, a, b, params, g, diag))
        needs = ctx.needs_input_grad[4:]
        if states is not None:

            def seed(w: torch.Tensor, cols: slice) -> None:
                w[0].copy_(_cols_view(states, cols))
                _costate(w[0], w[1], diag, g[:, cols])

            return (*none, *_back_blocks(states, seed, kernels, a, b, params, needs, ctx.block))
        kept, ctx.kept = ctx.kept, None  # a second backward (retained graph) evolves again
        wants = [bool(x) for x in needs[2:]]
        want_factors = bool(needs[0] or needs[1])
        grads: list[torch.Tensor | None] = [None] * (len(kernels) + 2)
        pairs, home = kept or _evolve_pairs(a, b, kernels, params, batch)
        w = pairs[home]
        _costate(w[0], w[1], diag, g)
        swept = _sweep_back(w, pairs, slice(0, batch), kernels, a, b, params, wants, want_factors)
        for j, gj in swept:
            grads[j] = gj
        SCRATCH.give(*pairs)
        return (*none, *grads)


def _costate(psi: torch.Tensor, lam: torch.Tensor, diag: torch.Tensor, g: torch.Tensor) -> None:
    """``lam = 2 psi (diag g)``: the readout's co-state, written into ``lam``."""
    weights = (diag @ g).mul_(2)
    torch.mul(torch.view_as_real(psi), weights[..., None], out=torch.view_as_real(lam))


def _recorded_vjp(
    batch: int,
    kernels: list[Step],
    a: torch.Tensor,
    b: torch.Tensor,
    params: list[torch.Tensor | None],
    lam: torch.Tensor,
    diag: torch.Tensor | None = None,
) -> list[torch.Tensor | None]:
    """The adjoint pass's gradients as a recorded graph, for a double backward.

    With ``create_graph=True`` (e.g. gradient inversion differentiates a weight gradient)
    the backward pass itself is differentiated, so it re-runs the evolution under
    autograd from the saved factors and step tensors instead of the in-place sweep.
    With ``diag`` the output is the readout ``diag^T |psi|^2`` (``lam``: its gradient).
    """
    tensors = [a, b, *params]
    state = run(Outer.build(a, b, batch), list(zip(kernels, params, strict=True)))
    if diag is not None:
        state = diag.T @ (state.real.square() + state.imag.square())
    wanted = [t for t in tensors if t is not None and t.requires_grad]
    found = iter(torch.autograd.grad(state, wanted, lam, create_graph=True, allow_unused=True))
    return [next(found) if t is not None and t.requires_grad else None for t in tensors]
