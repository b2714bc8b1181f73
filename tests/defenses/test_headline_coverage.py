"""Every registered attack declares the headline metric reports and defense evaluation use."""

from __future__ import annotations

import pytest

from qmlsec.attacks.registry import available_attacks
from qmlsec.defenses.evaluate import ATTACK_METRICS, headline_metric
from qmlsec.exceptions import ConfigError


def test_every_registered_attack_has_a_headline_metric():
    missing = sorted(set(available_attacks()) - set(ATTACK_METRICS))
    assert missing == [], f"add these attacks to ATTACK_METRICS: {missing}"


@pytest.mark.parametrize("attack", sorted(ATTACK_METRICS))
def test_headline_entries_are_well_formed(attack):
    key, direction = ATTACK_METRICS[attack]
    assert direction in (1, -1)
    if ":" in key:
        how, prefix = key.split(":", 1)
        assert how in ("min", "max") and prefix


def test_prefix_headlines_pick_the_extreme_of_the_matching_metrics():
    metrics = {"cosine_b1": 0.8, "cosine_b4": 0.3, "mse": 0.01}
    assert headline_metric("inference.gradient_inversion", metrics) == ("cosine_b1", 0.8, 1)
    power = {"gate_recovery_accuracy_snr-10": 0.4, "gate_recovery_accuracy_snr10": 0.9}
    assert headline_metric("sidechannel.power", power)[1] == 0.9
    with pytest.raises(ConfigError, match="no metric 'availability'"):
        headline_metric("availability.dos", {"clean_availability": 1.0})
