"""Assessment config and path planning (no training involved)."""

from __future__ import annotations

import pytest

from qmlsec.attacks.registry import available_attacks
from qmlsec.campaigns.assess_config import AssessConfig, load_assess_config
from qmlsec.campaigns.planner import plan_paths
from qmlsec.exceptions import ConfigError
from qmlsec.killchain.catalog import load_catalog
from qmlsec.killchain.system import SystemModel


def test_quick_mode_shrinks_the_run():
    full, quick = AssessConfig(), AssessConfig().quick_mode()
    assert quick.quick_applied and quick.victim.epochs < full.victim.epochs
    assert quick.test_samples < full.test_samples and len(quick.eps) <= len(full.eps)


def test_seed_flag_overrides_the_file(tmp_path):
    cfg = tmp_path / "a.yaml"
    cfg.write_text("seed: 5\nvictim: {epochs: 2}\n")
    assert load_assess_config(cfg, seed=9).seed == 9
    assert load_assess_config(cfg).victim.epochs == 2


def test_unknown_key_is_rejected_with_its_name(tmp_path):
    cfg = tmp_path / "a.yaml"
    cfg.write_text("victim: {qbits: 4}\n")
    with pytest.raises(ConfigError, match="victim.qbits"):
        load_assess_config(cfg)


def test_attack_params_layer_check_params_config_and_eps():
    cfg = AssessConfig(params={"evasion.pgd": {"steps": 3}}, eps=(0.2,), budgets="check")
    params = cfg.attack_params("evasion.pgd", {"batch_size": 4}, {"eps", "steps"})
    assert params == {"batch_size": 4, "steps": 3, "eps": [0.2]}


def test_full_run_starts_from_the_attacks_own_defaults_and_quick_from_check_params():
    cfg = AssessConfig(params={"evasion.pgd": {"steps": 3}}, eps=(0.2,))
    assert cfg.attack_params("evasion.pgd", {"batch_size": 4}, {"eps", "steps"}) == {
        "steps": 3,
        "eps": [0.2],
    }
    quick = cfg.quick_mode()
    assert quick.attack_params("evasion.pgd", {"batch_size": 4}, set())["batch_size"] == 4


def test_plan_covers_every_profile_and_chains_stages():
    plans = plan_paths(AssessConfig(), SystemModel.default(), load_catalog())
    profiles = {p.profile.id for p in plans}
    assert {"curious-api-user", "malicious-co-tenant", "malicious-api-user"} <= profiles
    registry = available_attacks()
    for plan in plans:
        for stage in plan.stages:
            assert set(stage.attacks) <= set(registry)
            if stage.status == "runnable":
                assert stage.attacks
    chained = [p for p in plans if p.path.technique_ids[-2:] == ("QML.T0025", "QML.T0011.002")]
    assert chained and chained[0].stages[-1].attacks == ("evasion.transfer",)


def test_exclude_marks_stages_excluded():
    cfg = AssessConfig(exclude=("inference.membership_threshold", "inference.membership_shadow"))
    plans = plan_paths(cfg, SystemModel.default(), load_catalog())
    stages = [s for p in plans for s in p.stages if s.technique_id == "QML.T0027"]
    assert stages and all(s.status == "excluded" for s in stages)


def test_measured_impact_of_availability_cost_and_delay_headlines():
    from qmlsec.campaigns.measures import measured_impact

    def impact(name, value, direction=1):
        return measured_impact({"name": name, "value": value, "direction": direction}, 0.9)

    assert impact("availability", 1.0, -1) == 0.0 and impact("availability", 0.25, -1) == 0.75
    assert impact("cost_ratio", 1.0) == 0.0 and impact("cost_ratio", 11.0) > 0.9
    assert impact("latency_increase_p50_s", 0.0) == 0.0
    assert impact("latency_increase_p50_s", 1.0) < 0.05 < impact("latency_increase_p50_s", 600.0)
