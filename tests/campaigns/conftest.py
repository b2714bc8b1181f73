"""Small campaign specs shared by the campaign tests."""

from __future__ import annotations

import pytest

from qmlsec.campaigns.spec import CampaignSpec

TINY_MODEL = {"dataset": "iris", "classes": None, "qubits": 4, "layers": 1, "epochs": 2}


def tiny_spec(name: str = "tiny", seeds: tuple[int, ...] = (0, 1), n_eps: int = 3) -> CampaignSpec:
    """FGSM over ``n_eps`` single-ε grid points and membership inference, two defenses."""
    return CampaignSpec.model_validate({
        "name": name, "samples": 8, "models": [TINY_MODEL], "seeds": list(seeds),
        "attacks": [
            {"name": "evasion.fgsm", "grid": {"eps": [[0.05 * (k + 1)] for k in range(n_eps)]}},
            {"name": "inference.membership_threshold"},
        ],
        "defenses": [None, "postprocessor.rounding"],
    })  # fmt: skip


@pytest.fixture
def spec() -> CampaignSpec:
    return tiny_spec()


@pytest.fixture
def make_spec():
    """The :func:`tiny_spec` factory."""
    return tiny_spec
