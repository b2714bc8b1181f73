"""One QMLaaS deployment: the model, its clouds with their trust, tenants, ledger and costs.

A :class:`Deployment` is the unit that training, attacks, defenses and the report act
on. It holds

- the fitted model (a verified artifact on disk, under ``model/``),
- the classical cloud (pre-/post-processing, optimizer, API host) and its trust level,
- the quantum cloud: its device pool (the user's device first), shots per circuit,
  calibration-noise scale, allocation policy and trust level,
- who transpiles (``quantum_cloud`` - the provider's compiler - or ``classical_cloud``),
- the tenants of the quantum cloud, the exposure ledger and the cost account, shared
  by every cloud object the deployment builds, so what an attacker does through them
  lands in the same records as the victim's own workflow.

Trust is three-valued everywhere (:class:`~qmlsec.cloud.parties.TrustLevel`): a trusted
provider carries no hooks, an honest-but-curious one may observe but never modify, a
malicious one may do both; the clouds enforce it when a hook is installed.

On disk a deployment directory holds ``deployment.json`` (validated, no pickle),
``ledger.json``, ``cost.json`` and the model artifact ``model/``. ``deployment.json``
records the sha256 of the artifact's manifest (which lists the sha256 of every model
file), so a swapped or edited model is refused on load.

Example:
    >>> from qmlsec.data import load_dataset, split
    >>> from qmlsec.models.classifier import QNNClassifier
    >>> train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    >>> clf = QNNClassifier(n_qubits=4, layers=1, epochs=2, lr=0.1).fit(train.X, train.y)
    >>> d = Deployment(DeploymentSpec(quantum={"device": "ideal", "trust": "malicious"}), clf)
    >>> d.quantum.trust.value, d.endpoint().device
    ('malicious', 'ideal')
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_validator

from qmlsec.cloud.cost import CostAccount
from qmlsec.cloud.devices import get_device
from qmlsec.cloud.inference import InferenceEndpoint
from qmlsec.cloud.ledger import ExposureLedger
from qmlsec.cloud.parties import Party, TrustLevel
from qmlsec.cloud.primitives import Execution, PrimitiveName, PrimitiveSettings
from qmlsec.cloud.providers import ClassicalCloud, QuantumCloud
from qmlsec.cloud.providers.allocation import Policy
from qmlsec.config import FrozenModel, derive_seed
from qmlsec.data import load_dataset, split
from qmlsec.data.dataset import Dataset
from qmlsec.exceptions import ArtifactError, ConfigError, DataError, QmlsecError
from qmlsec.models.artifact import artifact_digest
from qmlsec.models.classifier import QNNClassifier
from qmlsec.models.persist import load_classifier, save_classifier

FORMAT: Literal["qmlsec-deployment"] = "qmlsec-deployment"
DEPLOYMENT_FILE = "deployment.json"
LEDGER_FILE = "ledger.json"
COST_FILE = "cost.json"
MODEL_DIR = "model"


class ClassicalSettings(FrozenModel):
    """The classical cloud: who pre-processes, trains and serves."""

    trust: TrustLevel = TrustLevel.TRUSTED


class QuantumSettings(FrozenModel):
    """The quantum cloud the circuits run on."""

    trust: TrustLevel = TrustLevel.HONEST_BUT_CURIOUS
    device: str = "ideal"
    """The device the user pays for (first of the pool)."""
    pool: tuple[str, ...] = ()
    """Further devices of the provider (allocation, downgrade, rerouting act among them)."""
    shots: int | None = Field(default=1024, ge=1)
    """Shots per circuit of every job (``None``: exact expectations)."""
    noise_scale: float = Field(default=1.0, ge=0)
    policy: Policy = "requested"
    optimization_level: int = Field(default=1, ge=0, le=3)
    classical_tail: bool = True
    """Run a circuit's final CNOT/SWAP network on the measured bits where every
    observable is diagonal (:mod:`qmlsec.cloud.backends.tail`; builtin backends)."""
    primitive: PrimitiveName = "builtin"
    """How jobs execute (:mod:`qmlsec.cloud.primitives`): ``builtin`` simulated backends,
    or a Qiskit V2 primitive: ``aer``, ``ibm-runtime-local``, ``ibm-runtime``,
    ``braket-local``."""
    execution: Execution = "job"
    """IBM Runtime execution mode: one ``job`` each, a ``session`` or a ``batch``."""
    remote_backend: str | None = None
    """``ibm-runtime``: the IBM Quantum backend the jobs go to (``ibm_<name>``)."""

    @model_validator(mode="before")
    @classmethod
    def _ibm_backend(cls, data: Any) -> Any:
        """``primitive: ibm-runtime`` with ``device: ibm_<name>`` sends the jobs to that
        backend and keeps its catalogued snapshot ``fake_<name>`` (or ``ideal`` when
        none is catalogued) as the device predictions and reports are made for."""
        if not isinstance(data, dict) or data.get("primitive") != "ibm-runtime":
            return data
        device = str(data.get("device", ""))
        if device.startswith("ibm_"):
            data = {**data, "remote_backend": data.get("remote_backend") or device}
            twin = "fake_" + device.removeprefix("ibm_")
            data["device"] = twin if _catalogued(twin) else "ideal"
        if not data.get("remote_backend"):
            raise ValueError("primitive ibm-runtime needs the IBM backend: --backend ibm_<name>")
        return data

    @field_validator("device", "pool")
    @classmethod
    def _known(cls, value: Any) -> Any:
        for name in (value,) if isinstance(value, str) else value:
            get_device(name)  # NotFoundError names the closest catalogued devices
        return value

    @property
    def devices(self) -> tuple[str, ...]:
        """The pool, the user's device first."""
        return (self.device, *(d for d in self.pool if d != self.device))

    @property
    def primitive_settings(self) -> PrimitiveSettings:
        """The execution interface of the quantum cloud."""
        return PrimitiveSettings(
            name=self.primitive, execution=self.execution, remote_backend=self.remote_backend
        )


class DeploymentSpec(FrozenModel):
    """Everything about a deployment except the model's weights (``deployment.json``)."""

    format: Literal["qmlsec-deployment"] = FORMAT
    version: Literal[1] = 1
    seed: int = 0
    tenant: str = Field(default="victim", min_length=1)
    co_tenants: tuple[str, ...] = ()
    """Other tenants of the quantum cloud (their background jobs run beside the user's)."""
    classical: ClassicalSettings = ClassicalSettings()
    quantum: QuantumSettings = QuantumSettings()
    transpiler_host: Literal["quantum_cloud", "classical_cloud"] = "quantum_cloud"
    serving: Literal["device", "simulation"] = "device"
    """Where inference circuits run: on the quantum cloud's device (every query is a
    provider job) or in the classical cloud's exact simulation (faster; no provider
    sees inference queries)."""
    model_digest: str = ""
    """sha256 of the model artifact's manifest (set when saved)."""
    dataset: dict[str, Any] = Field(default_factory=dict)
    """How to rebuild the train/test split (name, classes, test_size, seed)."""

    def trust_of(self, party: Party | str) -> TrustLevel:
        """The trust level of ``party`` in this deployment."""
        party = Party(party)
        if party is Party.CLASSICAL_CLOUD:
            return self.classical.trust
        if party is Party.QUANTUM_CLOUD:
            return self.quantum.trust
        if party is Party.TRANSPILER:
            return self.trust_of(self.transpiler_host)
        return TrustLevel.TRUSTED if party is Party.USER else TrustLevel.MALICIOUS


class Deployment:
    """A model deployed through a classical and a quantum cloud (see the module docstring).

    Args:
        spec: the deployment's settings.
        model: the fitted classifier.
        ledger, cost: the records to continue (default: empty).
        path: the directory it was loaded from or saved to.
    """

    def __init__(
        self,
        spec: DeploymentSpec,
        model: QNNClassifier,
        *,
        ledger: ExposureLedger | None = None,
        cost: CostAccount | None = None,
        path: Path | None = None,
    ) -> None:
        self.spec = spec
        self.model = model
        self.ledger = ledger if ledger is not None else ExposureLedger()
        self.cost = cost if cost is not None else CostAccount()
        self.path = path
        self.classical = ClassicalCloud(trust=spec.classical.trust, ledger=self.ledger)
        q = spec.quantum
        self.quantum = QuantumCloud(
            list(q.devices), policy=q.policy, trust=q.trust, noise_scale=q.noise_scale,
            optimization_level=q.optimization_level, classical_tail=q.classical_tail,
            seed=derive_seed(spec.seed, "quantum-cloud"),
            ledger=self.ledger, cost=self.cost, tenants=spec.co_tenants,
            primitive=q.primitive_settings,
        )  # fmt: skip
        self._endpoint: InferenceEndpoint | None = None

    # -- what the deployment is --------------------------------------------------------
    @property
    def device(self) -> str:
        """The device the user's circuits are requested on."""
        return self.spec.quantum.device

    @property
    def shots(self) -> int | None:
        """Shots per circuit on the quantum cloud."""
        return self.spec.quantum.shots

    def trust_of(self, party: Party | str) -> TrustLevel:
        """The trust level of ``party``."""
        return self.spec.trust_of(party)

    def describe(self) -> dict[str, Any]:
        """JSON-ready summary: settings, model, ledger and cost totals."""
        return {
            **self.spec.model_dump(mode="json"),
            "path": str(self.path) if self.path is not None else None,
            "model": {
                "spec": self.model.spec().model_dump(mode="json"),
                "gradient": self.model.gradient,
                "classes": np.asarray(self.model.classes_).tolist(),
                "n_features": int(self.model.preprocessing_.n_features_in),
            },
            "ledger_entries": len(self.ledger),
            "attacks_recorded": self.ledger.actors(),
            "cost": self.cost.summary()["total"],
        }

    def split(self) -> tuple[Dataset, Dataset]:
        """The train/test split the model was trained on, rebuilt from the recorded dataset."""
        meta = self.spec.dataset
        try:
            ds = load_dataset(meta["name"], classes=meta.get("classes"), seed=int(meta["seed"]))
            return split(ds, test_size=float(meta["test_size"]), seed=int(meta["seed"]))
        except KeyError as err:
            raise DataError(
                f"the deployment records no dataset field {err}",
                hint="train it with `qmlsec train`, which records the dataset",
            ) from None

    # -- what the deployment serves ----------------------------------------------------
    def endpoint(self) -> InferenceEndpoint:
        """The inference endpoint (one per deployment, so its query counter is shared).

        With ``serving="device"`` every query is a job on the quantum cloud, on the
        deployment's device with its shots; with ``serving="simulation"`` (or on the
        ``ideal`` device) the classical cloud evaluates the circuit itself, sampling the
        same shots (the hand-offs are recorded all the same).
        """
        if self._endpoint is None:
            q = self.spec.quantum
            on_device = self.spec.serving == "device" and (
                self.device != "ideal" or q.primitive != "builtin"
            )
            self._endpoint = InferenceEndpoint(
                self.model, model_id=self.spec.tenant, device=self.device if on_device else "ideal",
                shots=self.spec.quantum.shots,
                quantum=self.quantum if on_device else None, classical=self.classical,
                ledger=self.ledger, tenant=self.spec.tenant,
                seed=derive_seed(self.spec.seed, "inference"),
            )  # fmt: skip
        return self._endpoint

    def serving_info(self) -> dict[str, Any]:
        """Where and how queries are answered (recorded in every attack result)."""
        ep = self.endpoint()
        return {
            "device": ep.device, "shots": ep.shots, "serving": self.spec.serving,
            "quantum_trust": self.spec.quantum.trust.value,
            "classical_trust": self.spec.classical.trust.value,
            "deployment": str(self.path) if self.path is not None else None,
            "primitive": self.spec.quantum.primitive,
        }  # fmt: skip

    def with_model(self, model: QNNClassifier) -> Deployment:
        """The same deployment (clouds, hooks, ledger, cost) serving another model."""
        clone = copy.copy(self)
        clone.model, clone._endpoint = model, None
        return clone

    def reconfigure(self, **changes: Any) -> Deployment:
        """The same model and records under changed settings (no retraining).

        ``changes`` are top-level fields of :class:`DeploymentSpec`; ``classical`` and
        ``quantum`` take a mapping of their own fields to change.
        """
        data = self.spec.model_dump(mode="json")
        for key, value in changes.items():
            if key in ("classical", "quantum") and isinstance(value, dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        spec = parse_spec(data, "deployment settings")
        return Deployment(spec, self.model, ledger=self.ledger, cost=self.cost, path=self.path)

    # -- disk -----------------------------------------------------------------------------
    def save(self, path: str | Path, *, metadata: dict[str, Any] | None = None) -> Path:
        """Write the deployment to ``path`` (the model under ``model/`` when not there yet)."""
        root = Path(path)
        model_dir = root / MODEL_DIR
        if not (model_dir / "manifest.json").is_file():
            root.mkdir(parents=True, exist_ok=True)
            save_classifier(self.model, model_dir, metadata=metadata)
        spec = self.spec.model_copy(update={"model_digest": artifact_digest(model_dir)})
        (root / LEDGER_FILE).write_text(self.ledger.to_json() + "\n")
        (root / COST_FILE).write_text(json.dumps(self.cost.summary(), indent=2, sort_keys=True))
        tmp = root / (DEPLOYMENT_FILE + ".tmp")
        tmp.write_text(spec.model_dump_json(indent=2) + "\n")
        tmp.replace(root / DEPLOYMENT_FILE)
        self.spec, self.path = spec, root
        return root

    def save_records(self) -> None:
        """Persist the ledger and the cost account (after attacks acted on the deployment)."""
        if self.path is None:
            raise ConfigError("this deployment has no directory", hint="save() it first")
        (self.path / LEDGER_FILE).write_text(self.ledger.to_json() + "\n")
        (self.path / COST_FILE).write_text(
            json.dumps(self.cost.summary(), indent=2, sort_keys=True)
        )

    @classmethod
    def load(cls, path: str | Path) -> Deployment:
        """Load and verify the deployment at ``path``.

        Raises:
            ArtifactError: not a deployment directory, or the model does not match the
                digest recorded in ``deployment.json``.
            ConfigError: ``deployment.json``, ``ledger.json`` or ``cost.json`` is invalid
                (unknown field, device or trust level, malformed JSON).
        """
        root = Path(path)
        spec_file = root / DEPLOYMENT_FILE
        try:
            if not spec_file.is_file():
                raise ArtifactError(
                    f"{root} is not a deployment (no {DEPLOYMENT_FILE})",
                    hint="train one with `qmlsec train --out DIR` or use --model for a bare artifact",
                )
            raw = spec_file.read_text("utf-8")
        except OSError as err:
            raise ArtifactError(f"cannot read {spec_file}: {err.strerror}") from None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as err:
            raise ConfigError(f"{spec_file} is not JSON: {err}", hint="restore it") from None
        spec = parse_spec(data, str(spec_file))
        model_dir = root / MODEL_DIR
        digest = artifact_digest(model_dir)
        if digest != spec.model_digest:
            raise ArtifactError(
                f"{model_dir} does not match the model digest recorded in {DEPLOYMENT_FILE} "
                "(the model was replaced or edited)",
                hint="do not use this deployment; restore the model or re-train",
            )
        model = load_classifier(model_dir)
        ledger = ExposureLedger.from_json(_read(root / LEDGER_FILE, '{"entries": []}'))
        try:
            cost = CostAccount.from_summary(json.loads(_read(root / COST_FILE, "{}") or "{}"))
        except json.JSONDecodeError as err:
            raise ConfigError(f"{root / COST_FILE} is not JSON: {err}") from None
        return cls(spec, model, ledger=ledger, cost=cost, path=root)


def _catalogued(name: str) -> bool:
    """Whether ``name`` is a catalogued fake device (loads only that snapshot)."""
    from qmlsec.cloud.devices import _fake_by_name

    return _fake_by_name(name) is not None


def _read(path: Path, default: str) -> str:
    try:
        return path.read_text("utf-8") if path.exists() else default
    except (OSError, UnicodeDecodeError) as err:
        raise ArtifactError(f"cannot read {path}: {err}") from None


def parse_spec(data: Any, where: str) -> DeploymentSpec:
    """Validate ``data`` as :class:`DeploymentSpec`; a ConfigError names the field at fault."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    try:
        return DeploymentSpec.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        cause = first.get("ctx", {}).get("error")
        msg = str(cause) if isinstance(cause, QmlsecError) else first["msg"]
        raise ConfigError(
            f"{where}: {loc}: {msg}",
            hint="trust levels: trusted, honest-but-curious, malicious; "
            "`qmlsec devices` lists the devices",
        ) from None


def is_deployment(path: str | Path) -> bool:
    """Whether ``path`` is a deployment directory (holds ``deployment.json``)."""
    return (Path(path) / DEPLOYMENT_FILE).is_file()
