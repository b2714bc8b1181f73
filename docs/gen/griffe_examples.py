"""Griffe extension: read a Google-style ``Example:`` heading as an ``Examples`` section.

The package's docstrings head their doctests ``Example:``; Griffe's Google parser only
knows the plural as a section (the singular becomes an admonition whose ``>>>`` lines
would be read as Markdown). Renaming the heading before parsing makes mkdocstrings render
every example as a Python console block, exactly as doctest runs it.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

HEADING = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)


class ExampleSections(griffe.Extension):
    """Rename ``Example:`` headings to ``Examples:`` in every docstring."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = HEADING.sub(r"\1Examples:", obj.docstring.value)
