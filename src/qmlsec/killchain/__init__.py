"""Quantum-aware kill chain: knowledge base, system model, attack graph and exports.

Example:
    >>> from qmlsec.killchain import load_catalog, require_technique_id
    >>> load_catalog().technique(require_technique_id("QML.T0023.000")).name
    'Horizontal Leakage through Imperfect Reset'
"""

from qmlsec.killchain.catalog import (
    Catalog,
    load_catalog,
    require_mitigation_id,
    require_technique_id,
)

__all__ = ["Catalog", "load_catalog", "require_mitigation_id", "require_technique_id"]
