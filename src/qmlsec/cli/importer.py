"""``qmlsec import``: bring a PennyLane, Qiskit ML or OpenQASM 3 model into a deployment.

Each sub-command loads the model, converts its circuit into the engine, checks that the
import computes what the source computes on the dataset's first 32 samples (to
``--tolerance``, 1e-8 by default, in exact mode) and writes a deployment directory that
every ``--deployment DIR`` command accepts (``qmlsec assess --deployment DIR``,
``qmlsec attack run ... --deployment DIR``...). ``--dataset`` is the data the model
was trained on: the assessment attacks and retrains with it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from qmlsec.cli.output import console, emit_json, handle_errors
from qmlsec.exceptions import ConfigError

app = typer.Typer(
    help="Import a PennyLane, Qiskit ML or OpenQASM 3 model into a deployment.",
    no_args_is_help=True,
)

PATH = typer.Option([], "--path", help="Folder to import your module from (repeatable).")
HEAD = typer.Option(None, "--head", help="module:object of a torch head (Linear layers).")
PRE = typer.Option(None, "--preprocessing", help="module:object of fitted sklearn pre-processing.")
WEIGHTS = typer.Option(None, "--weights", help="Trained weights (.safetensors or .npz).")
DATASET = typer.Option(
    ..., "--dataset", help="Built-in dataset or CSV/NPZ file the model was trained on."
)
CLASSES = typer.Option(None, "--classes", help="Class subset of the dataset, e.g. 0-1.")
LABELS = typer.Option(None, "--labels", help="Labels of the model's outputs in order, e.g. 0,1.")
TEST_SIZE = typer.Option(0.25, "--test-size", min=0.05, max=0.9)
DEVICE = typer.Option("fake_guadalupe", "--device", help="The quantum cloud's device.")
SHOTS = typer.Option(0, "--shots", min=0, help="Shots per circuit; 0 for exact expectations.")
CTRUST = typer.Option(
    "trusted", "--classical-trust", help="trusted | honest-but-curious | malicious."
)
QTRUST = typer.Option(
    "honest-but-curious", "--quantum-trust", help="trusted | honest-but-curious | malicious."
)
SERVING = typer.Option(
    "simulation", "--serving", help="Inference on the 'device' or in 'simulation'."
)
TOL = typer.Option(1e-8, "--tolerance", min=0.0, help="Largest accepted deviation from the source.")
SEED = typer.Option(0, "--seed", help="The run seed.")
OUT = typer.Option(..., "--out", help="Deployment directory to write (new or empty).")
JSON = typer.Option(False, "--json", help="Print one JSON object on stdout.")


@app.command("pennylane")
def pennylane_command(
    model: str = typer.Argument(..., help="module:object of a QNode, TorchLayer or Sequential."),
    path: list[Path] = PATH, head: str = HEAD, preprocessing: str = PRE,
    weights: Path = WEIGHTS,
    input_arg: str = typer.Option("inputs", "--input-arg", help="The QNode's input argument."),
    dataset: str = DATASET, classes: str = CLASSES, labels: str = LABELS,
    test_size: float = TEST_SIZE, device: str = DEVICE, shots: int = SHOTS,
    classical_trust: str = CTRUST, quantum_trust: str = QTRUST, serving: str = SERVING,
    tolerance: float = TOL, seed: int = SEED, out: Path = OUT, json_out: bool = JSON,
) -> None:  # fmt: skip
    """Import a PennyLane QNode or TorchLayer (+ torch head, + scikit-learn pre-processing)."""
    _finish(handle_errors(_run)("pennylane", locals()), json_out)


@app.command("qiskit-ml")
def qiskit_ml_command(
    model: str = typer.Argument(
        ..., help="module:object of an EstimatorQNN, SamplerQNN, NeuralNetworkClassifier or TorchConnector."
    ),
    path: list[Path] = PATH, head: str = HEAD, preprocessing: str = PRE,
    weights: Path = WEIGHTS,
    dataset: str = DATASET, classes: str = CLASSES, labels: str = LABELS,
    test_size: float = TEST_SIZE, device: str = DEVICE, shots: int = SHOTS,
    classical_trust: str = CTRUST, quantum_trust: str = QTRUST, serving: str = SERVING,
    tolerance: float = TOL, seed: int = SEED, out: Path = OUT, json_out: bool = JSON,
) -> None:  # fmt: skip
    """Import a Qiskit Machine Learning network, classifier or TorchConnector."""
    _finish(handle_errors(_run)("qiskit-ml", locals()), json_out)


@app.command("qasm")
def qasm_command(
    manifest: Path = typer.Argument(..., help="The model's manifest (JSON or YAML)."),
    dataset: str = DATASET, classes: str = CLASSES, labels: str = LABELS,
    test_size: float = TEST_SIZE, device: str = DEVICE, shots: int = SHOTS,
    classical_trust: str = CTRUST, quantum_trust: str = QTRUST, serving: str = SERVING,
    tolerance: float = TOL, seed: int = SEED, out: Path = OUT, json_out: bool = JSON,
) -> None:  # fmt: skip
    """Import an OpenQASM 3 circuit with weights, observables and a manifest (no code)."""
    _finish(handle_errors(_run)("qasm", locals()), json_out)


def _finish(result: dict[str, Any], json_out: bool) -> None:
    if json_out:
        emit_json(result)
        return
    a = result["agreement"]
    console.print(
        f"imported from {a['source']}: agrees to {a['max_abs_deviation']:.2e} on "
        f"{a['n_inputs']} inputs (tolerance {a['tolerance']:g}); test accuracy "
        f"[bold]{result['test_accuracy']:.3f}[/] -> {result['out']}"
    )


def _labels(text: str | None) -> list[Any] | None:
    if not text:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return [int(p) if p.lstrip("-").isdigit() else p for p in parts]


def _run(kind: str, o: dict[str, Any]) -> dict[str, Any]:
    from qmlsec.interop import deploy, deployment_settings
    from qmlsec.interop.build import sample_inputs

    start = time.perf_counter()
    settings = deployment_settings(
        dataset=o["dataset"], classes=o["classes"], test_size=o["test_size"], seed=o["seed"],
        device=o["device"], shots=o["shots"] or None, classical_trust=o["classical_trust"],
        quantum_trust=o["quantum_trust"], serving=o["serving"],
    )  # fmt: skip
    common = {"classes": _labels(o["labels"]), "tolerance": o["tolerance"], "seed": o["seed"]}
    clf = _import(
        kind, o, common, lambda d: sample_inputs(o["dataset"], o["classes"], d, o["seed"])
    )
    deployment = deploy(clf, settings, o["out"])
    train, test = deployment.split()
    return {
        "out": str(o["out"]), "kind": kind, "agreement": clf.agreement_,
        "n_qubits": clf.spec().n_qubits, "n_weights": clf.spec().n_weights,
        "test_accuracy": deployment.model.score(test.X, test.y),
        "seconds": time.perf_counter() - start,
    }  # fmt: skip


def _import(kind: str, o: dict[str, Any], common: dict[str, Any], samples: Any) -> Any:
    from qmlsec.interop import from_pennylane, from_qasm, from_qiskit_ml, load_object
    from qmlsec.interop.qasm_model import read_arrays

    if kind == "qasm":
        from qmlsec.interop.qasm_model import _preprocessing, read_manifest

        m = read_manifest(o["manifest"])
        fixed = _preprocessing(Path(o["manifest"]).parent, m.preprocessing, len(m.inputs))
        return from_qasm(o["manifest"], sample_inputs=samples(fixed.n_features_in),
                         tolerance=common["tolerance"], seed=common["seed"])  # fmt: skip
    paths = o["path"]
    model = load_object(o["model"], paths)
    head = load_object(o["head"], paths) if o["head"] else None
    pre = load_object(o["preprocessing"], paths) if o["preprocessing"] else None
    weights = read_arrays(Path(o["weights"])) if o["weights"] else None
    x = samples(_raw_width(pre, model))
    if kind == "pennylane":
        return from_pennylane(model, weights=weights, head=head, preprocessing=pre,
                              input_arg=o["input_arg"], sample_inputs=x, **common)  # fmt: skip
    w = None
    if weights is not None:
        if len(weights) != 1 and "theta" not in weights:
            raise ConfigError(f"{o['weights']} holds {sorted(weights)}; name the vector 'theta'")
        w = weights.get("theta", next(iter(weights.values())))
    return from_qiskit_ml(model, weights=w, head=head, preprocessing=pre, sample_inputs=x, **common)


def _raw_width(pre: Any, model: Any) -> int | None:
    """Raw features the model takes, where it can be told without running it."""
    if pre is not None and hasattr(pre, "n_features_in_"):
        return int(pre.n_features_in_)
    for holder in (model, getattr(model, "neural_network", None), _first(model)):
        n = getattr(getattr(holder, "neural_network", holder), "num_inputs", None)
        if isinstance(n, int):
            return n
    return None


def _first(model: Any) -> Any:
    try:
        return model[0]
    except (TypeError, IndexError, KeyError):
        return None
