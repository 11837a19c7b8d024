"""``python -m tokenprint``: the command line."""

from tokenprint.cli import main

raise SystemExit(main())
