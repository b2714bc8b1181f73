"""Every docstring example of the package runs (doctest), one test per module.

Modules are imported by name from the installed package (so the entry points and the
package data are the installed ones, not a copy found on ``sys.path``). Option flags are
pytest's default (``ELLIPSIS``); ``filterwarnings = error`` applies as everywhere. A
module or example that needs an optional extra (PennyLane, qiskit-machine-learning) is
skipped when the extra is missing, and only then.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
OPTIONAL = ("pennylane", "qiskit_machine_learning")


def module_names() -> list[str]:
    """Every importable module of ``src/qmlsec`` (packages included), sorted."""
    names: list[str] = []
    for path in sorted((SRC / "qmlsec").rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts[-1] == "__main__":
            continue
        if not all(
            (SRC / "/".join(parts[:i]) / "__init__.py").is_file() for i in range(1, len(parts))
        ):
            continue
        names.append(".".join(parts))
    return names


def has_examples(name: str) -> bool:
    path = SRC / name.replace(".", "/")
    file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return ">>>" in file.read_text(encoding="utf-8")


def optional_missing(exc: BaseException) -> bool:
    """Whether ``exc`` says an optional extra is not installed."""
    if isinstance(exc, ModuleNotFoundError):
        return (exc.name or "").split(".")[0] in OPTIONAL
    return "needs the optional package" in str(exc)


class _Runner(doctest.DocTestRunner):
    missing_extra: BaseException | None = None

    def report_unexpected_exception(self, out: Any, test: Any, example: Any, exc_info: Any) -> None:
        if optional_missing(exc_info[1]):
            self.missing_extra = exc_info[1]
        super().report_unexpected_exception(out, test, example, exc_info)


MODULES = [n for n in module_names() if has_examples(n)]


def _import(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except Exception as err:
        if optional_missing(err):
            pytest.skip(f"{name} needs an optional extra: {err}")
        raise


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = _import(name)
    tests = [t for t in doctest.DocTestFinder().find(module, name) if t.examples]
    tests = [
        t for t in tests if t.filename is None or Path(t.filename).resolve().is_relative_to(SRC)
    ]
    assert tests, f"{name} has '>>>' lines but no example doctest finds"
    runner = _Runner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    for test in sorted(tests, key=lambda t: t.name):
        runner.run(test, out=report.append)
    if runner.failures and runner.missing_extra is not None:
        pytest.skip(f"{name}: an example needs an optional extra: {runner.missing_extra}")
    assert not runner.failures, "".join(report)


def test_every_module_with_examples_is_collected() -> None:
    assert len(MODULES) > 200, len(MODULES)


def test_no_example_is_skipped() -> None:
    """A ``+SKIP`` directive would let an example rot unseen: every example runs."""
    skipping = [
        f"{path.relative_to(SRC)}:{n}"
        for path in sorted((SRC / "qmlsec").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "doctest: +SKIP" in line
    ]
    assert not skipping, f"skipped examples: {skipping}"
