"""``python -m shelfwise`` runs the CLI."""

from shelfwise.cli import main

main()
