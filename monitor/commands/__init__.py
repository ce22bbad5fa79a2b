"""`brandmon` subcommand groups, one module each, registered in monitor/cli.py."""
