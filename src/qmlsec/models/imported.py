"""A classifier imported from another framework, served like the native one.

An :class:`ImportedClassifier` is a :class:`~qmlsec.models.classifier.QNNClassifier`
whose circuit, readout, head and pre-processing come from the user's model (PennyLane,
Qiskit Machine Learning or OpenQASM 3 files; see :mod:`qmlsec.interop`) instead of a
:class:`~qmlsec.circuits.QNNSpec`. The pipeline is the same shape:

    raw features -> fixed pre-processing (affine steps) -> circuit inputs ``x`` ->
    compiled circuit with weights ``theta`` -> <observables> -> head -> outputs

so everything that acts on ``model_.compiled``, ``model_.theta``, ``model_.head``,
``preprocessing_`` and ``loss_gradient`` (white-box attacks, the inference endpoint, the
QMLaaS workflow) works unchanged, with exact input gradients from the engine.

The head's *outputs* are what the source framework returns; ``output`` says how they
become logits: ``logits`` (as they are), ``probabilities`` (their logarithm) or ``sign``
(a single expectation ``y`` in [-1, 1], Qiskit ML's binary classifier, read as the
probabilities ``((1 - y) / 2, (1 + y) / 2)`` of the classes ``(-1, +1)``).

Retraining (``fit``) keeps the imported pre-processing and architecture and learns new
circuit weights and head parameters with the engine from a seeded random start, as the
native classifier does.

Example:
    >>> from qiskit.circuit import ParameterVector, QuantumCircuit
    >>> x, t = ParameterVector("x", 1), ParameterVector("theta", 1)
    >>> qc = QuantumCircuit(1)
    >>> _ = qc.ry(x[0] + t[0], 0)
    >>> spec = ImportedSpec.from_circuit(qc, [[("Z", 1.0)]], output="sign", source="doc")
    >>> clf = ImportedClassifier(architecture=spec, classes=(-1, 1)).restore(theta=[0.0])
    >>> clf.predict([[0.1], [3.0]]).tolist()
    [1, -1]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
from pydantic import Field
from qiskit import QuantumCircuit, qasm3
from qiskit.circuit import ParameterExpression, ParameterVector
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import SparsePauliOp

from qmlsec.config import FrozenModel, derive_seed, torch_generator
from qmlsec.engine import compile_circuit
from qmlsec.engine.lowering import linear_form
from qmlsec.exceptions import ArtifactError, CircuitError, ConfigError
from qmlsec.gradients import get_gradient
from qmlsec.models.classifier import QNNClassifier, _check_xy
from qmlsec.models.hybrid import HybridQNN

KIND = "imported-qnn"
Output = Literal["logits", "probabilities", "sign"]
_TINY = 1e-300


class Angle(FrozenModel):
    """A gate angle ``sum x[i] * x_i + sum theta[j] * theta_j + const``."""

    x: dict[int, float] = Field(default_factory=dict)
    theta: dict[int, float] = Field(default_factory=dict)
    const: float = 0.0

    def expression(self, x: ParameterVector, theta: ParameterVector) -> Any:
        expr: Any = self.const
        for i, c in sorted(self.x.items()):
            expr = expr + c * x[i]
        for j, c in sorted(self.theta.items()):
            expr = expr + c * theta[j]
        return expr


class GateRecord(FrozenModel):
    """One standard Qiskit gate of the imported circuit."""

    name: str
    qubits: tuple[int, ...]
    params: tuple[Angle, ...] = ()


class LayerRecord(FrozenModel):
    """One layer of the classical head (applied to the readout expectations)."""

    kind: Literal["linear", "relu", "tanh", "sigmoid", "softmax", "log_softmax"]
    n_in: int | None = None
    n_out: int | None = None
    bias: bool = True


class ImportedSpec(FrozenModel):
    """The architecture of an imported model (everything but the trained values).

    Attributes:
        source: where it came from (``pennylane``, ``qiskit-ml``, ``qasm``) and how.
        n_qubits, n_weights: qubits and length of ``theta``.
        n_inputs: features the model takes after pre-processing.
        circuit_inputs: length of the circuit's ``x`` when :attr:`feature_terms` derive it
            from the features (default ``n_inputs``: ``x`` is the features).
        feature_terms: ``x[k]`` as an expression of the features (see
            :func:`evaluate_term`), for circuits whose angles are non-linear in the
            inputs (e.g. ``ZZFeatureMap``'s ``(pi - a)(pi - b)``); ``None``: identity.
        gates: the circuit in Qiskit's standard gates, angles linear in ``x`` and ``theta``.
        global_phase: the circuit's global phase.
        readout: one observable per quantum output, as ``(Qiskit Pauli label, coefficient)``.
        head: the classical layers after the readout (empty: the readout is the output).
        output: how the outputs become logits (module docstring).
    """

    source: str
    n_qubits: int = Field(ge=1, le=24)
    n_inputs: int = Field(ge=1)
    n_weights: int = Field(ge=0)
    circuit_inputs: int | None = Field(default=None, ge=1)
    feature_terms: tuple[Any, ...] | None = None
    gates: tuple[GateRecord, ...]
    global_phase: Angle = Angle()
    readout: tuple[tuple[tuple[str, float], ...], ...] = Field(min_length=1)
    head: tuple[LayerRecord, ...] = ()
    output: Output = "logits"

    # Attributes code written for QNNSpec reads; an imported circuit has no named family.
    encoding: Literal["imported"] = "imported"
    ansatz: Literal["imported"] = "imported"
    layers: int = 0

    @classmethod
    def from_circuit(
        cls,
        circuit: QuantumCircuit,
        readout: Sequence[Sequence[tuple[str, float]]],
        *,
        source: str,
        head: Sequence[LayerRecord] = (),
        output: Output = "logits",
        feature_terms: Sequence[Any] | None = None,
    ) -> ImportedSpec:
        """The spec of ``circuit`` (standard gates over ParameterVectors ``x``/``theta``)."""
        sizes = {"x": 0, "theta": 0}
        for p in circuit.parameters:
            vector = getattr(p, "vector", None)
            if vector is None or vector.name not in sizes:
                raise CircuitError(
                    f"circuit parameter {p.name!r} is neither an input nor a weight",
                    hint="declare every parameter as a model input or a trained weight",
                )
            sizes[vector.name] = len(vector)
        standard = get_standard_gate_name_mapping()
        gates = []
        for inst in circuit.data:
            op = inst.operation
            if op.name == "barrier":
                continue
            if op.name not in standard or op.name == "global_phase":
                raise CircuitError(
                    f"gate {op.name!r} is not a standard Qiskit gate",
                    hint="decompose the circuit into standard gates first",
                )
            qubits = tuple(circuit.find_bit(q).index for q in inst.qubits)
            params = tuple(_angle(p) for p in op.params)
            gates.append(GateRecord(name=op.name, qubits=qubits, params=params))
        n_features = sizes["x"]
        if feature_terms is not None:
            n_features = 1 + max(_max_feature(t) for t in feature_terms)
            if len(feature_terms) != sizes["x"]:
                raise CircuitError(
                    f"{len(feature_terms)} feature terms for {sizes['x']} circuit inputs"
                )
        return cls(
            source=source, n_qubits=circuit.num_qubits, n_inputs=n_features,
            circuit_inputs=sizes["x"] if feature_terms is not None else None,
            feature_terms=tuple(feature_terms) if feature_terms is not None else None,
            n_weights=sizes["theta"], gates=tuple(gates),
            global_phase=_angle(circuit.global_phase),
            readout=tuple(tuple((str(lab), float(c)) for lab, c in obs) for obs in readout),
            head=tuple(head), output=output,
        )  # fmt: skip

    @property
    def n_circuit_inputs(self) -> int:
        """Length of the circuit's ``x`` vector."""
        return self.circuit_inputs or self.n_inputs

    def build(self) -> QuantumCircuit:
        """The circuit with parameter vectors ``x`` and ``theta``."""
        x = ParameterVector("x", self.n_circuit_inputs)
        theta = ParameterVector("theta", self.n_weights)
        standard = get_standard_gate_name_mapping()
        qc = QuantumCircuit(self.n_qubits, name="imported")
        qc.global_phase = self.global_phase.expression(x, theta)
        for g in self.gates:
            if g.name not in standard:
                raise ArtifactError(f"gate {g.name!r} is not a standard Qiskit gate")
            gate = type(standard[g.name])(*(a.expression(x, theta) for a in g.params))
            qc.append(gate, list(g.qubits))
        return qc

    def observables(self) -> list[SparsePauliOp]:
        """The readout observables, one per quantum output."""
        return [SparsePauliOp.from_list([(lab, c) for lab, c in obs]) for obs in self.readout]

    def feature_map(self, features: torch.Tensor) -> torch.Tensor:
        """Circuit inputs ``x`` from pre-processed features; differentiable.

        The identity, or :attr:`feature_terms` evaluated on the features.
        """
        if features.ndim != 2 or features.shape[1] != self.n_inputs:
            raise ConfigError(
                f"expected features of shape (batch, {self.n_inputs}), got {tuple(features.shape)}"
            )
        if self.feature_terms is None:
            return features
        return torch.stack([evaluate_term(t, features) for t in self.feature_terms], dim=1)


_UNARY: dict[str, Any] = {"sin": torch.sin, "cos": torch.cos, "exp": torch.exp,
                          "log": torch.log, "tan": torch.tan}  # fmt: skip


def evaluate_term(term: Any, features: torch.Tensor) -> torch.Tensor:
    """Evaluate a feature term on ``features`` ``(B, n)``; returns ``(B,)``.

    Terms are JSON trees (never code): ``["x", i]`` (feature ``i``), ``["c", value]``,
    ``["add", t, ...]``, ``["mul", t, ...]``, ``["pow", t, exponent]`` and
    ``["sin" | "cos" | "tan" | "exp" | "log", t]``.

    Example:
        >>> import torch
        >>> evaluate_term(["mul", ["c", 2.0], ["add", ["c", 3.0], ["x", 0]]], torch.ones(1, 1))
        tensor([8.], dtype=torch.float64)
    """
    if not isinstance(term, list | tuple) or not term:
        raise ArtifactError(f"malformed feature term {term!r}")
    op, *args = term
    batch = torch.zeros(features.shape[0], dtype=torch.float64)
    if op == "x":
        return features[:, int(args[0])].to(torch.float64)
    if op == "c":
        return batch + float(args[0])
    if op == "add":
        return sum((evaluate_term(a, features) for a in args), batch)
    if op == "mul":
        out = batch + 1.0
        for a in args:
            out = out * evaluate_term(a, features)
        return out
    if op == "pow":
        return evaluate_term(args[0], features) ** float(args[1])
    if op in _UNARY and len(args) == 1:
        return _UNARY[op](evaluate_term(args[0], features))
    raise ArtifactError(f"unknown feature term operation {op!r}")


def _max_feature(term: Any) -> int:
    if isinstance(term, list | tuple) and term:
        if term[0] == "x":
            return int(term[1])
        return max([_max_feature(t) for t in term[1:]] or [-1])
    return -1


def _angle(expr: Any) -> Angle:
    if isinstance(expr, ParameterExpression) and expr.parameters:
        cx, ct, c = linear_form(expr, "x", "theta")
        return Angle(x=cx, theta=ct, const=c)
    return Angle(const=float(expr))


class ImportedHead(torch.nn.Module):
    """The classical layers of an imported model, then its output-to-logits map."""

    def __init__(self, layers: Sequence[LayerRecord], output: Output) -> None:
        super().__init__()
        self.records = tuple(layers)
        self.output = output
        mods: list[torch.nn.Module] = []
        for rec in self.records:
            if rec.kind == "linear":
                if rec.n_in is None or rec.n_out is None:
                    raise ArtifactError("a linear head layer needs n_in and n_out")
                mods.append(torch.nn.Linear(rec.n_in, rec.n_out, bias=rec.bias).double())
            else:
                mods.append(_ACTIVATIONS[rec.kind]())
        self.layers = torch.nn.ModuleList(mods)

    def outputs(self, readout: torch.Tensor) -> torch.Tensor:
        """What the source framework returns for these readout expectations."""
        out = readout
        for layer in self.layers:
            out = layer(out)
        return out

    def forward(self, readout: torch.Tensor) -> torch.Tensor:
        out = self.outputs(readout)
        if self.output == "logits":
            return out
        if self.output == "sign":
            out = torch.cat([(1 - out) / 2, (1 + out) / 2], dim=1)
        return torch.log(out.clamp_min(_TINY))


_ACTIVATIONS: dict[str, Any] = {
    "relu": torch.nn.ReLU,
    "tanh": torch.nn.Tanh,
    "sigmoid": torch.nn.Sigmoid,
    "softmax": lambda: torch.nn.Softmax(dim=1),
    "log_softmax": lambda: torch.nn.LogSoftmax(dim=1),
}


class ImportedQNN(HybridQNN):
    """:class:`HybridQNN` over an imported circuit, readout and head (weights seeded)."""

    def __init__(
        self,
        spec: ImportedSpec,
        *,
        gradient: str = "backprop",
        shots: int | None = None,
        seed: int = 0,
    ) -> None:
        torch.nn.Module.__init__(self)
        if shots is not None and gradient == "backprop":
            raise ConfigError("gradient='backprop' needs exact local simulation")
        self.spec = spec  # type: ignore[assignment]
        self.circuit = spec.build()
        self.compiled = compile_circuit(self.circuit, spec.observables())
        options = {"seed": derive_seed(seed, "spsa")} if gradient == "spsa" else {}
        self.gradient_method = get_gradient(gradient, **options)
        self.shots, self.seed = shots, seed
        self._shot_gen = torch_generator(seed, "shots")
        init = torch_generator(seed, "weights")
        theta = torch.rand(spec.n_weights, generator=init, dtype=torch.float64) * 2 * torch.pi
        self.theta = torch.nn.Parameter(theta)
        self.head = ImportedHead(spec.head, spec.output)  # type: ignore[assignment]
        with torch.no_grad():
            for layer in self.head.layers:
                if isinstance(layer, torch.nn.Linear):
                    bound = 1.0 / max(1, layer.in_features) ** 0.5
                    layer.weight.uniform_(-bound, bound, generator=init)
                    if layer.bias is not None:
                        layer.bias.uniform_(-bound, bound, generator=init)

    def outputs(self, features: torch.Tensor) -> torch.Tensor:
        """The model's outputs as the source framework returns them."""
        head: Any = self.head
        return head.outputs(self.quantum_features(features))

    def describe(self) -> dict[str, Any]:
        return {"spec": self.spec.model_dump(mode="json"), "gradient": self.gradient,
                "shots": self.shots}  # fmt: skip


class AffinePreprocessing:
    """Fixed pre-processing: element-wise and matrix steps applied in order.

    Steps are ``(op, array)`` with ``op`` one of ``sub``, ``add``, ``mul``, ``div`` (a
    vector) and ``matmul`` (a matrix ``(d_in, d_out)``), the operations scikit-learn's
    scalers and PCA perform, in their order, so the result matches theirs.
    """

    OPS = ("sub", "add", "mul", "div", "matmul")

    def __init__(self, n_features_in: int, steps: Sequence[tuple[str, np.ndarray]] = ()) -> None:
        self.n_features_in = int(n_features_in)
        self.steps = [(op, np.asarray(a, dtype=np.float64)) for op, a in steps]
        width = self.n_features_in
        for op, a in self.steps:
            if op not in self.OPS:
                raise ConfigError(f"unknown pre-processing step {op!r}", hint=", ".join(self.OPS))
            if op == "matmul":
                if a.ndim != 2 or a.shape[0] != width:
                    raise ConfigError(
                        f"pre-processing projection of shape {a.shape} does not take {width} features",
                        hint=f"pass a matrix of shape ({width}, n_out)",
                    )
                width = a.shape[1]
            elif a.ndim != 1 or a.shape[0] not in (1, width):
                raise ConfigError(
                    f"pre-processing {op} vector of shape {a.shape} does not fit {width} features",
                    hint=f"pass a vector of length {width}",
                )
            if not np.isfinite(a).all() or (op == "div" and (a == 0).any()):
                raise ConfigError(f"pre-processing {op} array has NaN, infinite or zero divisors")
        self.n_features_out = width

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Raw ``(n, d_in)`` -> ``(n, d_out)`` float64."""
        X = np.asarray(X, dtype=np.float64)
        self._check(X.shape)
        for op, a in self.steps:
            X = _apply(op, X, a)
        return X

    def torch_transform(self, x: torch.Tensor) -> torch.Tensor:
        """Differentiable float64 twin of :meth:`transform`."""
        self._check(tuple(x.shape))
        x = x.to(torch.float64)
        for op, a in self.steps:
            x = _apply(op, x, torch.as_tensor(a))
        return x

    def _check(self, shape: tuple[int, ...]) -> None:
        if len(shape) != 2 or shape[1] != self.n_features_in:
            raise ConfigError(
                f"expected raw features of shape (n, {self.n_features_in}), got {tuple(shape)}",
                hint="pass samples with the same columns as the model's training data",
            )

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        config = {"n_features_in": self.n_features_in, "steps": [op for op, _ in self.steps]}
        return config, {f"step{i}.{op}": a for i, (op, a) in enumerate(self.steps)}

    @classmethod
    def from_state(
        cls, config: dict[str, Any], arrays: dict[str, np.ndarray]
    ) -> AffinePreprocessing:
        try:
            ops = list(config["steps"])
            steps = [(op, arrays[f"step{i}.{op}"]) for i, op in enumerate(ops)]
            return cls(int(config["n_features_in"]), steps)
        except (KeyError, TypeError, ValueError) as err:
            raise ArtifactError(f"pre-processing state is incomplete: {err}") from None


def _index_of(classes: np.ndarray, y: Any) -> np.ndarray:
    """Indices of the labels ``y`` in ``classes`` (in their given, not sorted, order)."""
    from qmlsec.exceptions import DataError

    lookup = {c.item() if hasattr(c, "item") else c: i for i, c in enumerate(np.asarray(classes))}
    out = []
    for label in np.asarray(y).tolist():
        if label not in lookup:
            raise DataError(f"unknown label {label!r}", hint=f"the model's labels: {list(lookup)}")
        out.append(lookup[label])
    return np.asarray(out, dtype=np.int64)


def _apply(op: str, x: Any, a: Any) -> Any:
    if op == "sub":
        return x - a
    if op == "add":
        return x + a
    if op == "mul":
        return x * a
    if op == "div":
        return x / a
    return x @ a


class ImportedClassifier(QNNClassifier):
    """A :class:`QNNClassifier` over an imported architecture (module docstring).

    Args:
        architecture: the circuit, readout and head.
        classes: the labels of the outputs, in order.
        preprocessing: the fixed pre-processing (default: none).
        optimizer, lr, epochs, batch_size, early_stopping, patience, gradient, shots, random_state:
            retraining settings, as for the native classifier.
    """

    agreement_: dict[str, Any]

    def __init__(
        self,
        *,
        architecture: ImportedSpec | None = None,
        classes: Sequence[Any] | None = None,
        preprocessing: AffinePreprocessing | None = None,
        optimizer: str = "adam",
        lr: float = 0.05,
        epochs: int = 20,
        batch_size: int = 32,
        early_stopping: bool = False,
        patience: int = 5,
        gradient: str = "backprop",
        shots: int | None = None,
        random_state: int = 0,
    ) -> None:
        n_qubits = architecture.n_qubits if architecture is not None else 1
        super().__init__(
            n_qubits=n_qubits, layers=1, optimizer=optimizer, lr=lr, epochs=epochs,
            batch_size=batch_size, early_stopping=early_stopping, patience=patience,
            gradient=gradient, shots=shots, random_state=random_state,
        )  # fmt: skip
        self.encoding = "imported"
        self.ansatz = "imported"
        self.architecture = architecture
        self.classes = tuple(classes) if classes is not None else None
        self.preprocessing = preprocessing

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        keys = ("architecture", "classes", "preprocessing", "optimizer", "lr", "epochs",
                "batch_size", "early_stopping", "patience", "gradient", "shots", "random_state")  # fmt: skip
        return {k: getattr(self, k) for k in keys}

    def spec(self) -> ImportedSpec:  # type: ignore[override]
        """The imported architecture (not a :class:`QNNSpec`: no named encoding family)."""
        return self._architecture()

    def _architecture(self) -> ImportedSpec:
        if self.architecture is None:
            raise ConfigError("this ImportedClassifier has no architecture",
                              hint="import a model with qmlsec.interop")  # fmt: skip
        return self.architecture

    def _preprocessing(self) -> AffinePreprocessing:
        if self.preprocessing is not None:
            return self.preprocessing
        return AffinePreprocessing(self._architecture().n_inputs)

    def fit_preprocessing(self, X: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Keep the imported pre-processing; map the labels to the imported classes."""
        X, y = _check_xy(X, y)
        self.preprocessing_ = self._preprocessing()  # type: ignore[assignment]
        self.classes_ = self._classes()
        features = torch.as_tensor(self.preprocessing_.transform(X), dtype=torch.float64)
        return features, torch.as_tensor(_index_of(self.classes_, y), dtype=torch.long)

    def class_index(self, y: np.ndarray) -> np.ndarray:
        """Map original labels to class indices ``0..C-1`` (the imported classes' order)."""
        self._check_fitted()
        return _index_of(self.classes_, y)

    def _classes(self) -> np.ndarray:
        spec = self._architecture()
        if self.classes is not None:
            return np.asarray(self.classes)
        if spec.output == "sign":
            return np.array([-1, 1])
        return np.arange(self.n_outputs())

    def n_outputs(self) -> int:
        """Number of classes the head's outputs score."""
        spec = self._architecture()
        if spec.output == "sign":
            return 2
        linear = [layer.n_out for layer in spec.head if layer.n_out is not None]
        return int(linear[-1]) if linear else len(spec.readout)

    def init_model(self) -> ImportedQNN:
        """The untrained imported network (seeded weights)."""
        if not hasattr(self, "classes_"):
            raise ConfigError("fit the pre-processing first", hint="call fit_preprocessing(X, y)")
        self.model_ = ImportedQNN(
            self._architecture(), gradient=self.gradient, shots=self.shots,
            seed=derive_seed(self.random_state, "model"),
        )  # fmt: skip
        self.history_: list[dict[str, float]] = []
        return self.model_

    def restore(self, *, theta: Any, head: dict[str, Any] | None = None) -> ImportedClassifier:
        """Set the trained values: circuit weights and head ``state_dict``; returns self."""
        self.preprocessing_ = self._preprocessing()  # type: ignore[assignment]
        self.classes_ = self._classes()
        model = ImportedQNN(self._architecture(), seed=derive_seed(self.random_state, "model"))
        theta_t = torch.as_tensor(np.asarray(theta, dtype=np.float64)).reshape(-1)
        state = {"theta": theta_t, **{f"head.{k}": v for k, v in (head or {}).items()}}
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as err:
            raise ConfigError(
                f"the trained values do not fit the architecture: {' '.join(str(err).split())}",
                hint=f"the circuit has {model.compiled.n_weights} weights; check the weights' shapes",
            ) from None
        model.eval()
        self.model_ = model
        self.history_ = []
        return self

    def outputs(self, X: np.ndarray) -> np.ndarray:
        """The outputs as the source framework returns them ``(n, n_outputs)``."""
        self._check_fitted()
        model: Any = self.model_
        with torch.no_grad():
            feats = self.preprocessing_.torch_transform(
                torch.as_tensor(np.array(X, dtype=np.float64))
            )
            return model.outputs(feats).numpy()


def save_imported(
    clf: ImportedClassifier,
    path: Any,
    *,
    metadata: dict[str, Any] | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> Any:
    """Write a fitted imported classifier as a verified artifact (no pickle)."""
    from qmlsec.models.artifact import save_artifact

    clf._check_fitted()
    pre_config, pre_arrays = clf.preprocessing_.to_state()
    params = {k: v for k, v in clf.get_params().items()
              if k not in ("architecture", "classes", "preprocessing")}  # fmt: skip
    manifest = {
        "kind": KIND, "architecture": clf._architecture().model_dump(mode="json"),
        "params": params, "preprocessing": pre_config,
        "classes": np.asarray(clf.classes_).tolist(), "seed": int(clf.random_state),
        "n_features_in": int(clf.preprocessing_.n_features_in),
        "metadata": dict(metadata or {}),
    }  # fmt: skip
    tensors = {k: v.detach().contiguous() for k, v in clf.model_.state_dict().items()}
    arrays = {"pre." + k: v for k, v in pre_arrays.items()}
    return save_artifact(path, manifest=manifest, tensors=tensors, arrays=arrays,
                         qasm=qasm3.dumps(clf.model_.circuit), extra_files=extra_files)  # fmt: skip


def load_imported(art: Any) -> ImportedClassifier:
    """The imported classifier of a loaded, verified artifact."""
    m = art.manifest
    try:
        spec = ImportedSpec.model_validate(m["architecture"])
        pre = AffinePreprocessing.from_state(
            dict(m["preprocessing"]),
            {k[4:]: v for k, v in art.arrays.items() if k.startswith("pre.")},
        )
        clf = ImportedClassifier(architecture=spec, classes=list(m["classes"]),
                                 preprocessing=pre, **dict(m["params"]))  # fmt: skip
    except (KeyError, TypeError, ValueError) as err:
        raise ArtifactError(f"{art.path}: imported model manifest is invalid: {err}") from None
    if art.qasm != qasm3.dumps(spec.build()):
        raise ArtifactError(
            f"{art.path}: circuit.qasm does not match the circuit the manifest describes",
            hint="the circuit file was altered; re-import the model from a trusted source",
        )
    tensors = {k: torch.as_tensor(v) for k, v in art.tensors.items()}
    head = {k[5:]: v for k, v in tensors.items() if k.startswith("head.")}
    if "theta" not in tensors:
        raise ArtifactError(f"{art.path}: weights.safetensors has no 'theta'")
    try:
        clf.restore(theta=tensors["theta"].numpy(), head=head)
    except ConfigError as err:
        raise ArtifactError(f"{art.path}: {err}") from None
    clf.manifest_ = dict(m)
    return clf


def classifier_from_params(**params: Any) -> QNNClassifier:
    """An unfitted classifier of a recipe (``get_params()`` of a native or imported one).

    Example:
        >>> type(classifier_from_params(n_qubits=2, layers=1)).__name__
        'QNNClassifier'
    """
    if "architecture" in params:
        return ImportedClassifier(**params)
    return QNNClassifier(**params)
