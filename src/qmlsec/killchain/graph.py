"""The AND/OR attack graph of one attacker against one deployment.

Nodes (a :class:`networkx.DiGraph`):

* ``fact:<id>``  OR node - holds when any incoming technique succeeded, or it is an
  initial fact derived from the system model and the attacker profile;
* ``tech:<id>``  AND node - fires when all its ``requires`` facts hold and, if it has
  ``requires_any``, its ``any:<id>`` node holds;
* ``any:<id>``   OR node - holds when one of the technique's ``requires_any`` holds.

Which techniques take part: those with ``provides`` (umbrella records do not), that no
enabled mitigation blocks, and - for a passive (honest-but-curious) attacker, or from
a provider position whose provider the deployment trusts as honest-but-curious - only
those without integrity or availability impact. Each technique carries its step
likelihood: the base likelihood (explicit, else from maturity) times the factor of
every enabled mitigation that acts on it (blocks 0, reduces 0.5, detects 0.8).

Example:
    >>> from qmlsec.killchain.catalog import load_catalog
    >>> from qmlsec.killchain.graph import AttackGraph
    >>> from qmlsec.killchain.system import SystemModel
    >>> kb = load_catalog()
    >>> g = AttackGraph(kb, SystemModel.default(), kb.profile("curious-api-user"))
    >>> "QML.T0025" in g.reachable_techniques(), "QML.T0021" in g.reachable_techniques()
    (True, False)
    >>> g.holds("goal.model_stolen")
    True
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING

from qmlsec.exceptions import ConfigError
from qmlsec.killchain.catalog import Catalog
from qmlsec.killchain.schema import EFFECT_FACTOR, Profile, Technique
from qmlsec.killchain.system import SystemModel, derive_facts

if TYPE_CHECKING:
    import networkx as nx


def fact_node(fact: str) -> str:
    """Graph node name of a fact."""
    return f"fact:{fact}"


def tech_node(technique_id: str) -> str:
    """Graph node name of a technique."""
    return f"tech:{technique_id}"


class AttackGraph:
    """AND/OR graph, reachability and step likelihoods for one attacker and system."""

    def __init__(
        self,
        catalog: Catalog,
        system: SystemModel,
        profile: Profile,
        mitigations: Iterable[str] = (),
    ) -> None:
        self.catalog = catalog
        self.system = system
        self.profile = profile
        self.mitigations: tuple[str, ...] = tuple(sorted(set(mitigations)))
        for mid in self.mitigations:
            catalog.mitigation(mid)
        self.initial_facts: frozenset[str] = derive_facts(system, profile, catalog)
        self.likelihood: dict[str, float] = {}
        self.blocked: dict[str, tuple[str, ...]] = {}
        self.techniques: dict[str, Technique] = {}
        for t in catalog.all_techniques():
            if not t.in_graph or not self._may_act(t):
                continue
            p = t.base_likelihood
            blockers = []
            for m, _use, effect in catalog.mitigations_for(t.id):
                if m.id in self.mitigations:
                    p *= EFFECT_FACTOR[effect]
                    if effect == "blocks":
                        blockers.append(m.id)
            if blockers:
                self.blocked[t.id] = tuple(blockers)
                continue
            self.techniques[t.id] = t
            self.likelihood[t.id] = p
        self._facts, self._fired = self._forward_chain()

    def _may_act(self, t: Technique) -> bool:
        """Whether the attacker may use ``t``: one that changes the victim (integrity or
        availability impact) needs an active attacker, and from a provider's position a
        provider the deployment distrusts as malicious (honest-but-curious ones only
        observe)."""
        if not {"I", "A"} & set(t.cia):
            return True
        if self.profile.passive:
            return False
        positions = [p for p in self.profile.positions if p in t.positions]
        return not positions or any(self.system.may_modify(p) for p in positions)

    @functools.cached_property
    def graph(self) -> nx.DiGraph:
        """The AND/OR graph (built on first use: reachability and paths need only the
        forward chaining below, so the CLI does not import networkx for them)."""
        import networkx as nx

        g = nx.DiGraph(attacker=self.profile.id, system=self.system.name)
        for fact in sorted(self.initial_facts):
            g.add_node(fact_node(fact), kind="fact", gate="OR", initial=True)
        for tid, t in self.techniques.items():
            node = tech_node(tid)
            g.add_node(
                node, kind="technique", gate="AND", likelihood=self.likelihood[tid], name=t.name
            )
            for fact in t.requires:
                g.add_node(fact_node(fact), kind="fact", gate="OR")
                g.add_edge(fact_node(fact), node)
            if t.requires_any:
                any_node = f"any:{tid}"
                g.add_node(any_node, kind="operator", gate="OR")
                g.add_edge(any_node, node)
                for fact in t.requires_any:
                    g.add_node(fact_node(fact), kind="fact", gate="OR")
                    g.add_edge(fact_node(fact), any_node)
            for fact in t.provides:
                g.add_node(fact_node(fact), kind="fact", gate="OR")
                g.add_edge(node, fact_node(fact))
        for n in g.nodes:
            g.nodes[n].setdefault("initial", False)
        return g

    def enabled(self, technique: Technique, facts: frozenset[str] | set[str]) -> bool:
        """Whether the technique's requirements hold in ``facts``."""
        ok_all = all(f in facts for f in technique.requires)
        return ok_all and (
            not technique.requires_any or any(f in facts for f in technique.requires_any)
        )

    def _forward_chain(self) -> tuple[frozenset[str], frozenset[str]]:
        facts = set(self.initial_facts)
        fired: set[str] = set()
        changed = True
        while changed:
            changed = False
            for tid, t in self.techniques.items():
                if tid not in fired and self.enabled(t, facts):
                    fired.add(tid)
                    facts.update(t.provides)
                    changed = True
        return frozenset(facts), frozenset(fired)

    def reachable_techniques(self) -> list[str]:
        """IDs of the techniques this attacker can execute, in ID order."""
        return sorted(self._fired)

    def reachable_facts(self) -> list[str]:
        """Facts that hold once every reachable technique has been executed."""
        return sorted(self._facts)

    def holds(self, fact: str) -> bool:
        """Whether ``fact`` is reachable."""
        return fact in self._facts

    def goal_fact(self, goal_id: str) -> str:
        """The fact of a goal (``ConfigError`` for an unknown goal)."""
        try:
            return self.catalog.goal(goal_id).fact
        except Exception as err:
            raise ConfigError(
                f"unknown goal {goal_id!r}",
                hint="use one of: " + ", ".join(g.id for g in self.catalog.goals),
            ) from err
