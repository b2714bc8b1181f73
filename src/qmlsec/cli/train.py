"""``qmlsec train``, ``qmlsec evaluate`` and ``qmlsec predict``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import typer
from pydantic import ValidationError
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from qmlsec.cli.output import console, emit_json, handle_errors
from qmlsec.cli.target import open_model, validated_spec
from qmlsec.cloud.deployment import Deployment, DeploymentSpec
from qmlsec.cloud.workflow import QMLaaSPipeline
from qmlsec.data import load_dataset, parse_classes, split
from qmlsec.exceptions import ConfigError, DataError
from qmlsec.models.classifier import QNNClassifier

DEFAULT_DATASET = "digits"
DEFAULT_CLASSES = "0-3"


def _progress(total: int, description: str) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def train_command(
    dataset: str = typer.Option(DEFAULT_DATASET, help="Built-in dataset name or a CSV/NPZ file."),
    classes: str | None = typer.Option(
        None,
        help=f"Class subset, e.g. '0-3' or '0,1,7'; '' for all "
        f"(default: {DEFAULT_CLASSES} for {DEFAULT_DATASET}, all classes otherwise).",
    ),
    qubits: int = typer.Option(8, min=1, help="Qubits (= PCA components for angle encoding)."),
    layers: int = typer.Option(3, min=1, help="Ansatz layers."),
    encoding: str = typer.Option("angle", help="angle | amplitude | iqp | reupload"),
    ansatz: str = typer.Option("hardware_efficient", help="Ansatz family."),
    entanglement: str = typer.Option("ring", help="linear | ring | full"),
    readout: str = typer.Option(
        "",
        help="Readout Pauli labels, comma-separated (Qiskit order: IIZ is Z on qubit 0); "
        "'' for Z on every qubit.",
    ),
    head: str = typer.Option(
        "linear", help="linear (trainable layer) | none (expectations are the class scores)."
    ),
    head_scale: float = typer.Option(1.0, min=0.0, help="Logit scale of --head none."),
    reduction: str = typer.Option("pca", help="pca | autoencoder | none"),
    epochs: int = typer.Option(30, min=1),
    lr: float = typer.Option(0.05, min=0.0),
    batch_size: int = typer.Option(32, min=0),
    optimizer: str = typer.Option("adam", help="adam | amsgrad | sgd"),
    gradient: str = typer.Option(
        "backprop", help="backprop | parameter-shift | spsa | finite-diff"
    ),
    backend: str = typer.Option(
        "ideal", help="Device: 'ideal', a fake device (fake_manila, fake_brisbane...) or generic_*."
    ),
    shots: int = typer.Option(0, min=0, help="Shots per circuit; 0 for exact expectations."),
    primitive: str = typer.Option(
        "builtin",
        help="Execution interface: builtin | aer | ibm-runtime-local | ibm-runtime (with "
        "--backend ibm_<name> and a saved account) | braket-local (extra braket).",
    ),
    execution: str = typer.Option("job", help="IBM Runtime mode: job | session | batch."),
    classical_trust: str = typer.Option(
        "trusted", help="Trust in the classical cloud: trusted | honest-but-curious | malicious."
    ),
    quantum_trust: str = typer.Option(
        "honest-but-curious",
        help="Trust in the quantum cloud: trusted | honest-but-curious | malicious.",
    ),
    pool: str = typer.Option("", help="Further devices of the quantum provider, comma-separated."),
    transpiler_host: str = typer.Option(
        "quantum_cloud", help="Who transpiles: quantum_cloud | classical_cloud."
    ),
    serving: str = typer.Option(
        "device", help="Inference runs on the 'device' (provider jobs) or in 'simulation'."
    ),
    tenant: str = typer.Option("victim", help="The user's tenant name at the providers."),
    test_size: float = typer.Option(0.25, min=0.05, max=0.9),
    seed: int = typer.Option(0, help="The run seed; everything random derives from it."),
    out: Path = typer.Option(Path("model"), help="Deployment directory to write."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Train a hybrid QNN through the QMLaaS pipeline and save its deployment.

    The directory holds deployment.json (clouds, trust, device, shots), the exposure
    ledger, the cost account and the verified model artifact under model/.
    """
    result = handle_errors(_train)(**locals())
    if json_out:
        emit_json(result)
    else:
        console.print(
            f"test accuracy [bold]{result['test_accuracy']:.3f}[/] "
            f"(train {result['train_accuracy']:.3f}) in {result['train_seconds']:.1f} s -> {result['out']}"
        )


def _settings(opts: dict[str, Any]) -> DeploymentSpec:
    """The deployment's settings from the flags, validated before any work."""
    pool = tuple(d.strip() for d in opts["pool"].split(",") if d.strip())
    return validated_spec({
        "seed": opts["seed"], "tenant": opts["tenant"], "serving": opts["serving"],
        "transpiler_host": opts["transpiler_host"],
        "classical": {"trust": opts["classical_trust"]},
        "quantum": {"trust": opts["quantum_trust"], "device": opts["backend"], "pool": pool,
                    "shots": opts["shots"] or None, "primitive": opts["primitive"],
                    "execution": opts["execution"]},
    })  # fmt: skip


def _train(**opts: Any) -> dict[str, Any]:
    out = Path(opts["out"])
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file", hint="pass a directory to write the model to")
    settings = _settings(opts)
    chosen = opts["classes"]
    if chosen is None:
        chosen = DEFAULT_CLASSES if opts["dataset"] == DEFAULT_DATASET else ""
    classes = parse_classes(chosen) if chosen else None
    hardware = opts["gradient"] != "backprop"
    clf = QNNClassifier(
        n_qubits=opts["qubits"], layers=opts["layers"], encoding=opts["encoding"],
        ansatz=opts["ansatz"], entanglement=opts["entanglement"], reduction=opts["reduction"],
        readout=tuple(r.strip() for r in opts["readout"].split(",") if r.strip()) or None,
        head=opts["head"], head_scale=opts["head_scale"],
        epochs=opts["epochs"], lr=opts["lr"], batch_size=opts["batch_size"],
        optimizer=opts["optimizer"], gradient=opts["gradient"],
        shots=(opts["shots"] or None) if hardware else None, random_state=opts["seed"],
    )  # fmt: skip
    try:  # validate the circuit and training settings before loading data
        clf.spec()
        clf.training_config()
    except ValidationError as err:
        where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise ConfigError(
            f"invalid model settings: {where}", hint="see qmlsec train --help"
        ) from None
    ds = load_dataset(opts["dataset"], classes=classes, seed=opts["seed"])
    train, test = split(ds, test_size=opts["test_size"], seed=opts["seed"])
    dataset = {"name": str(opts["dataset"]), "classes": list(classes) if classes else None,
               "test_size": opts["test_size"], "seed": opts["seed"],
               "n_train": train.n_samples, "n_test": test.n_samples}  # fmt: skip
    deployment = Deployment(settings.model_copy(update={"dataset": dataset}), clf)
    pipe = QMLaaSPipeline(deployment)
    start = time.perf_counter()
    with _progress(opts["epochs"], "training") as progress:
        task = progress.add_task("training", total=opts["epochs"], status="")

        def on_epoch(row: dict[str, float]) -> None:
            progress.update(
                task, advance=1, status=f"loss {row['loss']:.3f} acc {row['train_accuracy']:.3f}"
            )

        pipe.fit(train.X, train.y, on_epoch=on_epoch)
    seconds = time.perf_counter() - start
    metrics = {
        "train_accuracy": clf.score(train.X, train.y),
        "test_accuracy": pipe.score(test.X, test.y),
        "test_accuracy_exact": clf.score(test.X, test.y),
        "train_seconds": seconds,
        "epochs_run": len(clf.history_),
    }
    meta = {
        "dataset": dataset,
        "metrics": metrics,
        "history": clf.history_,
        "feature_range": [float(train.X.min()), float(train.X.max())],
    }
    path = deployment.save(opts["out"], metadata=meta)
    if not opts["json_out"]:
        deployment.cost.print_table(console)
    return {
        **metrics,
        "seed": opts["seed"],
        "out": str(path),
        "backend": opts["backend"],
        "shots": opts["shots"] or None,
        "gradient": opts["gradient"],
        "deployment": deployment.describe(),
        "cost": deployment.cost.summary(),
        "spec": clf.spec().model_dump(mode="json"),
        "steps": deployment.ledger.steps(),
    }


def evaluate_command(
    model: Path = typer.Argument(..., help="Deployment or model artifact directory."),
    data: Path = typer.Option(
        None, help="CSV/NPZ with features and labels; default: the model's test split."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Evaluate a saved model on its recorded test split or on a labelled file."""
    result = handle_errors(_evaluate)(model, data)
    if json_out:
        emit_json(result)
    else:
        console.print(
            f"accuracy [bold]{result['accuracy']:.3f}[/] on {result['n_samples']} samples"
        )


def _evaluate(model: Path, data: Path | None) -> dict[str, Any]:
    deployment, _ = open_model(model)
    clf = deployment.model
    if data is None:
        _, test = deployment.split()
        X, y = test.X, test.y
    else:
        ds = load_dataset(data)
        X, y = ds.X, ds.y
    pred = clf.predict(X)
    return {
        "model": str(model),
        "n_samples": int(len(y)),
        "accuracy": float(np.mean(pred == y)),
        "seed": int(clf.random_state),
    }


def predict_command(
    model: Path = typer.Argument(..., help="Deployment or model artifact directory."),
    input: Path = typer.Option(
        ..., "--input", help="CSV (header row) or NPZ (array 'X') of raw features."
    ),
    proba: bool = typer.Option(False, help="Also print class probabilities."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Predict labels for the samples in a file."""
    result = handle_errors(_predict)(model, input, proba)
    if json_out:
        emit_json(result)
    else:
        for i, label in enumerate(result["labels"]):
            console.print(f"{i}\t{label}")


def _predict(model: Path, input: Path, proba: bool) -> dict[str, Any]:
    clf = open_model(model)[0].model
    X = _read_features(input, clf.preprocessing_.n_features_in)
    out: dict[str, Any] = {"model": str(model), "labels": clf.predict(X).tolist()}
    if proba:
        out["probabilities"] = clf.predict_proba(X).tolist()
    return out


def _read_features(path: Path, n_features: int) -> np.ndarray:
    if not path.is_file():
        raise DataError(f"input file {path} does not exist")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as npz:
            if "X" not in npz:
                raise DataError(
                    f"{path}: no array named 'X'", hint="save features with np.savez(f, X=...)"
                )
            X = np.asarray(npz["X"], dtype=np.float64)
    elif path.suffix == ".csv":
        try:
            X = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
        except ValueError as err:
            raise DataError(
                f"{path}: not a numeric CSV ({err})", hint="one header row, then numbers"
            ) from None
    else:
        raise ConfigError(f"unsupported input format {path.suffix!r}", hint="use .csv or .npz")
    if X.ndim != 2 or X.shape[1] != n_features:
        raise DataError(
            f"{path}: expected {n_features} feature columns, got shape {X.shape}",
            hint="drop the label column; keep the training feature order",
        )
    if not np.isfinite(X).all():
        raise DataError(f"{path}: contains NaN or infinite values")
    return X
