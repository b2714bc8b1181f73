"""Write a files-only model (OpenQASM 3 + weights + head + pre-processing + manifest)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import safetensors.numpy

from qmlsec.data import load_dataset

QASM = """OPENQASM 3.0;
include "stdgates.inc";
input float[64] x0;
input float[64] x1;
input float[64] x2;
input float[64] x3;
input float[64] w0;
input float[64] w1;
input float[64] w2;
input float[64] w3;
input float[64] w4;
input float[64] w5;
input float[64] w6;
input float[64] w7;
qubit[4] q;
h q;
ry(x0) q[0];
ry(x1) q[1];
ry(x2) q[2];
ry(x3) q[3];
cx q[0], q[1];
cx q[1], q[2];
cx q[2], q[3];
cx q[3], q[0];
ry(w0) q[0];
ry(w1) q[1];
ry(w2) q[2];
ry(w3) q[3];
cz q[0], q[2];
rx(w4 + 0.5 * x0) q[0];
rz(w5) q[1];
u3(w6, 0.3, w7) q[2];
"""

UNDECLARED = """OPENQASM 3.0;
include "stdgates.inc";
qubit[4] q;
h q;
cx q[0], q[1];
"""


def write_model(root: Path, *, qasm: str = QASM, n_weights: int = 8) -> Path:
    """The model's files under ``root``; returns the manifest's path."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "model.qasm").write_text(qasm)
    rng = np.random.default_rng(7)
    safetensors.numpy.save_file(
        {"theta": rng.uniform(0, 2 * np.pi, n_weights)}, str(root / "weights.safetensors")
    )
    np.savez(root / "head.npz", W=rng.normal(size=(3, 4)), b=rng.normal(size=3))
    X = load_dataset("iris").X
    np.savez(root / "pre.npz", mean=X.mean(axis=0), scale=X.std(axis=0))
    manifest = {
        "circuit": "model.qasm",
        "inputs": ["x0", "x1", "x2", "x3"],
        "weights": {"file": "weights.safetensors", "key": "theta"},
        "observables": ["IIIZ", "IIZI", "IZII", {"ZIII": 0.5, "IIXX": 0.5}],
        "head": {"file": "head.npz", "weight": "W", "bias": "b"},
        "preprocessing": {"file": "pre.npz", "mean": "mean", "scale": "scale"},
        "output": "logits",
    }
    path = root / "model.json"
    path.write_text(json.dumps(manifest, indent=2))
    return path
