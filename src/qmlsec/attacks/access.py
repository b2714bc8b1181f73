"""Attacker access: the foothold in the quantum cloud and the victim's traffic through it.

Provider-level attacks of every family (tampering, circuit trojans, fault injection,
leakage, side channels, reconnaissance, availability) and the provider defenses act
only through :class:`~qmlsec.cloud.providers.QuantumCloud` hooks
(:class:`~qmlsec.cloud.providers.hooks.ProviderHook`); the victim's inference runs
through an :class:`~qmlsec.cloud.inference.InferenceEndpoint` on that cloud, so every
query is a real provider job (transpiled, queued, priced, recorded). This module gives
attacks the cloud (the target's when it has one, else a fresh one on ``device`` with the
trust level the attack needs), installs a hook for the duration of a measurement, and
measures the victim's accuracy through the cloud.

Example:
    >>> cloud = provider_cloud(None, device="fake_manila", trust="malicious", seed=0)
    >>> cloud.trust.value, cloud.pool[0].name
    ('malicious', 'fake_manila')
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from pydantic import Field

from qmlsec.attacks.targets import Position
from qmlsec.cloud.inference import InferenceEndpoint
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.config import FrozenModel, derive_seed

DEFAULT_DEVICE = "fake_manila"


class ProviderRunParams(FrozenModel):
    """Parameters every attack acting through the victim's provider shares."""

    device: str | None = None
    """Device of the provider's pool (default: the cloud's first device, ``fake_manila``)."""
    noisy: bool = False
    shots: int = Field(default=1024, ge=1)
    max_samples: int = Field(default=60, ge=1)


def provider_cloud(
    target: Any,
    *,
    device: str | None = None,
    trust: str = "malicious",
    seed: int = 0,
    noise_scale: float = 1.0,
    **kwargs: Any,
) -> QuantumCloud:
    """The target's cloud when it carries one, else a fresh cloud on ``device``.

    Args:
        target: the attack's :class:`~qmlsec.attacks.targets.Target` (or ``None``).
        device: the device of a fresh cloud (default ``fake_manila``).
        trust: trust level of a fresh cloud (``malicious`` to carry modifying hooks).
        seed: seed of a fresh cloud.
        noise_scale: calibration-noise scale of a fresh cloud (0: noiseless device).
        **kwargs: further ``QuantumCloud`` arguments (contributors, load, pricing...).
            A fresh cloud beside the target's keeps its ``classical_tail`` setting.
    """
    cloud = getattr(target, "cloud", None)
    if cloud is not None and not kwargs:
        return cloud
    if cloud is not None:
        kwargs.setdefault("classical_tail", cloud.classical_tail)
    return QuantumCloud(
        [device or DEFAULT_DEVICE],
        trust=trust,
        seed=derive_seed(seed, "provider"),
        noise_scale=noise_scale,
        **kwargs,
    )


def device_of(cloud: QuantumCloud, requested: str | None) -> str:
    """``requested`` when the cloud's pool has it, else the pool's first device."""
    names = [d.name for d in cloud.pool]
    return requested if requested in names else names[0]


@contextmanager
def installed(
    cloud: QuantumCloud, *hooks: Any, position: Position | None = None
) -> Iterator[QuantumCloud]:
    """Add ``hooks`` to ``cloud`` (trust-checked) for the duration of the block.

    From the ``supply_chain`` position the hooks are compiler passes the attacker
    supplied to the provider's transpiler: they may only transform circuits, and the
    provider's trust does not limit them.
    """
    for hook in hooks:
        cloud.add_hook(hook, supplied=position is Position.SUPPLY_CHAIN)
    try:
        yield cloud
    finally:
        for hook in hooks:
            if hook in cloud.hooks:
                cloud.hooks.remove(hook)


def serve(
    model: Any, cloud: QuantumCloud, *, device: str | None = None, shots: int | None, seed: int
) -> InferenceEndpoint:
    """The victim's model deployed behind an endpoint whose circuits run on ``cloud``."""
    return InferenceEndpoint(
        model, device=device_of(cloud, device), shots=shots, quantum=cloud, seed=seed
    )


def predict(endpoint: InferenceEndpoint, X: np.ndarray, *, seed: int) -> np.ndarray:
    """Class labels of ``X`` answered by ``endpoint`` (one cloud job per call)."""
    idx = np.asarray(endpoint.query(X, output="labels", seed=seed).values, dtype=int)
    return np.asarray(endpoint.classifier.classes_)[idx]


def accuracy(
    model: Any,
    cloud: QuantumCloud,
    X: np.ndarray,
    y: np.ndarray,
    *,
    device: str | None = None,
    shots: int | None,
    seed: int,
) -> tuple[float, np.ndarray]:
    """Accuracy of the victim on ``(X, y)`` served through ``cloud``, and its predictions."""
    pred = predict(serve(model, cloud, device=device, shots=shots, seed=seed), X, seed=seed)
    return float(np.mean(pred == np.asarray(y))), pred


__all__ = [
    "DEFAULT_DEVICE",
    "accuracy",
    "device_of",
    "installed",
    "predict",
    "provider_cloud",
    "serve",
]
