"""The conformance check over every registered defense (new defenses join automatically)."""

from __future__ import annotations

import pytest

from qmlsec.defenses.registry import available_defenses
from qmlsec.killchain.catalog import load_catalog
from qmlsec.testing.defense_checks import DefenseConformanceError, check_defense


@pytest.mark.parametrize("name", sorted(available_defenses()))
def test_defense_conforms(name):
    check_defense(available_defenses()[name], registry_name=name)


def test_every_registered_name_is_listed_in_the_knowledge_base():
    listed = {n for m in load_catalog().mitigations for n in m.implemented_by}
    assert set(available_defenses()) <= listed


def test_a_defense_with_an_unknown_mitigation_is_refused():
    from qmlsec.defenses.postprocessor.label_only import LabelOnly

    class Bogus(LabelOnly):
        name = "postprocessor.label_only"
        mitigation_id = "QML.M9999"

    with pytest.raises(Exception, match="M9999"):
        check_defense(Bogus)


def test_a_misnamed_defense_fails_the_check():
    from qmlsec.defenses.postprocessor.rounding import Rounding

    class Renamed(Rounding):
        name = "detector.rounding"

    with pytest.raises(DefenseConformanceError):
        check_defense(Renamed)
