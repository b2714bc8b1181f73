"""Every attack the knowledge base names is a registered, runnable attack."""

from __future__ import annotations

from qmlsec.attacks.registry import available_attacks
from qmlsec.killchain.catalog import load_catalog


def test_every_implemented_by_name_is_in_the_attack_registry():
    registered = set(available_attacks())
    named = {(t.id, name) for t in load_catalog().all_techniques() for name in t.implemented_by}
    missing = sorted(f"{tid}: {name}" for tid, name in named if name not in registered)
    assert not missing, "named in techniques.yaml but not registered: " + ", ".join(missing)


def test_every_registered_attack_names_a_technique_that_lists_it():
    catalog = load_catalog()
    for name, cls in available_attacks().items():
        assert name in catalog.technique(cls.technique_id).implemented_by, name
