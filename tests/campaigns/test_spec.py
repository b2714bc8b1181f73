"""Campaign specs: grid expansion, deterministic run IDs, validation."""

from __future__ import annotations

import pytest

from qmlsec.campaigns.spec import CampaignSpec, load_spec
from qmlsec.exceptions import ConfigError


def test_expand_is_the_cartesian_product(spec):
    runs = spec.expand()
    # (3 fgsm points + 1 membership) x 2 defenses x 1 noise x 2 seeds
    assert len(runs) == 4 * 2 * 2
    assert len({r.run_id for r in runs}) == len(runs)


TINY_MODEL = {"dataset": "iris", "classes": None, "qubits": 4, "layers": 1, "epochs": 2}


def test_run_ids_are_stable_and_depend_on_seed(make_spec):
    a, b = make_spec().expand(), make_spec().expand()
    assert [r.run_id for r in a] == [r.run_id for r in b]
    assert a[0].run_id != a[0].model_copy(update={"seed": 99}).run_id


def test_none_defense_spellings_mean_undefended():
    spec = CampaignSpec.model_validate(
        {"name": "n", "models": [TINY_MODEL], "attacks": [{"name": "evasion.fgsm"}],
         "defenses": ["none", None, ""]}
    )  # fmt: skip
    assert spec.defenses == (None, None, None)


def test_unknown_attack_is_a_config_error():
    spec = CampaignSpec.model_validate(
        {"name": "n", "models": [TINY_MODEL], "attacks": [{"name": "evasion.nope"}]}
    )
    with pytest.raises(ConfigError, match="no attack named 'evasion.nope'"):
        spec.check()


def test_bad_yaml_field_names_the_field(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("name: x\nmodels: []\nattacks: [{name: evasion.fgsm}]\n")
    with pytest.raises(ConfigError, match="field 'models'"):
        load_spec(path)


def test_example_spec_loads():
    from pathlib import Path

    spec = load_spec(Path(__file__).resolve().parents[2] / "examples" / "campaign.yaml")
    spec.check()
    assert len(spec.expand()) > 10


@pytest.mark.parametrize(
    ("model", "match"),
    [
        ({"dataset": "no_such_data"}, "unknown dataset 'no_such_data'"),
        ({"dataset": "/nowhere/x.csv"}, "dataset file /nowhere/x.csv does not exist"),
        ({"device": "fake_nowhere"}, "unknown device 'fake_nowhere'"),
        ({"device": "fake_manila", "qubits": 8}, "has 5 qubits, the victim needs 8"),
    ],
)
def test_unknown_datasets_and_devices_are_config_errors(model, match):
    spec = CampaignSpec.model_validate(
        {"name": "n", "models": [{**TINY_MODEL, **model}], "attacks": [{"name": "evasion.fgsm"}]}
    )
    with pytest.raises(ConfigError, match=match):
        spec.check()


def test_bad_defense_params_are_config_errors():
    spec = CampaignSpec.model_validate(
        {"name": "n", "models": [TINY_MODEL], "attacks": [{"name": "evasion.fgsm"}],
         "defenses": ["postprocessor.rounding"],
         "defense_params": {"postprocessor.rounding": {"no_such_param": 1}}}
    )  # fmt: skip
    with pytest.raises(ConfigError, match="defense 'postprocessor.rounding'"):
        spec.check()
