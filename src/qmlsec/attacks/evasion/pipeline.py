"""A fitted classifier's whole pipeline as one differentiable torch module.

``raw features -> pre-processing (PCA/autoencoder, scaling) -> encoding + PQC -> head``
is what a white-box attacker differentiates: the perturbation lives in raw feature
space, so gradients must flow back through the classical pre-processing as well.

Example:
    >>> from qmlsec.data import load_dataset, split
    >>> from qmlsec.models.classifier import QNNClassifier
    >>> train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    >>> clf = QNNClassifier(n_qubits=4, layers=1, epochs=2, random_state=0).fit(train.X, train.y)
    >>> net = TorchPipeline(clf)
    >>> net(torch.tensor(test.X[:3])).shape
    torch.Size([3, 3])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from qmlsec.exceptions import RequirementError


class TorchPipeline(torch.nn.Module):
    """Raw features to logits of a fitted ``QNNClassifier``-like model.

    The model must expose ``preprocessing_.torch_transform`` and a torch ``model_``
    (features -> logits), as :class:`~qmlsec.models.classifier.QNNClassifier` does.
    Inputs of any float dtype are computed in float64.
    """

    def __init__(self, classifier: Any) -> None:
        super().__init__()
        if not (hasattr(classifier, "preprocessing_") and hasattr(classifier, "model_")):
            raise RequirementError(
                f"{type(classifier).__name__} does not expose a differentiable pipeline "
                "(preprocessing_ and model_)",
                hint="pass a fitted QNNClassifier as the white-box model",
            )
        self.classifier = classifier
        self.net = classifier.model_

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.classifier.preprocessing_.torch_transform(x.to(torch.float64))
        return self.net(features)

    @property
    def n_features(self) -> int:
        return int(self.classifier.preprocessing_.n_features_in)

    @property
    def n_classes(self) -> int:
        return len(self.classifier.classes_)


def loss_and_gradient(
    net: torch.nn.Module, x: torch.Tensor, y_idx: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-sample cross-entropy, logits and the input gradient of the summed loss.

    Args:
        net: raw features -> logits.
        x: inputs ``(B, d)`` (float64).
        y_idx: class indices ``(B,)``.

    Returns:
        ``(loss (B,), logits (B, C), grad (B, d))``, all detached.
    """
    x = x.detach().clone().requires_grad_(True)
    logits = net(x)
    loss = torch.nn.functional.cross_entropy(logits, y_idx, reduction="none")
    (grad,) = torch.autograd.grad(loss.sum(), x)
    return loss.detach(), logits.detach(), grad.detach()


def class_indices(classifier: Any, y: np.ndarray) -> torch.Tensor:
    """Original labels ``y`` as the classifier's class indices (a long tensor)."""
    return torch.as_tensor(classifier.class_index(np.asarray(y)), dtype=torch.long)
