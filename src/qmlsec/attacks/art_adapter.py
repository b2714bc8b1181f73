"""IBM ART interoperability: a qmlsec model as an ART classifier.

``as_art_classifier(model)`` wraps the *whole* pipeline of a fitted
:class:`~qmlsec.models.classifier.QNNClassifier` (raw features → pre-processing →
encoding + PQC → head) in ``art.estimators.classification.PyTorchClassifier``, so ART's
attacks run unchanged on raw features. ART works with class *indices* ``0..C-1``
(``model.class_index(y)``), not the original labels. ART is an optional dependency:
``pip install "qmlsec[art]"``.

Example:
    >>> from art.attacks.evasion import ProjectedGradientDescent
    >>> from qmlsec.data import load_dataset, split
    >>> from qmlsec.models.classifier import QNNClassifier
    >>> train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    >>> clf = QNNClassifier(n_qubits=4, layers=2, epochs=10, lr=0.1).fit(train.X, train.y)
    >>> art_clf = as_art_classifier(clf, clip_values=(0.0, 8.0))
    >>> pgd = ProjectedGradientDescent(art_clf, eps=0.5, eps_step=0.1, max_iter=5, verbose=False)
    >>> pgd.generate(test.X.astype("float32")).shape
    (45, 4)
"""

from __future__ import annotations

from typing import Any

import torch

from qmlsec.attacks.evasion.pipeline import TorchPipeline
from qmlsec.exceptions import ConfigError


def as_art_classifier(
    model: Any,
    *,
    clip_values: tuple[float, float] | None = None,
) -> Any:
    """An ART ``PyTorchClassifier`` over ``model``'s full differentiable pipeline.

    Args:
        model: a fitted ``QNNClassifier`` (anything exposing ``preprocessing_``,
            ``model_`` and ``classes_``).
        clip_values: the valid raw-feature box ``(lo, hi)`` ART clips to; ``None`` for
            none.

    Returns:
        ``art.estimators.classification.PyTorchClassifier`` with
        ``input_shape=(n_features,)`` and ``nb_classes=len(model.classes_)``; its loss is
        the cross-entropy, as in qmlsec's own gradient attacks.

    Raises:
        ConfigError: if ART is not installed.
    """
    try:
        from art.estimators.classification import PyTorchClassifier
    except ImportError:
        raise ConfigError(
            "the ART adapter needs adversarial-robustness-toolbox",
            hint='pip install "qmlsec[art]"',
        ) from None
    net = TorchPipeline(model)
    return PyTorchClassifier(
        model=net,
        loss=torch.nn.CrossEntropyLoss(),
        input_shape=(net.n_features,),
        nb_classes=net.n_classes,
        clip_values=clip_values,
        device_type="cpu",
    )
