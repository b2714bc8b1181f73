"""Small trained victims for conformance checks and tests, trained once per process.

A victim is deployed like any other model (:class:`~qmlsec.cloud.deployment.Deployment`)
and attacks get their setup through the one builder,
:meth:`~qmlsec.attacks.setup.AttackSetup.from_deployment`. By default the deployment
distrusts both clouds (malicious) on ``fake_manila`` and serves from exact simulation,
so every registered attack finds a position it can run from.

Example:
    >>> victim = small_victim()  # iris, 4 qubits, 2 layers
    >>> victim.model.score(victim.x_test, victim.y_test) > 0.6
    True
    >>> setup = victim.setup("evasion.fgsm", n_test=10)
    >>> setup.ctx.x_test.shape, setup.target.position.value
    ((10, 4), 'untrusted_classical_cloud')
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from qmlsec.attacks.base import Attack, AttackContext
from qmlsec.attacks.facts import Fact, Facts
from qmlsec.attacks.setup import AttackSetup, refit_like
from qmlsec.cloud.deployment import Deployment, DeploymentSpec
from qmlsec.data import load_dataset, split
from qmlsec.defenses.base import Defense
from qmlsec.defenses.evaluate import DefenseEvaluation, evaluate_defense
from qmlsec.models.classifier import QNNClassifier


@dataclass(frozen=True)
class Victim:
    """A fitted model and the split it was trained on (writable copies of the arrays)."""

    model: QNNClassifier
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def context(self, *facts: Fact, n_test: int | None = None) -> AttackContext:
        """A fresh attack context (first ``n_test`` test samples; training split included),
        for unit tests that hand an attack a target of their own."""
        n = len(self.y_test) if n_test is None else n_test
        return AttackContext(
            x_test=np.array(self.x_test[:n]), y_test=np.array(self.y_test[:n]),
            x_train=np.array(self.x_train), y_train=np.array(self.y_train),
            train_victim=refit_like(self.model), facts=Facts(facts),
        )  # fmt: skip

    def deployment(self, **settings: Any) -> Deployment:
        """A fresh deployment of the model (``settings``: :class:`DeploymentSpec` fields).

        Defaults: ``fake_manila``, both clouds malicious, exact expectations served from
        the classical simulation (a query's ``shots`` still sample).
        """
        data: dict[str, Any] = {
            "quantum": {"device": "fake_manila", "trust": "malicious", "shots": None},
            "classical": {"trust": "malicious"}, "serving": "simulation",
        }  # fmt: skip
        for key, value in settings.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key] = {**data[key], **value}
            else:
                data[key] = value
        return Deployment(DeploymentSpec.model_validate(data), self.model)

    def setup(
        self,
        attack: str | type[Attack],
        *,
        n_test: int | None = None,
        deployment: Deployment | None = None,
        **kwargs: Any,
    ) -> AttackSetup:
        """The attack's setup on ``deployment`` (default :meth:`deployment`), first ``n_test`` test samples."""
        n = len(self.y_test) if n_test is None else n_test
        return AttackSetup.from_deployment(
            attack, deployment or self.deployment(), x_train=self.x_train, y_train=self.y_train,
            x_test=self.x_test[:n], y_test=self.y_test[:n], **kwargs,
        )  # fmt: skip

    def evaluate(
        self,
        defense: Defense,
        attack: str,
        *,
        n_test: int | None = None,
        deployment: Deployment | None = None,
        **kwargs: Any,
    ) -> DefenseEvaluation:
        """``attack`` without and with ``defense`` on ``deployment`` (default :meth:`deployment`)."""
        n = len(self.y_test) if n_test is None else n_test
        split = (self.x_train, self.y_train, self.x_test[:n], self.y_test[:n])
        return evaluate_defense(defense, attack, deployment or self.deployment(), split, **kwargs)


@functools.cache
def small_victim(
    dataset: str = "iris",
    *,
    classes: str | None = None,
    n_qubits: int = 4,
    layers: int = 2,
    epochs: int = 15,
    lr: float = 0.1,
    test_size: float = 0.3,
    seed: int = 0,
) -> Victim:
    """Train (once per argument set and process) a small ``QNNClassifier`` victim.

    Args:
        dataset: built-in dataset name.
        classes: class subset such as ``"0-1"``.
        n_qubits, layers, epochs, lr: the model.
        test_size: held-out fraction.
        seed: split, weights and training order.
    """
    ds = load_dataset(dataset, classes=classes, seed=seed)
    train, test = split(ds, test_size=test_size, seed=seed)
    model = QNNClassifier(
        n_qubits=n_qubits, layers=layers, epochs=epochs, lr=lr, random_state=seed
    ).fit(train.X, train.y)
    return Victim(
        model=model,
        x_train=np.array(train.X),
        y_train=np.array(train.y),
        x_test=np.array(test.X),
        y_test=np.array(test.y),
    )
