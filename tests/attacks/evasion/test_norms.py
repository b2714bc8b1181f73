"""Norm-ball geometry: steps, projections, random starts, box and radius."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmlsec.attacks.evasion.norms import (
    perturbation_norms,
    project,
    radius_of,
    random_start,
    resolve_box,
    steepest_step,
)
from qmlsec.exceptions import ConfigError


@pytest.fixture
def deltas() -> torch.Tensor:
    return torch.randn(50, 6, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3


def test_linf_projection_clamps_every_coordinate(deltas):
    assert project(deltas, 0.5, "inf").abs().max() <= 0.5


def test_l2_projection_scales_only_rows_outside_the_ball(deltas):
    out = project(deltas, 2.0, "2")
    norms_in, norms_out = deltas.norm(dim=1), out.norm(dim=1)
    assert torch.all(norms_out <= 2.0 + 1e-12)
    inside = norms_in <= 2.0
    assert torch.allclose(out[inside], deltas[inside])
    cos = torch.nn.functional.cosine_similarity(out, deltas, dim=1)
    assert torch.allclose(cos, torch.ones_like(cos))


def test_steepest_step_has_unit_dual_norm(deltas):
    assert torch.equal(steepest_step(deltas, "inf"), deltas.sign())
    assert torch.allclose(
        steepest_step(deltas, "2").norm(dim=1), torch.ones(50, dtype=torch.float64)
    )


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_random_start_lies_in_the_ball_and_is_seeded(norm):
    a = random_start((40, 5), 0.3, norm, torch.Generator().manual_seed(1))
    b = random_start((40, 5), 0.3, norm, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    size = a.abs().max(dim=1).values if norm == "inf" else a.norm(dim=1)
    assert torch.all(size <= 0.3 + 1e-12)


def test_box_defaults_to_data_range_and_rejects_empty_boxes():
    data = np.array([[0.0, 3.0], [16.0, 2.0]])
    assert resolve_box(None, data) == (0.0, 16.0)
    assert resolve_box((1.0, 2.0), data) == (1.0, 2.0)
    with pytest.raises(ConfigError, match="empty"):
        resolve_box((2.0, 2.0), data)


def test_eps_in_box_units_scales_with_the_box_width():
    assert radius_of(0.1, (0.0, 16.0), "box") == pytest.approx(1.6)
    assert radius_of(0.1, (0.0, 16.0), "raw") == pytest.approx(0.1)


def test_perturbation_norms_are_per_sample():
    linf, l2 = perturbation_norms(np.zeros((2, 2)), np.array([[3.0, 4.0], [0.0, -1.0]]))
    assert linf.tolist() == [4.0, 1.0]
    assert l2.tolist() == [5.0, 1.0]
