"""Every CLI command refuses bad input before doing work: an exit code, one error line, a
hint, no traceback, and nothing written.

The table crosses the commands with malformed files (YAML, JSON, binary, not SQLite),
out-of-range numbers, wrong types and unknown names. Usage errors caught by the option
parser (types, ranges) answer with its usage message and exit code 2; everything the
commands check themselves answers ``error: ...`` on one line with the exit code of its
class in :mod:`qmlsec.exceptions`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qmlsec.cli.main import app

runner = CliRunner()
USAGE = 2  # the option parser's own refusals

# (arguments with $T for the inputs folder, expected exit code, text the error must name)
CASES: list[tuple[str, int, str]] = [
    # assess
    ("assess --config $T/bad.yaml --out $T/out", 2, "not valid YAML"),
    ("assess --config $T/binary.bin --out $T/out", 2, "not valid YAML"),
    ("assess --config $T/missing.yaml --out $T/out", 2, "not found"),
    # train
    ("train --qubits 25 --out $T/out", 2, "n_qubits"),
    ("train --qubits many --out $T/out", USAGE, "--qubits"),
    ("train --epochs 0 --out $T/out", USAGE, "--epochs"),
    ("train --test-size 2 --out $T/out", USAGE, "--test-size"),
    ("train --encoding nosuch --out $T/out", 2, "encoding"),
    ("train --dataset nosuch --out $T/out", 2, "unknown dataset"),
    ("train --dataset $T/header_only.csv --out $T/out", 3, "no data rows"),
    ("train --dataset iris --classes 9-99 --out $T/out", 3, "class 9"),
    ("train --backend fake_nowhere --out $T/out", 9, "unknown device"),
    ("train --out $T/binary.bin", 2, "is a file"),
    # evaluate / predict / ledger / deployment
    ("evaluate $T/missing", 4, "no artifact directory"),
    ("evaluate $T/binary.bin", 4, "no artifact directory"),
    ("evaluate $T/empty", 4, "no manifest.json"),
    ("evaluate $T/broken_model", 4, "not valid JSON"),
    ("predict $T/broken_model --input $T/header_only.csv", 4, "not valid JSON"),
    ("ledger $T/empty", 4, "not a deployment directory"),
    ("deployment show $T/binary.bin", 2, "not a deployment directory"),
    ("deployment configure $T/empty --backend fake_nowhere", 2, "not a deployment directory"),
    # devices
    ("devices --min-qubits -1", 2, "--min-qubits"),
    ("devices --min-qubits many", USAGE, "--min-qubits"),
    # threats
    ("threats show QML.T9999", 9, "QML.T9999"),
    ("threats list --tactic nosuch", 9, "nosuch"),
    ("threats paths --attacker nosuch", 9, "nosuch"),
    ("threats paths --max-paths 0", USAGE, "--max-paths"),
    ("threats paths --system $T/bad.yaml", 2, "not valid YAML"),
    ("threats mitigations --attacker nosuch", 9, "nosuch"),
    # attack / defend
    ("attack list --family nosuch", 2, "no attack family"),
    ("attack run nosuch --model $T/broken_model", 9, "no attack named"),
    ("attack run evasion.fgsm --model $T/missing", 4, "no artifact directory"),
    ("attack run evasion.fgsm --model $T/broken_model", 4, "not valid JSON"),
    ("attack run evasion.fgsm --deployment $T/binary.bin", 2, "not a deployment"),
    ("attack run evasion.fgsm --model $T/broken_model --params $T/bad.yaml", 2, "not valid YAML"),
    ("attack run evasion.fgsm --model $T/broken_model --param eps=[0.1", 2, "not valid YAML"),
    ("attack run evasion.fgsm --model $T/broken_model --samples -1", USAGE, "--samples"),
    ("defend list --role nosuch", 2, "no defense role"),
    ("defend eval nosuch --against evasion.fgsm --model $T/broken_model", 9, "no defense"),
    ("defend eval postprocessor.rounding --against evasion.fgsm --model $T/missing", 4, "no art"),
    # campaigns and reports
    ("campaign run $T/bad.yaml --db $T/out.db", 2, "not valid YAML"),
    ("campaign run $T/binary.bin --db $T/out.db", 2, "not valid YAML"),
    ("campaign run $T/missing.yaml --db $T/out.db", 2, "not found"),
    ("campaign run $T/unknown_device.yaml --db $T/out.db", 2, "unknown device"),
    ("campaign run $T/unknown_attack.yaml --db $T/out.db", 2, "no attack named"),
    ("campaign run $T/bad.yaml --workers 0 --db $T/out.db", USAGE, "--workers"),
    ("campaign status $T/not_sqlite.db", 3, "file is not a database"),
    ("campaign status $T/other.db", 3, "not a campaign result store"),
    ("campaign status $T/missing.db", 9, "does not exist"),
    ("report $T/not_sqlite.db --out $T/out", 3, "file is not a database"),
    # serve
    ("serve --port 70000 --data-dir $T/svc", USAGE, "--port"),
    ("serve --database-url nosuchdialect://x", 2, "unsupported database URL"),
    ("serve --data-dir $T/binary.bin", 2, "is a file"),
    ("serve --monitor nosuch --data-dir $T/svc", 2, "nosuch"),
    ("serve --backend fake_nowhere --data-dir $T/svc", 9, "unknown device"),
    ("serve keys create --tenant a --scope root --data-dir $T/svc", 2, "invalid scopes"),
    ("serve keys create --tenant a --scope admin --expires-in soon --data-dir $T/svc", 2, "soon"),
    ("serve keys list --database-url sqlite:///$T/not_sqlite.db", 2, "cannot open"),
    ("serve keys revoke 000000000000 --data-dir $T/svc", 9, "no service database"),
    ("serve models register m1 $T/broken_model --tenant a --data-dir $T/svc", 4, "not valid"),
    ("serve models register m1 $T/missing --tenant a --data-dir $T/svc", 4, "no artifact"),
    ("serve models remove m1 --data-dir $T/svc", 9, "no service database"),
]

SPEC = "name: c\nmodels: [{{dataset: iris, classes: null, qubits: 4, device: {device}}}]\n"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder of malformed inputs, shared by every case (each case must leave it as is)."""
    t = tmp_path_factory.mktemp("inputs")
    (t / "bad.yaml").write_text("a: [1\n")
    (t / "binary.bin").write_bytes(b"\x00\xff\xfe binary")
    (t / "header_only.csv").write_text("x,y\n")
    (t / "not_sqlite.db").write_text("hello")
    with sqlite3.connect(t / "other.db") as conn:
        conn.execute("CREATE TABLE t (x)")
    (t / "empty").mkdir()
    (t / "broken_model").mkdir()
    (t / "broken_model" / "manifest.json").write_text('{"not": "json"')
    (t / "unknown_device.yaml").write_text(
        SPEC.format(device="fake_nowhere") + "attacks: [{name: evasion.fgsm}]\n"
    )
    (t / "unknown_attack.yaml").write_text(
        SPEC.format(device="fake_guadalupe") + "attacks: [{name: evasion.nope}]\n"
    )
    return t


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")}  # fmt: skip


@pytest.mark.parametrize(("args", "code", "names"), CASES, ids=[c[0][:60] for c in CASES])
def test_bad_input_is_refused_with_one_line_and_nothing_written(
    inputs: Path, args: str, code: int, names: str
) -> None:
    before = snapshot(inputs)
    result = runner.invoke(app, args.replace("$T", str(inputs)).split())
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), repr(result.exception)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert names in result.output
    if code != USAGE:
        errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and names in errors[0], result.output
        assert any(line.startswith("hint: ") for line in result.output.splitlines())
    assert snapshot(inputs) == before  # nothing half-written, nothing changed
