"""The ``openloop`` command line (typer)."""
