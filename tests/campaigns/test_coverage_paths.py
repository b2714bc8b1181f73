"""Paths added so that every selected defense gets a defended re-run."""

from __future__ import annotations

from dataclasses import dataclass

from qmlsec.campaigns.assess_config import AssessConfig
from qmlsec.campaigns.defended import coverage_paths, measurable_on
from qmlsec.campaigns.planner import plan_paths, planned_attacks
from qmlsec.killchain.catalog import load_catalog
from qmlsec.killchain.system import SystemModel


@dataclass
class _Run:
    attack: str
    status: str = "ok"
    setup: object = object()


class _Executor:
    def __init__(self, *attacks: str, status: str = "ok") -> None:
        self.runs = [_Run(a, status) for a in attacks]

    def final_runs(self) -> list[_Run]:
        return self.runs


def test_a_path_is_added_for_each_defense_whose_attacks_did_not_run():
    config, catalog = AssessConfig(), load_catalog()
    ran = _Executor("extraction.substitute", "evasion.pgd")
    added = coverage_paths(config, SystemModel.default(), catalog, [ran])
    links = measurable_on(catalog, config.defenses)
    covered = {"extraction.substitute", "evasion.pgd"} | planned_attacks(added)
    # the canary and shot splitting only counter measurement tampering: a path runs it
    for_canary = [p for p in added if p.selected_for == "provider.canary"]
    assert for_canary and "tampering.measurement" in planned_attacks(for_canary)
    # every added path runs an attack of the defense it was added for
    for path in added:
        assert planned_attacks([path]) & links[path.selected_for]
    # a defense already measurable on what ran gets no path of its own
    assert not {p.selected_for for p in added} & {"detector.prada", "trainer.adversarial"}
    # every selected defense a derived path can reach is now measurable
    reachable = planned_attacks(_all_paths(config, catalog))
    uncovered = {n for n, a in links.items() if not a & covered}
    assert uncovered == {n for n, a in links.items() if not a & reachable}


def _all_paths(config, catalog):
    return plan_paths(config, SystemModel.default(), catalog, max_paths=12)


def test_failed_runs_do_not_count_and_cover_can_be_turned_off():
    config, catalog = AssessConfig(), load_catalog()
    failed = _Executor("tampering.measurement", status="error")
    added = coverage_paths(config, SystemModel.default(), catalog, [failed])
    assert any("tampering.measurement" in planned_attacks([p]) for p in added)
    off = config.model_copy(
        update={"defenses": config.defenses.model_copy(update={"cover": False})}
    )
    assert coverage_paths(off, SystemModel.default(), catalog, [failed]) == []
    assert config.quick_mode().defenses.cover is False
