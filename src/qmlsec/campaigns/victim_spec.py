"""The victim a campaign run or an assessment attacks, as data.

Example:
    >>> spec = VictimSpec(dataset="iris", classes=None, qubits=4, layers=2, epochs=5)
    >>> spec.label
    'iris-4q-2l'
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from qmlsec.cloud.parties import TrustLevel
from qmlsec.config import FrozenModel

GRADIENTS = ("backprop", "parameter-shift", "spsa", "finite-diff")


class VictimSpec(FrozenModel):
    """How the victim model is trained.

    Attributes:
        dataset: built-in dataset name (``digits``, ``iris``...) or a CSV/NPZ path.
        classes: class subset such as ``"0-3"``; ``None`` for all classes.
        qubits: qubits of the PQC (= PCA components for angle encoding).
        layers: ansatz layers.
        entanglement: ``linear`` (default), ``ring`` or ``full``. A linear chain maps onto
            the heavy-hex fake devices without SWAPs (8 active qubits for the default
            victim on fake_guadalupe), which keeps device runs on an 8-qubit density matrix;
            a ring routes onto 12 physical qubits, leaves no room for co-tenants and
            makes every noisy execution ~100x slower (measured: 20 rows at 1024 shots,
            0.7 s vs 122 s).
        epochs, lr, batch_size: training.
        gradient: ``backprop``, ``parameter-shift``, ``spsa`` or ``finite-diff``.
        shots: shots per circuit during training; ``None`` for exact expectations.
        device: the device profile the QMLaaS pipeline executes on (a fake IBM device).
        test_size: held-out fraction.
        max_train: keep at most this many training samples (``None``: all).
        name: a label for tables and plots (default: derived from the fields).
        finetune_epochs: epochs of fine-tuning on ``device`` after training (``0``: none).
            Training with ``backprop`` is the classical cloud's exact simulation; the
            fine-tuning runs every forward and gradient circuit as a quantum-cloud job.
        finetune_gradient: the hardware gradient of the fine-tuning (``spsa``: 3 circuits
            per sample; ``parameter-shift``: 2 per weight and sample).
        finetune_samples: training samples fine-tuned on (the first ones).
        finetune_batch_size, finetune_lr: the fine-tuning optimiser (Adam).
        finetune_shots: shots per device circuit while fine-tuning and scoring.
        finetune_eval_samples: test samples scored on the device before and after.
        classical_trust, quantum_trust: trust levels of the deployment's classical and
            quantum cloud (``trusted``, ``honest-but-curious``, ``malicious``). The
            default is the worst case, both malicious, so every attacker position is
            available and a grid over attacks runs each of them; a more trusted
            deployment refuses the attacks its trust forbids.
        readout, head, head_scale: the readout observables and the head (see
            :class:`~qmlsec.models.classifier.QNNClassifier`; ``head: none`` uses the
            expectations as class scores).
        serving: where inference circuits run (``simulation``, the default: the
            classical cloud's exact simulation, sampling the query's shots; ``device``:
            every query is a job on ``device``, about a second per circuit on the
            emulated 16-qubit devices).
    """

    dataset: str = "digits"
    classes: str | None = "0-3"
    qubits: int = Field(default=8, ge=1, le=20)
    layers: int = Field(default=3, ge=1)
    entanglement: str = "linear"
    readout: tuple[str, ...] | None = None
    head: Literal["linear", "none"] = "linear"
    head_scale: float = Field(default=1.0, gt=0)
    epochs: int = Field(default=15, ge=1)
    lr: float = Field(default=0.05, gt=0)
    batch_size: int = Field(default=32, ge=0)
    gradient: str = "backprop"
    shots: int | None = Field(default=None, ge=1)
    device: str = "fake_guadalupe"
    test_size: float = Field(default=0.25, gt=0.0, lt=1.0)
    max_train: int | None = Field(default=None, ge=8)
    name: str = ""
    finetune_epochs: int = Field(default=0, ge=0)
    finetune_gradient: str = "spsa"
    finetune_samples: int = Field(default=16, ge=2)
    finetune_batch_size: int = Field(default=4, ge=1)
    finetune_lr: float = Field(default=0.01, gt=0)
    finetune_shots: int = Field(default=128, ge=1)
    finetune_eval_samples: int = Field(default=32, ge=1)
    classical_trust: TrustLevel = TrustLevel.MALICIOUS
    quantum_trust: TrustLevel = TrustLevel.MALICIOUS
    serving: Literal["device", "simulation"] = "simulation"

    @field_validator("gradient")
    @classmethod
    def _known_gradient(cls, value: str) -> str:
        if value not in GRADIENTS:
            raise ValueError(f"unknown gradient {value!r}; use one of {', '.join(GRADIENTS)}")
        return value

    @field_validator("entanglement")
    @classmethod
    def _known_entanglement(cls, value: str) -> str:
        if value not in ("linear", "ring", "full"):
            raise ValueError(f"unknown entanglement {value!r}; use linear, ring or full")
        return value

    @field_validator("finetune_gradient")
    @classmethod
    def _hardware_gradient(cls, value: str) -> str:
        if value not in GRADIENTS or value == "backprop":
            raise ValueError(
                f"fine-tuning on a device needs a hardware gradient, got {value!r}; "
                "use spsa, parameter-shift or finite-diff"
            )
        return value

    @property
    def label(self) -> str:
        """A short human-readable name."""
        return self.name or f"{self.dataset}-{self.qubits}q-{self.layers}l"
