"""`python -m srvmon` entry point."""

from srvmon.cli import main

raise SystemExit(main())
