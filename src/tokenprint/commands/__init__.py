"""CLI subcommands. Each module exports ``SUBCOMMANDS``: (name, help, add_arguments, run)."""
