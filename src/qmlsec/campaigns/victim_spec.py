"""The victim a campaign run or an assessment attacks, as data.

Example:
    >>> spec = VictimSpec(dataset="iris", classes=None, qubits=4, layers=2, epochs=5)
    >>> spec.label
    'iris-4q-2l'
"""

from __future__ import annotations

from pydantic import Field, field_validator

from qmlsec.config import FrozenModel

GRADIENTS = ("backprop", "parameter-shift", "spsa", "finite-diff")


class VictimSpec(FrozenModel):
    """How the victim model is trained.

    Attributes:
        dataset: built-in dataset name (``digits``, ``iris``...) or a CSV/NPZ path.
        classes: class subset such as ``"0-3"``; ``None`` for all classes.
        qubits: qubits of the PQC (= PCA components for angle encoding).
        layers: ansatz layers.
        epochs, lr, batch_size: training.
        gradient: ``backprop``, ``parameter-shift``, ``spsa`` or ``finite-diff``.
        shots: shots per circuit during training; ``None`` for exact expectations.
        device: the device profile the QMLaaS pipeline executes on (a fake IBM device).
        test_size: held-out fraction.
        max_train: keep at most this many training samples (``None``: all).
        name: a label for tables and plots (default: derived from the fields).
    """

    dataset: str = "digits"
    classes: str | None = "0-3"
    qubits: int = Field(default=8, ge=1, le=20)
    layers: int = Field(default=3, ge=1)
    epochs: int = Field(default=15, ge=1)
    lr: float = Field(default=0.05, gt=0)
    batch_size: int = Field(default=32, ge=0)
    gradient: str = "backprop"
    shots: int | None = Field(default=None, ge=1)
    device: str = "fake_guadalupe"
    test_size: float = Field(default=0.25, gt=0.0, lt=1.0)
    max_train: int | None = Field(default=None, ge=8)
    name: str = ""

    @field_validator("gradient")
    @classmethod
    def _known_gradient(cls, value: str) -> str:
        if value not in GRADIENTS:
            raise ValueError(f"unknown gradient {value!r}; use one of {', '.join(GRADIENTS)}")
        return value

    @property
    def label(self) -> str:
        """A short human-readable name."""
        return self.name or f"{self.dataset}-{self.qubits}q-{self.layers}l"
