"""Recover bound weights and inputs from transpiled jobs by solving the angle equations.

After "Quantum Imitation Game" (arXiv:2407.07237) and the AI-driven reverse engineering
of transpiled QML classifiers (arXiv:2408.16929, mean parameter error ~0.1): once the
architecture is identified, the provider transpiles the same parameterised circuit
itself; each ``rz`` angle of that template is a linear expression ``a.theta + b.x + c``
of the weights and inputs, so the angles observed in ``J`` jobs form a linear system in
``theta`` and the ``J`` input vectors, solved here by least squares. A weight is
*identifiable* when the system pins it down (it is not only ever added to an input).

Example:
    >>> from qmlsec.circuits import QNNSpec
    >>> from qmlsec.attacks.recon.observed import observe_jobs, template
    >>> spec = QNNSpec(n_qubits=2, layers=1)
    >>> theta = np.linspace(0.1, 0.8, spec.n_weights)
    >>> jobs = observe_jobs(spec, n_jobs=3, theta=theta)
    >>> rec = recover(template(spec), jobs)
    >>> bool(np.allclose(rec.theta[rec.identifiable], theta[rec.identifiable]))
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from qiskit import QuantumCircuit

from qmlsec.attacks.recon.observed import rz_angles
from qmlsec.exceptions import CircuitError


@dataclass(frozen=True)
class Recovery:
    """Least-squares weights and per-job inputs, which of them are identifiable, residual."""

    theta: np.ndarray
    inputs: np.ndarray
    identifiable: np.ndarray
    inputs_identifiable: np.ndarray
    residual: float


def linear_form(tpl: QuantumCircuit) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(A_theta (G, P), A_x (G, n_x), c (G,))`` of the template's rz angles."""
    rz = [inst.operation.params[0] for inst in tpl.data if inst.operation.name == "rz"]
    names = {p.vector.name for p in tpl.parameters}
    sizes = {n: next(len(p.vector) for p in tpl.parameters if p.vector.name == n) for n in names}
    a_t = np.zeros((len(rz), sizes.get("theta", 0)))
    a_x = np.zeros((len(rz), sizes.get("x", 0)))
    const = np.zeros(len(rz))
    for g, expr in enumerate(rz):
        if not hasattr(expr, "parameters") or not expr.parameters:
            const[g] = float(expr)
            continue
        const[g] = float(expr.bind({p: 0.0 for p in expr.parameters}))
        for p in expr.parameters:
            coef = float(np.real(complex(expr.gradient(p))))
            (a_t if p.vector.name == "theta" else a_x)[g, p.index] = coef
    return a_t, a_x, const


def recover(tpl: QuantumCircuit, jobs: Sequence[QuantumCircuit], tol: float = 1e-8) -> Recovery:
    """Solve the jobs' observed angles for the weights and every job's inputs.

    Raises:
        CircuitError: if the jobs do not have the template's gate structure.
    """
    angles, _ = rz_angles(jobs)
    a_t, a_x, const = linear_form(tpl)
    if angles.shape[1] != len(const):
        raise CircuitError(
            f"jobs have {angles.shape[1]} rz gates, the template {len(const)}",
            hint="the identified architecture does not match the observed circuits",
        )
    n_jobs, p, n = len(jobs), a_t.shape[1], a_x.shape[1]
    rows = np.zeros((n_jobs * len(const), p + n_jobs * n))
    for j in range(n_jobs):
        block = slice(j * len(const), (j + 1) * len(const))
        rows[block, :p] = a_t
        rows[block, p + j * n : p + (j + 1) * n] = a_x
    rhs = (angles - const).reshape(-1)
    sol, *_ = np.linalg.lstsq(rows, rhs, rcond=None)
    null = _null_space(rows, tol)
    ident = np.abs(null).max(axis=1) < 1e-6 if null.size else np.ones(rows.shape[1], bool)
    residual = float(np.abs(rows @ sol - rhs).max()) if rhs.size else 0.0
    return Recovery(
        theta=sol[:p],
        inputs=sol[p:].reshape(n_jobs, n),
        identifiable=ident[:p],
        inputs_identifiable=ident[p:].reshape(n_jobs, n),
        residual=residual,
    )


def _null_space(matrix: np.ndarray, tol: float) -> np.ndarray:
    _, s, vt = np.linalg.svd(matrix, full_matrices=True)
    rank = int((s > tol * max(1.0, s.max(initial=0.0))).sum())
    return vt[rank:].T


__all__ = ["Recovery", "linear_form", "recover"]
