"""ε is in raw feature units by default (as IBM ART); box units on request; the unit is recorded."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks.evasion.fgsm import FGSM
from qmlsec.campaigns.assess_config import AssessConfig


@pytest.mark.parametrize(("units", "scale"), [("raw", 1.0), ("box", None)])
def test_the_radius_and_the_record_follow_the_unit(victim, white_box, units, scale):
    ctx = victim.context(n_test=6)
    lo, hi = float(ctx.x_train.min()), float(ctx.x_train.max())
    params = {"eps": [0.2]} if units == "raw" else {"eps": [0.2], "eps_units": units}
    result = FGSM(white_box, params).run(ctx)
    radius = 0.2 * (scale if scale is not None else hi - lo)
    assert result.params["eps_units"] == units and result.outputs["eps_units"] == units
    assert result.curves["eps_raw_radius"]["y"] == [pytest.approx(radius)]
    assert any(f"eps in {units} units" in note for note in result.notes)
    assert max(result.per_sample["linf"][0]) <= radius + 1e-9
    assert max(result.per_sample["linf"][0]) == pytest.approx(radius)
    assert result.to_dict()["params"]["eps_units"] == units


def test_default_eps_is_raw_so_the_same_number_matches_art():
    assert FGSM.Params().eps_units == "raw"


def test_the_assessment_keeps_box_units_unless_an_attack_names_its_own():
    cfg = AssessConfig(eps=(0.1,))
    fields = {"eps", "eps_units", "steps"}
    assert cfg.attack_params("evasion.pgd", {}, fields)["eps_units"] == "box"
    mine = AssessConfig(eps=(0.1,), params={"evasion.pgd": {"eps_units": "raw"}})
    assert mine.attack_params("evasion.pgd", {}, fields)["eps_units"] == "raw"
    assert np.isclose(AssessConfig(eps_units="raw").attack_params("x", {}, fields)["eps"][0], 0.05)
