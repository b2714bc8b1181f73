"""Every technique and mitigation ID written anywhere in the package exists."""

from __future__ import annotations

import re
from pathlib import Path

import qmlsec
from qmlsec.killchain.catalog import load_catalog

ID = re.compile(r"QML\.(?:T\d{4}(?:\.\d{3})?|M\d{4})\b")


def test_ids_used_in_source_exist_in_knowledge_base():
    kb = load_catalog()
    root = Path(qmlsec.__file__).parent
    unknown = {}
    for path in sorted(root.rglob("*.py")):
        for found in ID.findall(path.read_text(encoding="utf-8")):
            known = kb.has_technique(found) if ".T" in found else kb.has_mitigation(found)
            if not known:
                unknown.setdefault(found, []).append(str(path.relative_to(root)))
    assert unknown == {}


def test_implemented_by_names_follow_family_dot_name():
    kb = load_catalog()
    names = [n for t in kb.all_techniques() for n in t.implemented_by]
    names += [n for m in kb.mitigations for n in m.implemented_by]
    assert names and all(re.fullmatch(r"[a-z]+\.[a-z0-9_]+", n) for n in names)
