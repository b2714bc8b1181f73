"""The classical parts of a foreign model: a torch head and scikit-learn pre-processing.

A head is a ``torch.nn.Module`` made of ``Linear`` layers and the activations
``ReLU``, ``Tanh``, ``Sigmoid``, ``Softmax(dim=-1 or 1)``, ``LogSoftmax`` and
``Identity`` (a ``Sequential`` of them, nested or not). Pre-processing is a fitted
scikit-learn ``StandardScaler``, ``MinMaxScaler``, ``MaxAbsScaler`` or ``PCA`` (also
whitened), or a ``Pipeline`` of them; each becomes the same sequence of array operations
scikit-learn performs. Anything else is refused by its class name.

Example:
    >>> import torch
    >>> records, state = head_records(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Softmax(dim=1)))
    >>> [r.kind for r in records], sorted(state)
    (['linear', 'softmax'], ['layers.0.bias', 'layers.0.weight'])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from qmlsec.exceptions import ConfigError
from qmlsec.models.imported import AffinePreprocessing, LayerRecord

_ACTIVATIONS = {"ReLU": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid"}


def _flatten(module: torch.nn.Module) -> list[torch.nn.Module]:
    if isinstance(module, torch.nn.Sequential | torch.nn.ModuleList):
        return [leaf for child in module for leaf in _flatten(child)]
    return [module]


def head_records(head: torch.nn.Module | None) -> tuple[list[LayerRecord], dict[str, torch.Tensor]]:
    """Layer records and the ``state_dict`` (float64) of an :class:`ImportedHead`."""
    if head is None:
        return [], {}
    if not isinstance(head, torch.nn.Module):
        raise ConfigError(f"the head is a {type(head).__name__}, not a torch.nn.Module")
    records: list[LayerRecord] = []
    state: dict[str, torch.Tensor] = {}
    for layer in _flatten(head):
        name = type(layer).__name__
        i = len(records)
        if isinstance(layer, torch.nn.Identity):
            continue
        if isinstance(layer, torch.nn.Linear):
            records.append(LayerRecord(kind="linear", n_in=layer.in_features,
                                       n_out=layer.out_features, bias=layer.bias is not None))  # fmt: skip
            state[f"layers.{i}.weight"] = layer.weight.detach().to(torch.float64).clone()
            if layer.bias is not None:
                state[f"layers.{i}.bias"] = layer.bias.detach().to(torch.float64).clone()
        elif name in _ACTIVATIONS:
            records.append(LayerRecord(kind=_ACTIVATIONS[name]))  # type: ignore[arg-type]
        elif isinstance(layer, torch.nn.Softmax | torch.nn.LogSoftmax):
            if layer.dim not in (-1, 1):
                raise ConfigError(
                    f"{name}(dim={layer.dim}) in the head: only dim=1 or -1 is supported"
                )
            records.append(LayerRecord(kind="softmax" if name == "Softmax" else "log_softmax"))
        else:
            raise ConfigError(
                f"head layer {name} is not supported",
                hint="heads of Linear, ReLU, Tanh, Sigmoid, Softmax and LogSoftmax layers import",
            )
    soft = [k for k, r in enumerate(records) if r.kind in ("softmax", "log_softmax")]
    if soft and soft != [len(records) - 1]:
        raise ConfigError("Softmax/LogSoftmax may only be the head's last layer")
    return records, state


def preprocessing_of(transformer: Any, n_features_in: int | None) -> AffinePreprocessing | None:
    """The fitted scikit-learn ``transformer`` as :class:`AffinePreprocessing`."""
    if transformer is None:
        return None
    steps: list[tuple[str, np.ndarray]] = []
    for step in _sklearn_steps(transformer):
        steps.extend(_ops(step))
    d = int(getattr(transformer, "n_features_in_", n_features_in or 0))
    if d <= 0:
        raise ConfigError("the pre-processing is not fitted", hint="fit it on the training data")
    return AffinePreprocessing(d, steps)


def _sklearn_steps(transformer: Any) -> list[Any]:
    if hasattr(transformer, "steps") and isinstance(transformer.steps, list):
        out = []
        for _, step in transformer.steps:
            if step is None or step == "passthrough":
                continue
            out.extend(_sklearn_steps(step))
        return out
    return [transformer]


def _ops(step: Any) -> list[tuple[str, np.ndarray]]:
    name = type(step).__name__
    if not hasattr(step, "n_features_in_"):
        raise ConfigError(f"the pre-processing step {name} is not fitted")
    if name == "StandardScaler":
        out = []
        if step.mean_ is not None:
            out.append(("sub", step.mean_))
        if step.scale_ is not None:
            out.append(("div", step.scale_))
        return out
    if name == "MinMaxScaler":
        if getattr(step, "clip", False):
            raise ConfigError("MinMaxScaler(clip=True) is not affine", hint="use clip=False")
        return [("mul", step.scale_), ("add", step.min_)]
    if name == "MaxAbsScaler":
        return [("div", step.scale_)]
    if name == "PCA":
        out = [("sub", step.mean_), ("matmul", np.asarray(step.components_).T)]
        if step.whiten:
            out.append(("div", np.sqrt(step.explained_variance_)))
        return out
    raise ConfigError(
        f"pre-processing step {name} is not supported",
        hint="StandardScaler, MinMaxScaler, MaxAbsScaler, PCA or a Pipeline of them import",
    )
