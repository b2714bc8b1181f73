"""Model artifact theft by a compromised classical cloud from the deployment's storage.

After the SoK on QMLaaS security (Kundu, Ghosh et al., arXiv:2408.09562): the classical
cloud hosts pre-processing, the optimizer and the inference API, so it stores the circuit
definition and the trained parameters in the clear; a compromised host copies them. This
is classical model-file theft (MITRE ATLAS AML.T0035 / AML.T0048.004) applied to the
QNN artifact; no QML-specific incident is published, which the knowledge base records
as maturity ``feasible``.

The attack copies ``model/`` out of the deployment's classical store
(:class:`~qmlsec.attacks.storage.ClassicalStore`, the artifact as
:meth:`~qmlsec.cloud.deployment.Deployment.save` writes it) into its own directory,
loads it with the same verifying loader the service uses
(:func:`~qmlsec.models.persist.load_classifier`) and so holds a white-box clone: the
encoding and architecture (:class:`~qmlsec.attacks.facts.KnownEncoding`,
:class:`~qmlsec.attacks.facts.KnownArchitecture`), every trained circuit
weight (:class:`~qmlsec.attacks.facts.KnownParameters`) and the classical pre-processing
and head.

Measured: the clone's agreement with the victim on the test inputs (exact simulation,
Wilson interval over the ``n`` inputs), both accuracies, the largest absolute error over
every stored parameter (circuit weights, head, pre-processing arrays) and over the
circuit weights, and the bytes and files copied.

Not covered: encrypted-at-rest artifacts (the ``provider.encryption_at_rest`` mitigation)
and exfiltration detection; the store is staged from the served model in a temporary
directory, not read from a deployment directory on disk.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from pydantic import Field

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.extraction.base import ExtractionAttack
from qmlsec.attacks.facts import KnownArchitecture, KnownEncoding, KnownParameters
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.storage import MODEL_DIR, ClassicalStore
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel
from qmlsec.exceptions import DataError
from qmlsec.models.classifier import QNNClassifier
from qmlsec.models.persist import load_classifier
from qmlsec.stats import wilson


class ArtifactTheftParams(FrozenModel):
    """Parameters of :class:`ClassicalArtifactTheft`."""

    max_samples: int = Field(default=60, ge=1)
    """Test inputs the clone is compared with the victim on."""


def parameter_arrays(model: QNNClassifier) -> dict[str, np.ndarray]:
    """Every learned array of ``model``: the QNN's state dict and the pre-processing state."""
    arrays = {f"qnn.{k}": v.detach().cpu().numpy() for k, v in model.model_.state_dict().items()}
    _, pre = model.preprocessing_.to_state()
    arrays.update({f"preprocessing.{k}": np.asarray(v) for k, v in pre.items()})
    return arrays


def parameter_error(clone: QNNClassifier, victim: QNNClassifier) -> tuple[float, float]:
    """Largest absolute difference over all arrays, and over the circuit weights only.

    An array missing from either side or of another shape counts as ``inf``.
    """
    a, b = parameter_arrays(clone), parameter_arrays(victim)
    worst = 0.0
    for key in a.keys() | b.keys():
        if key not in a or key not in b or a[key].shape != b[key].shape:
            return float("inf"), float("inf")
        if a[key].size:
            worst = max(worst, float(np.max(np.abs(a[key].astype(float) - b[key].astype(float)))))
    theta = float(
        torch.max(torch.abs(clone.model_.theta.detach() - victim.model_.theta.detach())).item()
    )
    return worst, theta


class ClassicalArtifactTheft(ExtractionAttack):
    """The classical cloud copies the stored model artifact (QML.T0033)."""

    name: ClassVar[str] = "extraction.classical_artifact_theft"
    technique_id: ClassVar[str] = "QML.T0033"
    requires = frozenset({Capability.WEIGHTS})
    positions = frozenset({Position.UNTRUSTED_CLASSICAL_CLOUD})
    Params = ArtifactTheftParams
    check_params: ClassVar[dict] = {"max_samples": 20}

    def _run(self, ctx: AttackContext) -> AttackResult:
        victim = self.target.model
        if victim is None or ctx.x_train is None or ctx.y_train is None:
            raise DataError(
                "artifact theft needs the deployed model and its training split to stage "
                "the classical store",
                hint="build the setup with AttackSetup.from_deployment",
            )
        x = np.asarray(ctx.x_test[: self.params.max_samples], dtype=np.float64)
        y = np.asarray(ctx.y_test[: self.params.max_samples])
        with tempfile.TemporaryDirectory(prefix="qmlsec-store-") as tmp:
            store = ClassicalStore.stage(victim, ctx.x_train, ctx.y_train, Path(tmp) / "cloud")
            loot = Path(tmp) / "attacker" / MODEL_DIR
            shutil.copytree(store.root / MODEL_DIR, loot)
            copied = sorted(p for p in loot.rglob("*") if p.is_file())
            n_bytes = sum(p.stat().st_size for p in copied)
            clone = load_classifier(loot)
        victim_pred, clone_pred = np.asarray(victim.predict(x)), np.asarray(clone.predict(x))
        agree = victim_pred == clone_pred
        worst, theta_err = parameter_error(clone, victim)
        result = self.new_result()
        result.per_sample = {"label": y.tolist(), "victim_prediction": victim_pred.tolist(),
                             "clone_prediction": clone_pred.tolist()}  # fmt: skip
        result.metrics = {
            "clone_agreement": float(agree.mean()),
            "clone_accuracy": float(np.mean(clone_pred == y)),
            "victim_accuracy": float(np.mean(victim_pred == y)),
            "max_parameter_error": worst,
            "theta_error": theta_err,
            "files_copied": float(len(copied)),
            "bytes_copied": float(n_bytes),
        }
        result.intervals["clone_agreement"] = wilson(int(agree.sum()), len(agree))
        result.outputs["clone"] = clone
        spec = clone.spec()
        theta = clone.model_.theta.detach().numpy().copy()
        result.establish(
            KnownEncoding(spec), KnownArchitecture(spec=spec), KnownParameters(theta=theta)
        )
        result.provides += ["cap.model_white_box", "goal.model_stolen", "goal.ip_stolen"]
        result.notes.append(
            f"copied {len(copied)} files ({n_bytes} bytes) of the model artifact; "
            f"loaded {spec.encoding}/{spec.ansatz}/{spec.layers} layers/{spec.n_qubits} qubits"
        )
        return result
