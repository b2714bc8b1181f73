"""Exports of the kill chain: ATLAS YAML, Navigator layers, STIX 2.1, Attack Flow, drawings.

Example:
    >>> from qmlsec.killchain.catalog import load_catalog
    >>> from qmlsec.killchain.export.atlas import atlas_document
    >>> atlas_document(load_catalog())["matrices"][0]["id"]
    'QML'
"""
