"""State kernels: apply, undo and differentiate one step on a batch of states.

A step acts on states ``(B, 2**n)`` with one tensor parameter ``p`` whose leading
dimension is 1 (shared by the batch) or ``B``. Besides ``apply`` each step has
``adjoint`` (apply the inverse) and ``vjp``: given the step's input and output states and
the co-state ``lam`` (gradient w.r.t. the output, torch's complex convention), it returns
the co-state of the input ``U^dagger lam`` and the gradient w.r.t. ``p``. The explicit
VJPs avoid autograd's broadcast copies; :class:`DenseStep` falls back to local autograd.

Example:
    >>> import torch
    >>> step = Chunk(n=1, lo=0, k=1)
    >>> x = torch.tensor([[[0, 1], [1, 0]]], dtype=torch.complex128)
    >>> step.apply(torch.tensor([[1, 0]], dtype=torch.complex128), x).real.tolist()
    [[0.0, 1.0]]
"""

from __future__ import annotations

import torch

Grad = torch.Tensor | None


class Step:
    """Base class of state kernels."""

    def apply(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        """Apply to states (B, 2**n)."""
        raise NotImplementedError

    def adjoint(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        """Apply the inverse to states (B, 2**n)."""
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


class Chunk(Step):
    """A (b, K, K) matrix on the ``k`` contiguous qubits starting at qubit ``lo``."""

    def __init__(self, n: int, lo: int, k: int) -> None:
        self.n, self.k = n, k
        self.size, self.hi, self.low = 2**k, 2 ** (n - lo - k), 2**lo

    def apply(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        batch, size, hi, low = s.shape[0], self.size, self.hi, self.low
        if p.shape[0] == 1:
            if low == 1:
                return (s.reshape(batch * hi, size) @ p[0].transpose(0, 1)).reshape(batch, -1)
            return torch.matmul(p[0], s.reshape(batch * hi, size, low)).reshape(batch, -1)
        if low == 1:
            return (s.reshape(batch, hi, size) @ p.transpose(-1, -2)).reshape(batch, -1)
        return (p[:, None] @ s.reshape(batch, hi, size, low)).reshape(batch, -1)

    def adjoint(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        return self.apply(s, p.conj().transpose(-1, -2))

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
        batch, size, hi, low = s_in.shape[0], self.size, self.hi, self.low
        if low == 1:
            if p.shape[0] == 1:
                return lam_in, (lam.reshape(-1, size).T @ s_in.reshape(-1, size).conj())[None]
            lv, sv = lam.reshape(batch, hi, size), s_in.reshape(batch, hi, size)
            return lam_in, lv.transpose(1, 2) @ sv.conj()
        if low < size:  # bmm + sum would make a temporary larger than the state
            lv = lam.reshape(batch, hi, size, low).transpose(1, 2).reshape(batch, size, -1)
            sv = s_in.reshape(batch, hi, size, low).transpose(1, 2).reshape(batch, size, -1)
            g = lv @ sv.conj().transpose(1, 2)
            return lam_in, g.sum(0, keepdim=True) if p.shape[0] == 1 else g
        lv, sv = lam.reshape(batch, hi, size, low), s_in.reshape(batch, hi, size, low)
        g = (lv @ sv.conj().transpose(-1, -2)).sum(1)
        return lam_in, g.sum(0, keepdim=True) if p.shape[0] == 1 else g


class RotChunk(Step):
    """A (b, K, K) matrix on the top ``k`` qubits that also rotates them to the bottom.

    The state viewed as ``X (B, K, L)`` becomes ``Y = X^T M^T (B, L, K)``: one batched
    matmul, no copies, and the qubit order shifts cyclically by ``k``. Applying chunks
    that tile all ``n`` qubits from the top restores the order, so a full single-qubit
    layer is ``n / k`` such matmuls.
    """

    def __init__(self, n: int, k: int) -> None:
        self.size, self.rest = 2**k, 2 ** (n - k)

    def _mat(self, p: torch.Tensor, batch: int) -> torch.Tensor:
        return p.expand(batch, -1, -1) if p.shape[0] == 1 else p

    def apply(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        batch = s.shape[0]
        x = s.reshape(batch, self.size, self.rest).transpose(1, 2)
        return torch.bmm(x, self._mat(p.transpose(-1, -2), batch)).reshape(batch, -1)

    def adjoint(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        batch = s.shape[0]
        y = s.reshape(batch, self.rest, self.size).transpose(1, 2)
        return torch.bmm(self._mat(p.conj().transpose(-1, -2), batch), y).reshape(batch, -1)

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
        batch = s_in.shape[0]
        lt = lam.reshape(batch, self.rest, self.size).transpose(1, 2)
        x = s_in.reshape(batch, self.size, self.rest)
        g = torch.bmm(lt, x.conj().transpose(1, 2))
        return lam_in, g.sum(0, keepdim=True) if p.shape[0] == 1 else g


class MonomialStep(Step):
    """``out[i] = p[i] * s[perm[i]]`` with a unit-modulus phase ``p`` (or None)."""

    def __init__(self, perm: torch.Tensor | None, inv: torch.Tensor | None) -> None:
        self.perm, self.inv = perm, inv

    def apply(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        if self.perm is not None:
            s = s.index_select(1, self.perm)
        return s * p if p is not None else s

    def adjoint(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        if p is not None:
            s = s * p.conj()
        return s.index_select(1, self.inv) if self.inv is not None else s

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
        g = lam * s_out.conj() * p  # = lam * conj(s_in[perm]) since |p| = 1
        return lam_in, g.sum(0, keepdim=True) if p.shape[0] == 1 else g


class FusedStep(Step):
    """``out = s @ p`` with ``p = U^T`` (D, D), a fused weight-only unitary."""

    def apply(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        return s @ p

    def adjoint(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        return s @ p.conj().transpose(0, 1)

    def vjp(
        self,
        s_in: torch.Tensor,
        s_out: torch.Tensor,
        lam: torch.Tensor,
        p: torch.Tensor | None,
        want: bool,
    ) -> tuple[torch.Tensor, Grad]:
        return self.adjoint(lam, p), (s_in.conj().transpose(0, 1) @ lam) if want else None


class DenseStep(Step):
    """Any k-qubit matrix (b, K, K) on arbitrary qubits; the generic path."""

    def __init__(self, n: int, qubits: tuple[int, ...]) -> None:
        self.n = n
        dims = [n - q for q in reversed(qubits)]
        self.perm = [0] + [d for d in range(1, n + 1) if d not in dims] + dims
        self.inv = sorted(range(n + 1), key=self.perm.__getitem__)

    def apply(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        batch = s.shape[0]
        t = s.reshape([batch] + [2] * self.n).permute(self.perm)
        shape = t.shape
        t = t.reshape(batch, -1, p.shape[-1]) @ p.transpose(-1, -2)
        return t.reshape(shape).permute(self.inv).reshape(batch, -1)

    def adjoint(self, s: torch.Tensor, p: torch.Tensor | None) -> torch.Tensor:
        assert p is not None
        return self.apply(s, p.conj().transpose(-1, -2))

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
