"""The ``qmlsec`` command. Each command or command group lives in its own module here."""

from __future__ import annotations

import typer

from qmlsec.cli import (
    assess,
    attack,
    campaign,
    defend,
    deployment,
    devices,
    ledger,
    serve,
    threats,
    train,
)

app = typer.Typer(
    name="qmlsec",
    help="Security testbed for Quantum Machine Learning as a Service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command("assess")(assess.assess_command)
app.command("train")(train.train_command)
app.command("evaluate")(train.evaluate_command)
app.command("predict")(train.predict_command)
app.command("devices")(devices.devices_command)
app.command("ledger")(ledger.ledger_command)
app.command("report")(campaign.report_command)
app.add_typer(threats.app, name="threats")
app.add_typer(attack.app, name="attack")
app.add_typer(defend.app, name="defend")
app.add_typer(deployment.app, name="deployment")
app.add_typer(campaign.app, name="campaign")
app.add_typer(serve.app, name="serve")
