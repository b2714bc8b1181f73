from qmlsec.cli.main import app

app()
