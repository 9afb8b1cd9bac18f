"""``python -m vaultroom`` runs the command-line interface."""

from vaultroom.cli import main

raise SystemExit(main())
