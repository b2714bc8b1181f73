"""The optimisation loop shared by every trainer: mini-batches, optimizer, early stopping.

Example:
    >>> import torch
    >>> from qmlsec.models.training import TrainingConfig, train_module
    >>> net = torch.nn.Linear(2, 2).double()
    >>> x = torch.randn(32, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    >>> y = (x[:, 0] > 0).long()
    >>> history = train_module(net, x, y, TrainingConfig(epochs=5, lr=0.1), seed=0)
    >>> len(history)
    5
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Literal

import torch
from pydantic import Field

from qmlsec.config import FrozenModel, torch_generator

OptimizerName = Literal["adam", "amsgrad", "sgd"]


class TrainingConfig(FrozenModel):
    """How a model is optimised.

    Attributes:
        optimizer: ``adam``, ``amsgrad`` (Adam with the AMSGrad correction) or ``sgd``
            (with momentum 0.9).
        lr: learning rate.
        epochs: maximum number of passes over the training data.
        batch_size: mini-batch size; ``0`` means full batch.
        early_stopping: stop when the validation loss has not improved for
            ``patience`` epochs and restore the best weights.
        patience: epochs without improvement before stopping.
        validation_fraction: share of the training data held out for early stopping.
        target_accuracy: stop as soon as the training accuracy reaches this value.
    """

    optimizer: OptimizerName = "adam"
    lr: float = Field(0.05, gt=0)
    epochs: int = Field(40, ge=1)
    batch_size: int = Field(32, ge=0)
    early_stopping: bool = False
    patience: int = Field(5, ge=1)
    validation_fraction: float = Field(0.1, gt=0, lt=0.5)
    target_accuracy: float | None = Field(None, gt=0, le=1)


def make_optimizer(
    params: list[torch.nn.Parameter], config: TrainingConfig
) -> torch.optim.Optimizer:
    """Build the optimizer named by ``config``."""
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=0.9)
    return torch.optim.Adam(params, lr=config.lr, amsgrad=config.optimizer == "amsgrad")


def train_module(
    module: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    config: TrainingConfig,
    *,
    seed: int,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
    forward: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> list[dict[str, float]]:
    """Train ``module`` (features -> logits) on ``(x, y)`` and return the per-epoch history.

    ``forward`` computes the logits instead of ``module(x)`` (e.g. with the circuits run
    on a quantum cloud); the optimiser still updates ``module``'s parameters.

    Each history row holds ``epoch``, ``loss``, ``train_accuracy``, ``seconds`` and, with
    early stopping, ``val_loss`` and ``val_accuracy``.
    """
    loss_fn = loss_fn or torch.nn.functional.cross_entropy
    forward = forward or module
    gen = torch_generator(seed, "batches")
    n = x.shape[0]
    if config.early_stopping:
        perm = torch.randperm(n, generator=torch_generator(seed, "validation"))
        n_val = max(1, int(round(config.validation_fraction * n)))
        val_idx, train_idx = perm[:n_val], perm[n_val:]
        x_val, y_val, x, y = x[val_idx], y[val_idx], x[train_idx], y[train_idx]
        n = x.shape[0]
    optimizer = make_optimizer([p for p in module.parameters() if p.requires_grad], config)
    batch = n if config.batch_size == 0 else min(config.batch_size, n)
    history: list[dict[str, float]] = []
    best_loss, best_state, stale = float("inf"), None, 0
    for epoch in range(config.epochs):
        start = time.perf_counter()
        module.train()
        order = torch.randperm(n, generator=gen)
        total, correct = 0.0, 0
        for lo in range(0, n, batch):
            idx = order[lo : lo + batch]
            optimizer.zero_grad()
            logits = forward(x[idx])
            loss = loss_fn(logits, y[idx])
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(idx)
            correct += int((logits.detach().argmax(1) == y[idx]).sum())
        row = {
            "epoch": float(epoch + 1),
            "loss": total / n,
            "train_accuracy": correct / n,
        }
        if config.early_stopping:
            module.eval()
            with torch.no_grad():
                val_logits = forward(x_val)
                row["val_loss"] = float(loss_fn(val_logits, y_val))
                row["val_accuracy"] = float((val_logits.argmax(1) == y_val).double().mean())
        row["seconds"] = time.perf_counter() - start
        history.append(row)
        if on_epoch is not None:
            on_epoch(row)
        if config.early_stopping:
            if row["val_loss"] < best_loss - 1e-9:
                best_loss, stale = row["val_loss"], 0
                best_state = copy.deepcopy(module.state_dict())
            else:
                stale += 1
                if stale >= config.patience:
                    break
        if config.target_accuracy is not None and row["train_accuracy"] >= config.target_accuracy:
            break
    if best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    return history
