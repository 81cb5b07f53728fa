from hookpact.cli.main import run

run()
