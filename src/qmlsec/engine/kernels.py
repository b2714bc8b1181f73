"""State kernels: apply, undo and differentiate one step on a batch of states.

States are stored column-major, ``(2**n, B)`` (amplitude index first, batch last), so a
permutation gathers contiguous rows and a matrix shared by the batch on ``k`` qubits is
one wide GEMM. A step has one tensor parameter ``p`` whose leading dimension is 1 (shared
by the batch) or ``B`` (per sample). Besides ``apply`` each step has ``adjoint`` (apply
the inverse) and ``vjp``: given the step's input and output states and the co-state
``lam`` (gradient w.r.t. the output, torch's complex convention), it returns the co-state
of the input ``U^dagger lam`` and the gradient w.r.t. ``p``. The explicit VJPs avoid
autograd's copies; :class:`DenseStep` falls back to local autograd for ``p``.

Example:
    >>> import torch
    >>> step = Chunk(n=1, lo=0, k=1)
    >>> x = torch.tensor([[[0, 1], [1, 0]]], dtype=torch.complex128)
    >>> step.apply(torch.tensor([[1], [0]], dtype=torch.complex128), x).real.flatten().tolist()
    [0.0, 1.0]
"""

from __future__ import annotations

import torch

Grad = torch.Tensor | None


class Step:
    """Base class of state kernels (states are (2**n, B)).

    Attributes:
        per_column: whether a leading dimension ``B`` of the step tensor follows the
            state's columns (False for tensors that never carry a batch dimension).
    """

    per_column = True

    def apply(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        """Apply to states."""
        raise NotImplementedError

    def adjoint(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        """Apply the inverse to states."""
        raise NotImplementedError

    def vjp(
        self,
        s_in: torch.Tensor,
        s_out: torch.Tensor,
        lam: torch.Tensor,
        p: torch.Tensor | None,
        want: bool,
    ) -> tuple[torch.Tensor, Grad]:
        """Co-state of the input and the gradient of ``p`` (None unless ``want``)."""
        return self.adjoint(lam, p), None

    def back(
        self, w: torch.Tensor, p: torch.Tensor | None, want: bool
    ) -> tuple[torch.Tensor, Grad]:
        """One adjoint-method step on a pair ``w = (state, co-state)`` (2, 2**n, C).

        Returns the pair at the step's input (the state uncomputed, the co-state
        pulled back) and the gradient of ``p``; kernels override it to treat both
        halves in one call.
        """
        s_in = self.adjoint(w[0], p)
        lam_in, g = self.vjp(s_in, w[0], w[1], p, want)
        return torch.stack([s_in, lam_in]), g

    def apply_into(
        self, s: torch.Tensor, p: torch.Tensor | None, out: torch.Tensor
    ) -> torch.Tensor:
        """``apply``, writing into the buffer ``out`` (shaped as ``s``, not ``s``) where it can.

        Returns the result: ``out``, ``s`` itself or a new tensor.
        """
        return self.apply(s, p)

    def back_into(
        self, w: torch.Tensor, p: torch.Tensor | None, want: bool, out: torch.Tensor
    ) -> tuple[torch.Tensor, Grad]:
        """``back``, reusing the buffer ``out`` (and, when it is contiguous, ``w``).

        Returns the pair (``out``, ``w`` or a new tensor) and the gradient of ``p``.
        """
        return self.back(w, p, want)


def _left_into(m: torch.Tensor, x: torch.Tensor, out: torch.Tensor) -> None:
    """``out[h] = m @ x[h]`` for (hi, K, N) tensors, as ``_left`` but into ``out``."""
    if x.shape[0] == 1:
        torch.mm(m, x[0], out=out[0])
    else:
        torch.bmm(m.expand(x.shape[0], -1, -1), x, out=out)


def _dagger(p: torch.Tensor) -> torch.Tensor:
    return p.conj().transpose(-1, -2)


def _left(m: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``m @ x[h]`` for every ``h`` of ``x`` (hi, K, N) as one GEMM or a batched GEMM.

    (``torch.matmul`` would fold this into a transposed GEMM with two copies of ``x``.)
    """
    if x.shape[0] == 1:
        return torch.mm(m, x[0])[None]
    return torch.bmm(m.expand(x.shape[0], -1, -1), x)


class Chunk(Step):
    """A (b, K, K) matrix on the ``k`` contiguous qubits starting at qubit ``lo``."""

    def __init__(self, n: int, lo: int, k: int) -> None:
        self.size, self.hi, self.low = 2**k, 2 ** (n - lo - k), 2**lo

    def _split(self, s: torch.Tensor) -> torch.Tensor:  # (B, hi, K, low) view
        return s.reshape(self.hi, self.size, self.low, -1).permute(3, 0, 1, 2)

    def _merge(self, t: torch.Tensor) -> torch.Tensor:
        return t.permute(1, 2, 3, 0).reshape(self.hi * self.size * self.low, -1)

    def apply(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        if p.shape[0] == 1:
            if self.low == 1 and s.shape[1] == 1:  # one state: rows of K amplitudes
                return torch.mm(s.view(self.hi, self.size), p[0].T).view(s.shape)
            return _left(p[0], s.reshape(self.hi, self.size, -1)).reshape(s.shape)
        return self._merge(torch.matmul(p[:, None], self._split(s)))

    def adjoint(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        return self.apply(s, _dagger(p))

    def _shared_into(
        self, s: torch.Tensor, m: torch.Tensor, out: torch.Tensor, hi: int
    ) -> torch.Tensor:
        """A shared (K, K) matrix on contiguous states whose rows split as (hi, K, low)."""
        if self.low == 1 and s.shape[-1] == 1:
            torch.mm(s.view(hi, self.size), m.T, out=out.view(hi, self.size))
        else:
            _left_into(m, s.view(hi, self.size, -1), out.view(hi, self.size, -1))
        return out

    def apply_into(
        self, s: torch.Tensor, p: torch.Tensor | None, out: torch.Tensor
    ) -> torch.Tensor:
        assert p is not None
        if p.shape[0] != 1 or not s.is_contiguous():
            return self.apply(s, p)
        return self._shared_into(s, p[0], out, self.hi)

    def back_into(
        self, w: torch.Tensor, p: torch.Tensor | None, want: bool, out: torch.Tensor
    ) -> tuple[torch.Tensor, Grad]:
        if p is None or p.shape[0] != 1 or not w.is_contiguous():
            return self.back(w, p, want)
        w_in = self._shared_into(w, _dagger(p[0]), out, 2 * self.hi)
        return w_in, self._pair_grad(w[1], w_in[0]) if want else None

    def _apply_pair(self, w: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        """A shared (K, K) matrix on both states of a pair (2, 2**n, C): one GEMM."""
        if self.low == 1 and w.shape[-1] == 1:
            return torch.mm(w.view(2 * self.hi, self.size), m.T).view(w.shape)
        return _left(m, w.reshape(2 * self.hi, self.size, -1)).reshape(w.shape)

    def _pair_grad(self, lam: torch.Tensor, s_in: torch.Tensor) -> torch.Tensor:
        hv = (self.hi, self.size, -1)
        return _outer_sum(lam.reshape(hv), s_in.reshape(hv))[None]

    def back(
        self, w: torch.Tensor, p: torch.Tensor | None, want: bool
    ) -> tuple[torch.Tensor, Grad]:
        if p is None or p.shape[0] != 1:
            return super().back(w, p, want)
        w_in = self._apply_pair(w, _dagger(p[0]))
        return w_in, self._pair_grad(w[1], w_in[0]) if want else None

    def vjp(
        self,
        s_in: torch.Tensor,
        s_out: torch.Tensor,
        lam: torch.Tensor,
        p: torch.Tensor | None,
        want: bool,
    ) -> tuple[torch.Tensor, Grad]:
        lam_in = self.adjoint(lam, p)
        if not want:
            return lam_in, None
        assert p is not None
        if p.shape[0] == 1:
            return lam_in, _outer_sum(
                lam.reshape(self.hi, self.size, -1), s_in.reshape(self.hi, self.size, -1)
            )[None]
        g = torch.matmul(self._split(lam), _dagger(self._split(s_in)))  # (B, hi, K, K)
        return lam_in, g.sum(1)


def _outer_sum(lv: torch.Tensor, sv: torch.Tensor) -> torch.Tensor:
    """``sum_h lv[h] @ sv[h]^H`` (real: ``^T``) for (hi, K, M) tensors, as one GEMM.

    ``mm`` passes a conjugate transpose to BLAS without a copy; with many short rows
    the reduction is one (K, hi M) GEMM after a copy, never a (hi, K, K) temporary.
    """
    hi, size, m = lv.shape
    if hi == 1:
        return torch.mm(lv[0], sv[0].mH)
    if m == 1:  # rows of K amplitudes: conj(lv^H sv)
        out = torch.mm(lv[:, :, 0].mH, sv[:, :, 0])
        return out.conj().resolve_conj() if out.is_complex() else out
    if m >= size:
        return torch.bmm(lv, _dagger(sv)).sum(0)
    lp = lv.transpose(0, 1).reshape(size, hi * m)
    sp = sv.transpose(0, 1).reshape(size, hi * m)
    return torch.mm(lp, sp.mH)


class RealChunk(Chunk):
    """A chunk whose matrix is real (RY, X, H... layers): real GEMMs on the state.

    The (hi, K, M) complex state is a (hi, K, 2 M) real matrix, so a shared real
    ``p`` costs half the multiplications of a complex one; its gradient is the real
    part of the complex one, also a real GEMM.
    """

    def _real_view(self, s: torch.Tensor) -> torch.Tensor:
        return torch.view_as_real(s).reshape(self.hi, self.size, -1)

    def apply(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        if p.shape[0] != 1 or (self.low == 1 and s.shape[1] == 1):
            return super().apply(s, p.to(s.dtype))
        out = _left(p[0], self._real_view(s))
        return torch.view_as_complex(out.reshape(*s.shape, 2))

    def adjoint(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        return self.apply(s, p.transpose(-1, -2))

    def _shared_into(
        self, s: torch.Tensor, m: torch.Tensor, out: torch.Tensor, hi: int
    ) -> torch.Tensor:
        if self.low == 1 and s.shape[-1] == 1:
            return super()._shared_into(s, m.to(s.dtype), out, hi)
        x = torch.view_as_real(s).view(hi, self.size, -1)
        _left_into(m, x, torch.view_as_real(out).view(hi, self.size, -1))
        return out

    def _apply_pair(self, w: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        if self.low == 1 and w.shape[-1] == 1:
            return super()._apply_pair(w, m.to(w.dtype))
        out = _left(m, torch.view_as_real(w).reshape(2 * self.hi, self.size, -1))
        return torch.view_as_complex(out.reshape(*w.shape, 2))

    def _pair_grad(self, lam: torch.Tensor, s_in: torch.Tensor) -> torch.Tensor:
        if self.low == 1 and s_in.shape[-1] == 1:
            return super()._pair_grad(lam, s_in).real
        return _outer_sum(self._real_view(lam), self._real_view(s_in))[None]

    def vjp(
        self,
        s_in: torch.Tensor,
        s_out: torch.Tensor,
        lam: torch.Tensor,
        p: torch.Tensor | None,
        want: bool,
    ) -> tuple[torch.Tensor, Grad]:
        lam_in = self.adjoint(lam, p)
        if not want:
            return lam_in, None
        assert p is not None
        if p.shape[0] != 1:
            g = torch.matmul(self._split(lam), _dagger(self._split(s_in)))
            return lam_in, g.sum(1).real
        if self.low == 1 and s_in.shape[1] == 1:
            hv = (self.hi, self.size, 1)
            return lam_in, _outer_sum(lam.view(hv), s_in.view(hv)).real[None]
        return lam_in, _outer_sum(self._real_view(lam), self._real_view(s_in))[None]


class Outer:
    """Initial product state ``s[i M + j, c] = a[i, c] b[j, c]`` of two factors.

    ``a`` (2**h, b_a) and ``b`` (2**l, b_b) hold the product states of the high and the
    low qubits (``b_a``, ``b_b``: 1 when shared by the batch), so a block of columns is
    built in one pass and its co-state reduced to the factors' gradients in two.
    """

    @staticmethod
    def build(a: torch.Tensor, b: torch.Tensor, cols: int) -> torch.Tensor:
        """States (2**n, cols)."""
        s = (a[:, None, :] * b[None, :, :]).reshape(a.shape[0] * b.shape[0], -1)
        return s if s.shape[1] == cols else s.expand(-1, cols).contiguous()

    @staticmethod
    def build_into(a: torch.Tensor, b: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """``build`` into the contiguous buffer ``out`` (2**n, cols)."""
        cols = out.shape[1]
        av = a[:, None, :].expand(-1, 1, cols)
        torch.mul(av, b[None, :, :], out=out.view(a.shape[0], b.shape[0], cols))
        return out

    @staticmethod
    def vjp(
        a: torch.Tensor, b: torch.Tensor, lam: torch.Tensor, scratch: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Gradients of ``a`` and ``b`` (summed over columns where shared).

        ``scratch``: a contiguous buffer with as many elements as ``lam`` for the products.
        """
        lv = lam.view(a.shape[0], b.shape[0], -1)
        if lam.shape[1] == 1:
            m = lv[:, :, 0]
            ga = (m @ b[:, -1].conj())[:, None]
            gb = (m.T @ a[:, -1].conj())[:, None]
        else:
            t = torch.empty_like(lv) if scratch is None else scratch.view(lv.shape)
            ga = torch.mul(lv, b.conj()[None], out=t).sum(1)
            gb = torch.mul(lv, a.conj()[:, None], out=t).sum(0)
        if a.shape[1] == 1 and ga.shape[1] != 1:
            ga = ga.sum(1, keepdim=True)
        if b.shape[1] == 1 and gb.shape[1] != 1:
            gb = gb.sum(1, keepdim=True)
        return ga, gb


class MonomialStep(Step):
    """``out[i] = p[i] * s[perm[i]]`` with a unit-modulus phase ``p`` (b, 2**n) or None."""

    def __init__(self, perm: torch.Tensor | None, inv: torch.Tensor | None) -> None:
        self.perm, self.inv = perm, inv

    def apply(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        if self.perm is not None:
            s = s.index_select(0, self.perm)
        return s * p.T if p is not None else s

    def adjoint(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        if p is not None:
            s = s * p.T.conj()
        return s.index_select(0, self.inv) if self.inv is not None else s

    def vjp(
        self,
        s_in: torch.Tensor,
        s_out: torch.Tensor,
        lam: torch.Tensor,
        p: torch.Tensor | None,
        want: bool,
    ) -> tuple[torch.Tensor, Grad]:
        lam_in = self.adjoint(lam, p)
        if not want or p is None:
            return lam_in, None
        g = lam * s_out.conj() * p.T  # = lam * conj(s_in[perm]) since |p| = 1
        return lam_in, g.sum(1)[None] if p.shape[0] == 1 else g.T

    def back(
        self, w: torch.Tensor, p: torch.Tensor | None, want: bool
    ) -> tuple[torch.Tensor, Grad]:
        if p is not None and p.shape[0] != 1:
            return super().back(w, p, want)
        u = w * p.T.conj() if p is not None else w  # both halves, phase undone
        g = None
        if want and p is not None:  # lam * conj(s_out) * p = lam * conj(u_state)
            g = (w[1] * u[0].conj()).sum(1)[None]
        return (u.index_select(1, self.inv) if self.inv is not None else u), g

    def apply_into(
        self, s: torch.Tensor, p: torch.Tensor | None, out: torch.Tensor
    ) -> torch.Tensor:
        if self.perm is not None:
            torch.index_select(s, 0, self.perm, out=out)
            return out.mul_(p.T) if p is not None else out
        return torch.mul(s, p.T, out=out) if p is not None else s

    def back_into(
        self, w: torch.Tensor, p: torch.Tensor | None, want: bool, out: torch.Tensor
    ) -> tuple[torch.Tensor, Grad]:
        if (p is not None and p.shape[0] != 1) or not w.is_contiguous():
            return self.back(w, p, want)
        g = None
        if want and p is not None:  # lam * conj(s_out) * p summed over columns, in ``out``
            g = out[0].copy_(w[0]).conj_physical_().mul_(w[1]).sum(1)[None] * p
        u = torch.mul(w, p.T.conj(), out=out) if p is not None else w  # phase undone
        if self.inv is None:
            return u, g
        target = w if u is out else out
        return torch.index_select(u, 1, self.inv, out=target), g


class FusedStep(Step):
    """``out = p @ s`` with ``p = U`` (2**n, 2**n), a fused weight-only unitary."""

    per_column = False

    def apply(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        return p @ s

    def adjoint(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        return _dagger(p) @ s

    def vjp(
        self,
        s_in: torch.Tensor,
        s_out: torch.Tensor,
        lam: torch.Tensor,
        p: torch.Tensor | None,
        want: bool,
    ) -> tuple[torch.Tensor, Grad]:
        return self.adjoint(lam, p), (lam @ _dagger(s_in)) if want else None


class DenseStep(Step):
    """Any k-qubit matrix (b, K, K) on arbitrary qubits; the generic path."""

    def __init__(self, n: int, qubits: tuple[int, ...]) -> None:
        self.n = n
        dims = [n - 1 - q for q in reversed(qubits)]
        self.perm = [d for d in range(n) if d not in dims] + dims + [n]
        self.inv = sorted(range(n + 1), key=self.perm.__getitem__)

    def apply(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        t = s.reshape([2] * self.n + [-1]).permute(self.perm)
        shape = t.shape
        t = t.reshape(-1, p.shape[-1], shape[-1])  # (rest, K, B)
        out = _left(p[0], t) if p.shape[0] == 1 else torch.einsum("bij,rjb->rib", p, t)
        return out.reshape(shape).permute(self.inv).reshape(s.shape)

    def adjoint(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        return self.apply(s, _dagger(p))

    def vjp(
        self,
        s_in: torch.Tensor,
        s_out: torch.Tensor,
        lam: torch.Tensor,
        p: torch.Tensor | None,
        want: bool,
    ) -> tuple[torch.Tensor, Grad]:
        if not want:
            return self.adjoint(lam, p), None
        assert p is not None
        with torch.enable_grad():
            si, pi = s_in.detach().requires_grad_(True), p.detach().requires_grad_(True)
            lam_in, grad = torch.autograd.grad(self.apply(si, pi), [si, pi], lam)
        return lam_in, grad
