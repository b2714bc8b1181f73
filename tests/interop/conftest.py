"""Shared fixtures: the users' own models (imported by reference from ``user_models/``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from qmlsec.attacks.evasion.iterative import projected_ascent
from qmlsec.attacks.evasion.pgd import PGD
from qmlsec.attacks.targets import Target
from qmlsec.interop import load_object

USER_MODELS = Path(__file__).parent / "user_models"


@pytest.fixture(scope="session")
def user_models() -> Path:
    return USER_MODELS


@pytest.fixture(scope="session")
def pl_user() -> Any:
    """The PennyLane user module (trains its model once per session)."""
    return load_object("qmlsec_user_pennylane:model", [USER_MODELS]) and _module("pennylane")


@pytest.fixture(scope="session")
def qiskit_user() -> Any:
    """The Qiskit ML user module (fits its classifier once per session)."""
    return load_object("qmlsec_user_qiskit:classifier", [USER_MODELS]) and _module("qiskit")


def _module(name: str) -> Any:
    import sys

    return sys.modules[f"qmlsec_user_{name}"]


@pytest.fixture(scope="session")
def pgd_pair() -> Any:
    """``pgd_pair(clf, source_net, x, y)``: PGD adversarials from the engine and the source."""
    return _pgd_pair


def _pgd_pair(
    clf: Any,
    source_net: torch.nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    eps: float = 0.1,
    steps: int = 5,
) -> tuple[np.ndarray, np.ndarray]:
    """White-box PGD on the imported model, and the same PGD on the source's gradients."""
    attack = PGD(Target.white_box(clf), {"eps": [eps], "steps": steps})
    box = (float(x.min()) - 1.0, float(x.max()) + 1.0)
    ours = attack.generate(x, y, eps=eps, box=box)
    radius = attack.radius(eps, box)
    p = attack.params
    theirs = projected_ascent(
        source_net, torch.as_tensor(x), torch.as_tensor(clf.class_index(y)),
        radius=radius, box=box, norm=p.norm, steps=p.steps,
        alpha=p.step_ratio * radius / p.steps, keep_best=p.keep_best,
    )  # fmt: skip
    return ours, theirs.numpy()
