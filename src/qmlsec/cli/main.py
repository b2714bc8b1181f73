"""The ``qmlsec`` command. Each command group lives in its own module of this package."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="qmlsec",
    help="Security testbed for Quantum Machine Learning as a Service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command groups register themselves below, one line each.
from qmlsec.cli import serve as _serve  # noqa: E402,F401  (qmlsec serve)
from qmlsec.cli.attack import app as attack_app  # noqa: E402
from qmlsec.cli.defend import app as defend_app  # noqa: E402
from qmlsec.cli.threats import app as threats_app  # noqa: E402
from qmlsec.cli.train import evaluate_command, predict_command, train_command  # noqa: E402

app.command("train")(train_command)
app.command("evaluate")(evaluate_command)
app.command("predict")(predict_command)
app.add_typer(threats_app, name="threats")
app.add_typer(attack_app, name="attack")
app.add_typer(defend_app, name="defend")
app.command("devices")(__import__("qmlsec.cli.devices", fromlist=["_"]).devices_command)
app.command("assess")(__import__("qmlsec.cli.assess", fromlist=["_"]).assess_command)
app.add_typer(__import__("qmlsec.cli.campaign", fromlist=["_"]).app, name="campaign")
app.command("report")(__import__("qmlsec.cli.campaign", fromlist=["_"]).report_command)
from qmlsec.cli.ledger import ledger_command  # noqa: E402

app.command("ledger")(ledger_command)
