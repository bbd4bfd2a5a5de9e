"""``python -m pipereview`` runs the command line."""

from pipereview.cli import main

main()
