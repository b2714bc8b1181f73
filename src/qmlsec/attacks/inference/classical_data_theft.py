"""Training-data collection by a compromised classical cloud from its storage.

After the SoK on QMLaaS security (Kundu, Ghosh et al., arXiv:2408.09562): in step 1 of
the QMLaaS training workflow the user uploads raw data and labels to the classical
cloud, which pre-processes them and keeps both for training and retraining, in the
clear; a compromised host reads them (MITRE ATLAS AML.T0036, data from information
repositories). No QML-specific incident is published (maturity ``feasible``).

The attack copies ``data/`` out of the deployment's classical store
(:class:`~qmlsec.attacks.storage.ClassicalStore`: ``train.npz`` with the raw upload,
``features.npz`` with the circuit inputs the cloud computed from it), parses both
without pickle and hands on the circuit inputs as
:class:`~qmlsec.attacks.facts.TrainingInputs` (``space="encoded"``, the space the
quantum provider's data theft produces, so the same later stages consume either) and
the labels as :class:`~qmlsec.attacks.facts.TrainingLabels`; the raw rows are in
``outputs["raw_inputs"]``.

Measured against the victim's training split: the fraction of its rows recovered
exactly (the same features, bit for bit, with the same label; Wilson interval over the
``n`` training rows), the fraction of stolen rows that are victim rows, and the bytes
read.

Not covered: data encrypted at rest, partial reads, and exfiltration detection; the
store is staged from the served model and the training split in a temporary directory.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import ClassVar

import numpy as np

from qmlsec.attacks.base import AttackContext, NoParams
from qmlsec.attacks.facts import TrainingInputs, TrainingLabels
from qmlsec.attacks.inference.base import InferenceAttack
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.storage import ClassicalStore
from qmlsec.attacks.targets import Capability, Position
from qmlsec.exceptions import DataError
from qmlsec.stats import wilson


def row_keys(x: np.ndarray, y: np.ndarray) -> list[bytes]:
    """One exact key per row: its float64 bytes and its label."""
    x = np.ascontiguousarray(np.asarray(x, dtype=np.float64))
    return [row.tobytes() + b"|" + str(label).encode() for row, label in zip(x, y, strict=True)]


class ClassicalDataTheft(InferenceAttack):
    """The classical cloud reads the stored training upload (QML.T0034)."""

    name: ClassVar[str] = "inference.classical_data_theft"
    technique_id: ClassVar[str] = "QML.T0034"
    requires = frozenset({Capability.TRAINING_DATA_READ})
    positions = frozenset({Position.UNTRUSTED_CLASSICAL_CLOUD})
    Params = NoParams
    check_params: ClassVar[dict] = {}

    def _run(self, ctx: AttackContext) -> AttackResult:
        victim = self.target.model
        if victim is None or ctx.x_train is None or ctx.y_train is None:
            raise DataError(
                "classical data theft needs the deployed model and the training split the "
                "classical cloud stores",
                hint="build the setup with AttackSetup.from_deployment",
            )
        with tempfile.TemporaryDirectory(prefix="qmlsec-store-") as tmp:
            store = ClassicalStore.stage(victim, ctx.x_train, ctx.y_train, Path(tmp) / "cloud")
            loot = ClassicalStore(Path(tmp) / "attacker")
            shutil.copytree(store.root / "data", loot.root / "data")
            n_bytes = sum(p.stat().st_size for p in loot.files("data"))
            raw_x, raw_y = loot.load_training()
            inputs, labels = loot.load_features()
        stolen = set(row_keys(raw_x, raw_y))
        truth = row_keys(ctx.x_train, ctx.y_train)
        recovered = [key in stolen for key in truth]
        genuine = set(truth)
        precision = float(np.mean([key in genuine for key in row_keys(raw_x, raw_y)]))
        result = self.new_result()
        result.per_sample = {"recovered": recovered}
        result.metrics = {
            "recovered_fraction": float(np.mean(recovered)),
            "stolen_rows": float(len(raw_x)),
            "stolen_precision": precision,
            "bytes_read": float(n_bytes),
        }
        result.intervals["recovered_fraction"] = wilson(sum(recovered), len(recovered))
        result.intervals["stolen_precision"] = wilson(round(precision * len(raw_x)), len(raw_x))
        result.outputs.update(raw_inputs=raw_x, raw_labels=raw_y)
        result.establish(
            TrainingInputs(inputs=np.asarray(inputs, dtype=np.float64), space="encoded"),
            TrainingLabels(labels=np.asarray(labels)),
        )
        result.provides.append("goal.training_data_exposed")
        result.notes.append(
            f"read {len(raw_x)} training rows and their circuit inputs ({n_bytes} bytes)"
        )
        return result
