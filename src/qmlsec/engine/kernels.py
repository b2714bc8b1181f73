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
    """Base class of state kernels (states are (2**n, B))."""

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
            return _left(p[0], s.reshape(self.hi, self.size, -1)).reshape(s.shape)
        return self._merge(torch.matmul(p[:, None], self._split(s)))

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
        lam_in = self.adjoint(lam, p)
        if not want:
            return lam_in, None
        assert p is not None
        if p.shape[0] == 1:
            lv = lam.reshape(self.hi, self.size, -1)
            sv = s_in.reshape(self.hi, self.size, -1)
            if self.hi == 1:  # mm passes the conjugate transpose to BLAS without a copy
                return lam_in, torch.mm(lv[0], sv[0].mH)[None]
            return lam_in, torch.bmm(lv, _dagger(sv)).sum(0, keepdim=True)
        g = torch.matmul(self._split(lam), _dagger(self._split(s_in)))  # (B, hi, K, K)
        return lam_in, g.sum(1)


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


class FusedStep(Step):
    """``out = p @ s`` with ``p = U`` (2**n, 2**n), a fused weight-only unitary."""

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
