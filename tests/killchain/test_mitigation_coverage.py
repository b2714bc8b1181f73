"""The knowledge base names only defenses that exist, and every technique has a mitigation."""

from __future__ import annotations

from qmlsec.defenses.registry import available_defenses
from qmlsec.killchain.catalog import load_catalog


def _in_graph(technique) -> bool:
    return bool(technique.requires or technique.requires_any or technique.provides)


def test_every_implemented_by_name_is_a_registered_defense():
    registry = available_defenses()
    missing = sorted(
        (m.id, name)
        for m in load_catalog().mitigations
        for name in m.implemented_by
        if name not in registry
    )
    assert missing == []


def test_every_technique_of_the_attack_graph_has_a_mitigation():
    catalog = load_catalog()
    bare = sorted(
        t.id for t in catalog.all_techniques() if _in_graph(t) and not catalog.mitigations_for(t.id)
    )
    assert bare == []


def test_every_registered_defense_is_named_by_its_mitigation():
    catalog = load_catalog()
    for name, cls in available_defenses().items():
        assert name in catalog.mitigation(cls.mitigation_id).implemented_by, name


def test_every_implemented_mitigation_can_be_rerun_against_an_attack_it_links():
    """A defense counters at least one attack implementing a technique of its mitigation,
    so the assessment's defended re-runs (which link through the mitigation) can run it."""
    catalog = load_catalog()
    registry = available_defenses()
    unrunnable = []
    for m in catalog.mitigations:
        linked = {t.id for t in m.techniques}
        attacks = {
            a
            for t in catalog.all_techniques()
            if t.id in linked or t.subtechnique_of in linked
            for a in t.implemented_by
        }
        for name in m.implemented_by:
            counters = registry[name].counters
            if counters and not set(counters) & attacks:
                unrunnable.append((m.id, name))
    assert unrunnable == []


def test_policy_mitigations_say_why_nothing_runs():
    for m in load_catalog().mitigations:
        if not m.implemented_by:
            assert "no runnable defense" in m.description, m.id
