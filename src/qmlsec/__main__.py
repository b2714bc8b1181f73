from qmlsec.cli.main import run

run()
