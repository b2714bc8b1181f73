"""Engine benchmark: one QNN training step in qmlsec and in peer stacks.

The circuit is the same everywhere: angle encoding (H then RZ(x_q) on every qubit), then
``layers`` hardware-efficient layers (RY, RZ on every qubit, CNOT ring), readout <Z_q>
on every qubit. One training step = forward on a batch + backward of
``loss = sum of all expectations`` to the weights, exact (no shots), float64.

Stacks:
    qmlsec           qmlsec.engine.compile_circuit (fused ops, auto backward)
    qmlsec-cuda      the same on the GPU (``device="cuda"``; the GPU column, listed only
                     where torch sees a CUDA device; steps end with a synchronize)
    pl-default       PennyLane default.qubit, torch interface, backprop, broadcasting
    pl-lightning     PennyLane lightning.qubit, torch interface, adjoint with device VJP
    qiskit-ml        qiskit-machine-learning EstimatorQNN + TorchConnector
                     (StatevectorEstimator with precision 0, parameter-shift gradients;
                     small shape only; TorchConnector computes in float32)

Each (shape, stack) runs in its own subprocess: it builds the model, runs one warm-up
step, then times ``repeats`` steps. With ``--rounds R`` the stacks of a shape run in
turn R times (qmlsec, peer, qmlsec, peer...), so a ratio compares times taken under the
same machine load; each cell reports the median, the minimum and the spread
((max - min) / median) of all its timed steps. Peak memory is the subprocess's
``ru_maxrss`` (peak resident set size, imports included) read after the timed steps;
``base_rss_mb`` is the resident size after imports and set-up, before the first step,
and ``state_copies`` is (peak - base) / (batch x 2**n x 16 bytes): how many copies of
the batched complex128 state the step held at its peak. Outputs and weight gradients of
every stack are compared with qmlsec's on the same seeded inputs. Peers are optional: a
stack that is not installed is skipped.

Usage:
    python bench/engine.py                 # table
    python bench/engine.py --json          # list of rows
    python bench/engine.py --shapes 4,2,32 --stacks qmlsec,pl-default
    python bench/engine.py --shapes 16,4,64 20,2,16 --stacks qmlsec,pl-lightning --rounds 2
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

SHAPES = [(4, 2, 32), (8, 4, 256), (12, 4, 256), (16, 4, 64), (20, 2, 16)]
STACKS = ["qmlsec", "qmlsec-cuda", "pl-default", "pl-lightning", "qiskit-ml"]
REQUIRES = {
    "qmlsec": "qmlsec",
    "qmlsec-cuda": "qmlsec",
    "pl-default": "pennylane",
    "pl-lightning": "pennylane_lightning",
    "qiskit-ml": "qiskit_machine_learning",
}
MAX_QUBITS = {"qiskit-ml": 4, "pl-default": 12}  # backprop keeps every gate's state
TARGETS = [  # (shape, stack, minimum speed-up of qmlsec)
    ((8, 4, 256), "pl-default", 10.0),
    ((12, 4, 256), "pl-default", 15.0),
    ((16, 4, 64), "pl-lightning", 2.0),
    ((20, 2, 16), "pl-lightning", 2.0),
    ((4, 2, 32), "qiskit-ml", 1000.0),
]
MAX_STATE_COPIES = 3.0  # qmlsec's peak memory above its baseline, from 16 qubits up
AGREEMENT = 1e-10  # qmlsec vs default.qubit, outputs and gradients (complex128)


def data(n: int, layers: int, batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Seeded inputs (batch, n) in [0, pi) and weights (2 n layers,) in [0, 2 pi)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0, np.pi, (batch, n)), rng.uniform(0, 2 * np.pi, 2 * n * layers)


# --------------------------------------------------------------------- stacks
def make_qmlsec(n: int, layers: int, x: np.ndarray, theta: np.ndarray, device: str = "cpu"):
    import torch

    from qmlsec.circuits import QNNSpec
    from qmlsec.engine import compile_circuit

    spec = QNNSpec(n_qubits=n, layers=layers, encoding="angle", rotation="Z", entanglement="ring")
    cc = compile_circuit(spec.build(), spec.observables(), device=device)
    xt = torch.tensor(x, device=device)
    w = torch.tensor(theta, requires_grad=True, device=device)

    def step():
        w.grad = None
        out = cc.expectations(xt, w)
        out.sum().backward()
        if device != "cpu":
            torch.cuda.synchronize()
        return out.detach().cpu().numpy(), w.grad.cpu().numpy()

    return step


def make_pennylane(n: int, layers: int, x: np.ndarray, theta: np.ndarray, device: str):
    import pennylane as qml
    import torch

    dev = qml.device(device, wires=n)
    if device == "default.qubit":
        options: dict[str, Any] = {"diff_method": "backprop"}
    else:
        options = {"diff_method": "adjoint", "device_vjp": True}

    @qml.qnode(dev, interface="torch", **options)
    def circuit(inputs, weights):
        for q in range(n):
            qml.Hadamard(wires=q)
            qml.RZ(inputs[:, q], wires=q)
        for layer in range(layers):
            k = 2 * n * layer
            for q in range(n):
                qml.RY(weights[k + q], wires=q)
            for q in range(n):
                qml.RZ(weights[k + n + q], wires=q)
            for q in range(n):
                qml.CNOT(wires=[q, (q + 1) % n])
        return [qml.expval(qml.PauliZ(q)) for q in range(n)]

    xt = torch.tensor(x)
    w = torch.tensor(theta, requires_grad=True)

    def step():
        w.grad = None
        out = torch.stack(circuit(xt, w)).T
        out.sum().backward()
        return out.detach().numpy(), w.grad.numpy()

    return step


def make_qiskit_ml(n: int, layers: int, x: np.ndarray, theta: np.ndarray):
    import warnings

    import torch
    from qiskit.primitives import StatevectorEstimator
    from qiskit_machine_learning.connectors import TorchConnector
    from qiskit_machine_learning.neural_networks import EstimatorQNN

    from qmlsec.circuits import QNNSpec

    warnings.simplefilter("ignore")
    spec = QNNSpec(n_qubits=n, layers=layers)
    qc = spec.build()
    inputs = sorted((p for p in qc.parameters if p.vector.name == "x"), key=lambda p: p.index)
    weights = sorted((p for p in qc.parameters if p.vector.name == "theta"), key=lambda p: p.index)
    qnn = EstimatorQNN(
        circuit=qc,
        observables=spec.observables(),
        input_params=inputs,
        weight_params=weights,
        estimator=StatevectorEstimator(),
        default_precision=0.0,  # exact; the default 1/64 adds sampling-like noise
    )
    model = TorchConnector(qnn, initial_weights=theta)
    xt = torch.tensor(x)

    def step():
        model.zero_grad()
        out = model(xt)
        out.sum().backward()
        return out.detach().numpy(), model.weight.grad.numpy()

    return step


def make_step(stack: str, n: int, layers: int, x: np.ndarray, theta: np.ndarray):
    if stack == "qmlsec":
        return make_qmlsec(n, layers, x, theta)
    if stack == "qmlsec-cuda":
        return make_qmlsec(n, layers, x, theta, "cuda")
    if stack == "pl-default":
        return make_pennylane(n, layers, x, theta, "default.qubit")
    if stack == "pl-lightning":
        return make_pennylane(n, layers, x, theta, "lightning.qubit")
    return make_qiskit_ml(n, layers, x, theta)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker(stack: str, shape: tuple[int, int, int], repeats: int, budget_s: float) -> dict:
    """Run inside the subprocess: time the step, return the measurements."""
    import torch

    n, layers, batch = shape
    x, theta = data(n, layers, batch)
    step = make_step(stack, n, layers, x, theta)
    base = rss_mb()
    t0 = time.perf_counter()
    out, grad = step()  # warm-up
    first = time.perf_counter() - t0
    count = max(3, min(repeats, int(budget_s / max(first, 1e-6))))
    times = []
    for _ in range(count):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    gpu = {}
    if stack == "qmlsec-cuda":
        gpu = {"gpu_peak_mb": torch.cuda.max_memory_allocated() / 2**20}
    return {
        **gpu,
        "times_ms": [1e3 * t for t in times],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "base_rss_mb": base,
        "runs": count,
        "threads": torch.get_num_threads(),
        "outputs": np.asarray(out, dtype=float).tolist(),
        "grad": np.asarray(grad, dtype=float).tolist(),
    }


# --------------------------------------------------------------------- driver
def run_one(stack: str, shape: tuple[int, int, int], args: argparse.Namespace) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    cmd = [sys.executable, __file__, "--worker", stack, "--shapes", ",".join(map(str, shape))]
    cmd += [
        "--repeats",
        str(args.repeats),
        "--budget",
        str(args.budget),
        "--threads",
        str(args.threads),
    ]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.timeout} s"}
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compare(row: dict, ref: dict) -> str:
    """Largest deviation of a stack's outputs and gradients from qmlsec's."""
    if "outputs" not in row or "outputs" not in ref:
        return "-"
    dev = max(
        float(np.abs(np.asarray(row["outputs"]) - np.asarray(ref["outputs"])).max()),
        float(np.abs(np.asarray(row["grad"]) - np.asarray(ref["grad"])).max()),
    )
    return f"{dev:.1e}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print a JSON list of rows")
    parser.add_argument("--shapes", nargs="+", default=[",".join(map(str, s)) for s in SHAPES])
    parser.add_argument("--stacks", default=",".join(STACKS))
    parser.add_argument("--repeats", type=int, default=15, help="timed steps (at most)")
    parser.add_argument(
        "--budget", type=float, default=20.0, help="seconds of timed steps per cell"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch/OpenMP threads per stack")
    parser.add_argument(
        "--rounds", type=int, default=1, help="run the stacks of a shape in turn this many times"
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per cell")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    shapes = [tuple(int(v) for v in s.split(",")) for s in args.shapes]

    if args.worker:
        import torch

        torch.set_num_threads(args.threads)
        print(json.dumps(worker(args.worker, shapes[0], args.repeats, args.budget)))  # type: ignore[arg-type]
        return 0

    rows: list[dict[str, Any]] = []
    stacks = [st for st in args.stacks.split(",") if available(st)]
    for shape in shapes:
        cells: dict[str, list[dict]] = {}
        for _ in range(args.rounds):  # stacks in turn: ratios under the same load
            for stack in stacks:
                if shape[0] > MAX_QUBITS.get(stack, 99):
                    continue
                cells.setdefault(stack, []).append(run_one(stack, shape, args))
                if not args.json:
                    print(f"  done {shape} {stack}", file=sys.stderr)
        ref = summarize(cells.get("qmlsec", []), shape)
        for stack, results in cells.items():
            res = summarize(results, shape)
            row = {"shape": list(shape), "stack": stack, **res}
            row["max_deviation"] = compare(res, ref)
            if "median_ms" in res and "median_ms" in ref:
                row["speedup_vs_qmlsec"] = res["median_ms"] / ref["median_ms"]
                row["memory_vs_qmlsec"] = res["peak_rss_mb"] / ref["peak_rss_mb"]
            rows.append(row)
    for row in rows:
        row.pop("outputs", None)
        row.pop("grad", None)
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print_table(rows)
    return 0 if check_targets(rows, quiet=args.json) else 1


def available(stack: str) -> bool:
    if importlib.util.find_spec(REQUIRES[stack]) is None:
        print(f"skipping {stack}: {REQUIRES[stack]} is not installed", file=sys.stderr)
        return False
    if stack == "qmlsec-cuda":
        import torch

        if not torch.cuda.is_available():
            print("skipping qmlsec-cuda: torch sees no CUDA device", file=sys.stderr)
            return False
    return True


def summarize(results: list[dict], shape: tuple[int, ...]) -> dict:
    """One cell from its rounds: step-time statistics over all rounds, peak memory."""
    ok = [r for r in results if "times_ms" in r]
    if not ok:
        return results[0] if results else {}
    times = [t for r in ok for t in r["times_ms"]]
    n, _, batch = shape
    peak = max(r["peak_rss_mb"] for r in ok)
    base = min(r["base_rss_mb"] for r in ok)
    median = statistics.median(times)
    return {
        "median_ms": median,
        "min_ms": min(times),
        "spread": (max(times) - min(times)) / median,
        "runs": len(times),
        "rounds": len(ok),
        "peak_rss_mb": peak,
        "base_rss_mb": base,
        "state_copies": (peak - base) / (batch * 2**n * 16 / 2**20),
        "threads": ok[0]["threads"],
        "outputs": ok[0]["outputs"],
        "grad": ok[0]["grad"],
    }


def print_table(rows: list[dict]) -> None:
    head = (
        f"{'shape (q,L,B)':<14}{'stack':<14}{'median ms':>11}{'min ms':>11}{'spread':>8}"
        f"{'runs':>6}{'peak RSS MB':>13}{'states':>8}{'qmlsec x faster':>17}"
        f"{'x memory':>10}{'max dev':>10}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        shape = ",".join(map(str, r["shape"]))
        if "error" in r:
            print(f"{shape:<14}{r['stack']:<14}  {r['error']}")
            continue
        print(
            f"{shape:<14}{r['stack']:<14}{r['median_ms']:>11.2f}{r['min_ms']:>11.2f}"
            f"{100 * r['spread']:>7.0f}%{r['runs']:>6}{r['peak_rss_mb']:>13.0f}"
            f"{r['state_copies']:>8.1f}{r.get('speedup_vs_qmlsec', float('nan')):>17.1f}"
            f"{r.get('memory_vs_qmlsec', float('nan')):>10.2f}{r['max_deviation']:>10}"
        )


def check_targets(rows: list[dict], quiet: bool = False) -> bool:
    ok = True
    index = {(tuple(r["shape"]), r["stack"]): r for r in rows}
    checks = [
        (s, st, f"speed-up >= {m:g}x", lambda r, m=m: r.get("speedup_vs_qmlsec", 0) >= m)
        for s, st, m in TARGETS
    ]
    checks.append(
        ((12, 4, 256), "pl-default", "memory <= 1/2", lambda r: r.get("memory_vs_qmlsec", 0) >= 2)
    )
    for shape in ((8, 4, 256), (12, 4, 256)):
        checks.append(
            (
                shape,
                "pl-default",
                f"agreement <= {AGREEMENT:g}",
                lambda r: r["max_deviation"] != "-" and float(r["max_deviation"]) <= AGREEMENT,
            )
        )
    for shape in ((16, 4, 64), (20, 2, 16)):
        checks.append(
            (
                shape,
                "qmlsec",
                f"peak <= {MAX_STATE_COPIES:g} states",
                lambda r: r.get("state_copies", 99) <= MAX_STATE_COPIES,
            )
        )
    for shape, stack, label, test in checks:
        row = index.get((shape, stack))
        if row is None or "error" in row:
            continue
        passed = bool(test(row))
        ok &= passed
        if not quiet:
            print(f"target {label} vs {stack} at {shape}: {'met' if passed else 'NOT met'}")
    return ok


if __name__ == "__main__":
    sys.exit(main())
